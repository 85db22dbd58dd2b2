"""Recipients as people type them, and as they see them again (masked)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from paraph.notifications.addresses import mask_destination, recipient_normalize


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("0470/12.34.56", "+32470123456"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0032 470 12 34 56", "+32470123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("  Anne.Martin@Example.BE ", "anne.martin@example.be"),
    ],
)
def test_a_recipient_is_understood_in_any_usual_form(typed, expected):
    assert recipient_normalize(typed) == expected


@pytest.mark.parametrize("typed", ["hello", "12", "anne@", "@example.be", "+32 470 " + "1" * 40])
def test_something_else_is_refused_with_an_explanation(typed):
    with pytest.raises(ValidationError):
        recipient_normalize(typed)


@pytest.mark.parametrize(
    ("channel", "to", "shown"),
    [
        ("sms", "+32470123456", "+32 *** ** 34 56"),
        ("email", "anne.martin@example.be", "a•••@example.be"),
        ("email", "x@example.be", "x•••@example.be"),
    ],
)
def test_a_destination_is_masked_but_recognisable(channel, to, shown):
    assert mask_destination(channel, to) == shown

"""Sender organisations and the people in their back office."""

from __future__ import annotations

import contextlib

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from paraph.audit.models import AuditEvent
from paraph.core.belgium import enterprise_number_normalize
from paraph.senders.models import Sender, SenderMembership
from paraph.senders.services import (
    sender_create,
    sender_member_add,
    sender_member_remove,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed", ["0403.170.701", "BE 0403 170 701", "BE0403170701", "403170701", " 0403-170-701 "]
)
def test_the_usual_ways_of_typing_an_enterprise_number_give_ten_digits(typed):
    assert enterprise_number_normalize(typed) == "0403170701"


@pytest.mark.parametrize(
    ("typed", "code"), [("0403.170.702", "checksum"), ("12345", "format"), ("", "required")]
)
def test_a_wrong_enterprise_number_says_what_is_wrong(typed, code):
    with pytest.raises(ValidationError) as refused:
        enterprise_number_normalize(typed)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("valid", "impossible"),
    [("1332760402", "1332760499"), ("0403617097", "0403617000"), ("0403170701", "0403170798")],
)
def test_one_enterprise_has_one_number_the_check_is_01_to_97(valid, impossible):
    assert enterprise_number_normalize(valid) == valid
    with pytest.raises(ValidationError) as refused:
        enterprise_number_normalize(impossible)
    assert refused.value.code == "checksum"


@given(st.integers(0, 19_999_999))
def test_every_eight_digits_have_exactly_one_check_number(first_eight):
    stem = f"{first_eight:08d}"
    accepted = []
    for check in range(100):
        with contextlib.suppress(ValidationError):
            accepted.append(enterprise_number_normalize(f"{stem}{check:02d}"))
    assert accepted == [f"{stem}{97 - first_eight % 97:02d}"]


@given(st.text(max_size=20))
def test_any_text_gives_ten_digits_or_a_message(typed):
    try:
        number = enterprise_number_normalize(typed)
    except ValidationError:
        return
    assert len(number) == 10 and number.isascii() and number.isdigit()
    assert 1 <= int(number[-2:]) <= 97


def test_a_sender_is_created_with_its_number_shown_as_printed_and_a_sealed_secret(person_factory):
    agent = person_factory()

    sender = sender_create(
        name="Intérim Demo",
        enterprise_number="BE0403170701",
        contact_email="hr@demo.be",
        actor=agent,
    )

    assert sender.enterprise_number == "0403170701"
    assert sender.enterprise_number_display == "0403.170.701"
    assert sender.webhook_secret.startswith("whsec_")
    assert sender.webhook_secret not in sender.webhook_secret_sealed
    assert AuditEvent.objects.get(name="senders.sender.created").actor == agent


def test_a_sender_is_refused_with_every_problem_at_once(sender):
    with pytest.raises(ValidationError) as refused:
        sender_create(name=" ", enterprise_number="0403.170.702", contact_email="nope")

    assert set(refused.value.error_dict) == {"name", "enterprise_number", "contact_email"}
    with pytest.raises(ValidationError) as taken:
        sender_create(
            name="Copy", enterprise_number=sender.enterprise_number, contact_email="a@b.be"
        )
    assert taken.value.error_dict["enterprise_number"][0].code == "taken"
    assert Sender.objects.count() == 1


def test_members_are_added_changed_and_removed_with_an_audit_trail(sender, person_factory):
    person = person_factory()

    sender_member_add(sender=sender, person=person, role="staff")
    membership = sender_member_add(sender=sender, person=person, role="admin")
    sender_member_add(sender=sender, person=person, role="admin")  # no change, no event
    sender_member_remove(membership=membership, actor=None)

    assert not SenderMembership.objects.exists()
    names = list(
        AuditEvent.objects.filter(name__startswith="senders.member").values_list("name", flat=True)
    )
    assert sorted(names) == [
        "senders.member.added",
        "senders.member.added",
        "senders.member.removed",
    ]

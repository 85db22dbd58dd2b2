"""What merging two adminboxes (ES-12) needs from contracts: an address
attached as an alias, and every contract moved to the remaining person."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from paraph.audit.models import AuditEvent
from paraph.contracts.models import AccessLink
from paraph.contracts.services import contracts_move, recipient_alias_add

pytestmark = pytest.mark.django_db


def test_both_boxes_pending_contracts_end_in_one(make_contract, person_factory, clock):
    a = person_factory(email="anne@example.be")
    b = person_factory(email="anne.work@example.be")
    first = make_contract(recipient={"email": "anne@example.be"})
    second = make_contract(recipient={"email": "anne.work@example.be"})

    moved = contracts_move(source=b, target=a, actor=a)
    recipient_alias_add(person=a, email="Anne.Work@example.be", actor=a)

    assert moved == 1
    second.refresh_from_db()
    assert second.recipient == a and first.recipient == a
    assert second.events.last().name == "recipient_moved"
    assert not AccessLink.objects.filter(person=b).exists()
    # A later contract to the old address reaches the merged box.
    third = make_contract(recipient={"email": "anne.work@example.be"})
    assert third.recipient == a
    assert AuditEvent.objects.filter(name="contracts.recipient.moved").count() == 1


def test_an_alias_is_unique_and_never_the_persons_own_address(person_factory):
    a = person_factory(email="anne@example.be")
    b = person_factory(email="bob@example.be")
    recipient_alias_add(person=a, email="shared@example.be")

    with pytest.raises(ValidationError):
        recipient_alias_add(person=b, email="SHARED@example.be")
    with pytest.raises(ValidationError):
        recipient_alias_add(person=a, email="Anne@example.be")

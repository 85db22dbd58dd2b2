"""``paraph demo`` makes a sender with a key shown once and a contract
sent to Anne Martin."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from paraph.contracts.models import Contract
from paraph.senders.models import Sender
from paraph.senders.services import api_key_authenticate

pytestmark = pytest.mark.django_db


def test_the_demo_sender_its_key_and_a_contract_for_anne():
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)

    sender = Sender.objects.get()
    assert sender.name == "Intérim Demo" and sender.enterprise_number_display == "0123.456.749"
    shown = re.search(r"API key \(shown once\): (\S+)", first.getvalue())
    assert shown is not None, first.getvalue()
    key = api_key_authenticate(token=shown.group(1))
    assert key is not None and key.sender == sender
    assert "shown once" not in second.getvalue()
    (contract,) = Contract.objects.all()
    assert contract.recipient is not None
    assert contract.recipient.email == "anne.martin@demo.paraph.be"
    assert contract.status == "sent" and contract.sealed
    assert sender.memberships.get().person.email == "agent@demo.paraph.be"

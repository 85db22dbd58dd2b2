"""The law on temporary work: a contract is signed before work starts.
Past its deadline a contract can never be signed, even before the periodic
task archives it as "not signed"; the task tells the sender."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from paraph.contracts.services import (
    ContractNotSignable,
    contract_open,
    contract_sign_record,
    contracts_expire_due,
)
from paraph.contracts.tasks import contracts_expire_task
from paraph.contracts.tests.fixtures import signed_version
from paraph.notifications.models import SandboxMessage

pytestmark = pytest.mark.django_db


def _document(contract):
    with contract.document_pdf.open("rb") as handle:
        return handle.read()


def test_the_task_archives_contracts_past_their_deadline_and_tells_the_sender(
    make_contract, sender, clock, sandbox_email, deliver
):
    waiting = make_contract(recipient={"email": "a@example.be"})
    opened = make_contract(recipient={"email": "b@example.be"})
    contract_open(contract=opened, person=opened.recipient)
    later = make_contract(
        recipient={"email": "c@example.be"},
        start_of_work=(waiting.start_of_work + dt.timedelta(days=5)).isoformat(),
    )

    clock.move_to(waiting.deadline - dt.timedelta(seconds=1))
    assert contracts_expire_due() == 0
    clock.move_to(waiting.deadline)
    with deliver():
        result = contracts_expire_task.enqueue()

    assert result.return_value == 2
    for contract in (waiting, opened, later):
        contract.refresh_from_db()
    assert (waiting.status, opened.status, later.status) == ("not_signed", "not_signed", "sent")
    assert waiting.closed_at == waiting.deadline
    assert waiting.events.last().name == "expired"
    told = SandboxMessage.objects.filter(to=sender.contact_email)
    assert told.count() == 2
    assert all(waiting.title in m.subject for m in told)
    assert str(waiting.public_id) in " ".join(m.body_text for m in told)


def test_running_it_again_changes_nothing(make_contract, clock):
    contract = make_contract()
    clock.move_to(contract.deadline + dt.timedelta(hours=1))
    assert contracts_expire_due() == 1
    assert contracts_expire_due() == 0
    assert contract.events.filter(name="expired").count() == 1


def test_the_command_does_the_same(make_contract, clock, capsys):
    contract = make_contract()
    clock.move_to(contract.deadline)

    call_command("contracts-expire")

    assert "1 contract(s) archived as not signed" in capsys.readouterr().out
    contract.refresh_from_db()
    assert contract.status == "not_signed"


def test_a_signature_after_the_deadline_is_refused_before_the_task_runs(make_contract, clock):
    contract = make_contract()
    contract_open(contract=contract, person=contract.recipient)
    document = _document(contract)
    clock.move_to(contract.deadline + dt.timedelta(seconds=1))

    with pytest.raises(ContractNotSignable) as refused:
        contract_sign_record(
            contract=contract,
            person=contract.recipient,
            signed_pdf=signed_version(document),
            method="eid",
        )

    assert refused.value.code == "deadline_passed"
    contract.refresh_from_db()
    # Archived there and then, and nothing of the signature kept.
    assert contract.status == "not_signed"
    assert not contract.signed_pdf and contract.signed_sha256 == ""


def test_a_signature_one_second_before_the_deadline_is_accepted(make_contract, clock):
    contract = make_contract()
    clock.move_to(contract.deadline - dt.timedelta(seconds=1))

    signed = contract_sign_record(
        contract=contract,
        person=contract.recipient,
        signed_pdf=signed_version(_document(contract)),
        method="eid",
    )

    assert signed.status == "signed"


def test_opening_a_contract_past_its_deadline_archives_it(make_contract, clock):
    contract = make_contract()
    clock.move_to(contract.deadline)

    opened = contract_open(contract=contract, person=contract.recipient)

    assert opened.status == "not_signed"

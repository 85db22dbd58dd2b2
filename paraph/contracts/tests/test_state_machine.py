"""The contract's states (FLOWS.md, "Contract"): every action from every
state, allowed or refused; one evidence event and one audit event per
transition; and two concurrent attempts under the row lock."""

from __future__ import annotations

from typing import Any

import pytest

from paraph.accounts.models import Person
from paraph.audit.models import AuditEvent
from paraph.contracts.models import TRANSITIONS, Contract, ContractEvent, ContractStatus
from paraph.contracts.services import (
    ContractError,
    ContractNotSignable,
    ContractStateError,
    contract_expire,
    contract_open,
    contract_refuse,
    contract_reoffer,
    contract_revoke,
    contract_send,
    contract_sign_record,
)
from paraph.contracts.tests.fixtures import T0, signed_version
from paraph.core.tests.races import race
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db

STATES = list(ContractStatus.values)


def _document(contract: Contract) -> bytes:
    with contract.document_pdf.open("rb") as handle:
        return handle.read()


def _recipient(contract: Contract) -> Person:
    """The person a contract is for: every contract here has one."""
    assert contract.recipient is not None
    return contract.recipient


def _sign(contract: Contract) -> Contract:
    return contract_sign_record(
        contract=contract,
        person=_recipient(contract),
        signed_pdf=signed_version(_document(contract)),
        method="eid",
    )


@pytest.fixture
def in_state(make_contract: Any, clock: Any) -> Any:
    """A contract brought to ``state`` the way it happens in real life."""

    def bring(state: str) -> Contract:
        contract = make_contract(send=state != ContractStatus.CREATED)
        if state in (ContractStatus.OPENED,):
            contract_open(contract=contract, person=contract.recipient)
        elif state == ContractStatus.SIGNED:
            _sign(contract)
        elif state == ContractStatus.REFUSED:
            contract_refuse(contract=contract, person=contract.recipient, reason="no")
        elif state == ContractStatus.REVOKED:
            contract_revoke(contract=contract, reason="mistake")
        elif state == ContractStatus.NOT_SIGNED:
            clock.move_to(contract.deadline)
            assert contract_expire(contract=contract)
            clock.move_to(T0)
        elif state == ContractStatus.SUPERSEDED:
            contract_reoffer(contract=contract, pdf=contract_pdf(pages=1, title="v2"))
        contract.refresh_from_db()
        assert contract.status == state
        return contract

    return bring


def _do(action: str, contract: Contract, clock: Any) -> Any:
    if action == "send":
        return contract_send(contract=contract)
    if action == "open":
        return contract_open(contract=contract, person=_recipient(contract))
    if action == "sign":
        return _sign(contract)
    if action == "refuse":
        return contract_refuse(contract=contract, person=_recipient(contract))
    if action == "revoke":
        return contract_revoke(contract=contract)
    if action == "expire":
        clock.move_to(contract.deadline)
        return contract_expire(contract=contract)
    if action == "reoffer":
        return contract_reoffer(contract=contract, pdf=contract_pdf(pages=1, title="v2"))
    raise AssertionError(action)


# What each action makes of each state; a state missing from an action's
# map refuses it.
RESULTS = {
    "send": {"created": "sent"},
    "open": {"sent": "opened"},
    "sign": {"sent": "signed", "opened": "signed"},
    "refuse": {"sent": "refused", "opened": "refused"},
    "revoke": {"created": "revoked", "sent": "revoked", "opened": "revoked"},
    "expire": {"created": "not_signed", "sent": "not_signed", "opened": "not_signed"},
    "reoffer": {
        "created": "superseded",
        "sent": "superseded",
        "opened": "superseded",
        # A refusal or a missed deadline stays true; a new version follows it.
        "refused": "refused",
        "not_signed": "not_signed",
    },
}


def test_the_table_matches_the_model():
    # Every move the actions make is one the model allows, and every move the
    # model allows is made by some action.
    moves = {
        (old, new) for results in RESULTS.values() for old, new in results.items() if old != new
    }
    allowed = {(old, new) for old, news in TRANSITIONS.items() for new in news}
    assert moves == allowed


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(RESULTS))
def test_every_action_from_every_state(in_state, clock, state, action):
    contract = in_state(state)
    events_before = ContractEvent.objects.filter(contract=contract).count()
    audit_before = AuditEvent.objects.filter(
        subject_type="contracts.contract", subject_id=str(contract.pk)
    ).count()
    expected = RESULTS[action].get(state)

    if expected is None and action not in ("open", "expire"):
        with pytest.raises(ContractError) as refused:
            _do(action, contract, clock)
        assert isinstance(refused.value, ContractStateError | ContractNotSignable)
    else:
        _do(action, contract, clock)

    contract.refresh_from_db()
    events = ContractEvent.objects.filter(contract=contract).count() - events_before
    audit_events = AuditEvent.objects.filter(
        subject_id=str(contract.pk), subject_type="contracts.contract"
    )
    audits = audit_events.count() - audit_before
    if expected is None:
        # Refused, or (open, expire) nothing to do: nothing changed, nothing recorded.
        assert contract.status == state
        assert events == 0
        assert audits == 0
    else:
        assert contract.status == expected
        # Signing an unopened contract records the presentation too.
        moves = 2 if (action, state) == ("sign", "sent") else 1
        assert events == moves
        assert audits == moves


def test_each_transition_names_its_event_and_audit_event(in_state):
    contract = in_state("signed")
    names = list(contract.events.values_list("name", flat=True))
    assert names == ["created", "sent", "opened", "signed"]
    audit = list(
        AuditEvent.objects.filter(subject_type="contracts.contract", subject_id=str(contract.pk))
        .order_by("id")
        .values_list("name", flat=True)
    )
    assert audit == [
        "contracts.contract.created",
        "contracts.contract.sent",
        "contracts.contract.opened",
        "contracts.contract.signed",
    ]


def test_a_signed_contract_answers_already_signed(in_state):
    contract = in_state("signed")
    with pytest.raises(ContractNotSignable) as again:
        _sign(contract)
    assert again.value.code == "already_signed"
    with pytest.raises(ContractStateError) as revoke:
        contract_revoke(contract=contract)
    assert revoke.value.code == "already_signed"


def test_a_superseded_contract_can_no_longer_be_signed_but_its_successor_can(in_state):
    old = in_state("superseded")
    with pytest.raises(ContractNotSignable) as refused:
        _sign(old)
    assert refused.value.code == "superseded"
    new = old.superseded_by
    assert new.version == 2 and new.status == "sent"
    assert _sign(new).status == "signed"


# --- Concurrency: the row lock -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_signatures_at_once_make_one_signed_contract(make_contract):
    contract = make_contract()
    contract_open(contract=contract, person=contract.recipient)
    document = _document(contract)

    def sign(marker: bytes) -> Any:
        return lambda: contract_sign_record(
            contract=Contract.objects.get(pk=contract.pk),
            person=contract.recipient,
            signed_pdf=document + marker + b"\n%%EOF\n",
            method="eid",
        )

    results = race(sign(b"% first"), sign(b"% second"))

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ContractNotSignable) and errors[0].code == "already_signed"
    contract.refresh_from_db()
    assert contract.status == "signed"
    assert contract.events.filter(name="signed").count() == 1
    with contract.signed_pdf.open("rb") as handle:
        assert handle.read().startswith(document)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_revocation_racing_a_signature_leaves_exactly_one_outcome(make_contract):
    contract = make_contract()
    contract_open(contract=contract, person=contract.recipient)
    document = _document(contract)

    results = race(
        lambda: contract_revoke(contract=Contract.objects.get(pk=contract.pk), reason="race"),
        lambda: contract_sign_record(
            contract=Contract.objects.get(pk=contract.pk),
            person=contract.recipient,
            signed_pdf=signed_version(document),
            method="eid",
        ),
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ContractStateError)
    contract.refresh_from_db()
    assert contract.status in ("signed", "revoked")
    assert contract.events.filter(name__in=["signed", "revoked"]).count() == 1
    assert bool(contract.signed_pdf) == (contract.status == "signed")

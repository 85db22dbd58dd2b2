"""One flow for signing with the eID card (``paraph.signing.eid_flow``):
a contract and a mandate get the same words for the same card state, and
a signature whose recording fails leaves nothing signed, the audit log
true and the prepared signature usable for another try."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError
from django.urls import reverse

from paraph.adminbox.tests.test_eid_fixtures import *  # noqa: F403
from paraph.adminbox.tests.test_eid_fixtures import (
    card_signature,
    finish,
    post_json,
    prepare,
)
from paraph.audit.models import AuditEvent
from paraph.identity.providers.eid import sandbox as eid_sandbox
from paraph.mandates.models import Mandate
from paraph.signing.models import PreparedEidSignature

pytestmark = pytest.mark.django_db(transaction=True)

CONTRACT_OTHER_WAY = " Sign with a password instead."
MANDATE_OTHER_WAY = " Sign your mandate with a code instead."


def _mandate_prepare(client: Any, card: str) -> Any:
    started = client.post(reverse("mandates:start"), {"channel": "eid"})
    assert started["Location"] == reverse("mandates:eid")
    return post_json(
        client, reverse("mandates:eid_prepare"), eid_sandbox.card_signing_certificate(card)
    )


def _mandate_finish(client: Any, prepared_id: str, signature: str) -> Any:
    return post_json(
        client,
        reverse("mandates:eid_finish"),
        {"preparedId": prepared_id, "signature": signature},
    )


def _card_state(answer: Any, other_way: str) -> tuple[int, str, str]:
    """What the person reads of the card's state (the way without the card
    is the only part a contract and a mandate may word differently)."""
    data = answer.json()
    return answer.status_code, data["code"], data["message"].removesuffix(other_way)


# --- The same card state, the same words ---------------------------------------------


@pytest.mark.parametrize(
    ("holder_card", "card", "code"),
    [
        ("card1", "card2", "not_your_card"),
        ("revoked", "revoked", "card_revoked"),
        ("expired", "expired", "card_expired"),
        ("minor", "minor", "no_signing_certificate"),
    ],
)
def test_a_card_is_refused_in_the_same_words_for_a_contract_and_a_mandate(
    cards, holder, contract_for, signer, holder_card, card, code
):
    person = holder(holder_card)
    contract = contract_for(person)
    client = signer(person)

    for_contract = prepare(client, contract, card)
    for_mandate = _mandate_prepare(client, card)

    assert for_contract.json()["code"] == code
    assert _card_state(for_contract, CONTRACT_OTHER_WAY) == _card_state(
        for_mandate, MANDATE_OTHER_WAY
    )
    assert not PreparedEidSignature.objects.exists()


def test_a_wrong_or_stale_signature_is_refused_in_the_same_words_for_both(
    cards, holder, contract_for, signer
):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    for_contract = prepare(client, contract, "card1").json()
    for_mandate = _mandate_prepare(client, "card1").json()
    zero = {"hash": "A" * 43 + "=", "hashFunction": "SHA-256"}

    mismatches = [
        finish(client, contract, for_contract["preparedId"], card_signature("card1", zero)),
        _mandate_finish(client, for_mandate["preparedId"], card_signature("card1", zero)),
    ]
    # Each one's prepared signature offered to the other: not theirs.
    crossed = [
        finish(client, contract, for_mandate["preparedId"], card_signature("card1", for_mandate)),
        _mandate_finish(client, for_contract["preparedId"], card_signature("card1", for_contract)),
    ]

    first, second = (_card_state(a, "") for a in mismatches)
    assert first == second and first[1] == "signature_mismatch"
    first, second = (_card_state(a, "") for a in crossed)
    assert first == second and first[1] == "prepared_unknown"


def test_the_ocsp_responder_down_gets_the_same_words_for_both(
    eid_sign_template_ocsp_down, tmp_path, settings, holder, contract_for, signer, clock
):
    use_cards(eid_sign_template_ocsp_down, tmp_path, settings)  # noqa: F405
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)

    for_contract = prepare(client, contract, "card1")
    for_mandate = _mandate_prepare(client, "card1")

    assert _card_state(for_contract, "") == _card_state(for_mandate, "")
    assert for_contract.status_code == 503 and for_contract.json()["code"] == "ocsp_unavailable"


# --- A failure while recording ---------------------------------------------------------


@pytest.fixture
def record_fails_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The next signature's record (the prepared signature used up and
    ``signing.eid.signed`` written, in the service's transaction) goes
    through, then the database fails before the transaction commits."""
    from paraph.mandates import services as mandates
    from paraph.signing import services as signing

    real = signing.eid_signature_record
    failed: list[str] = []

    def record(**kwargs: Any) -> None:
        real(**kwargs)
        if not failed:
            failed.append(kwargs["prepared_id"])
            raise OperationalError("database is locked")

    monkeypatch.setattr(signing, "eid_signature_record", record)
    monkeypatch.setattr(signing.eid, "eid_signature_record", record)
    monkeypatch.setattr(mandates.signing, "eid_signature_record", record)
    return failed


def _signed_events() -> int:
    return AuditEvent.objects.filter(name="signing.eid.signed").count()


def test_a_contract_whose_record_fails_is_not_signed_and_the_same_card_signature_works_again(
    cards, holder, contract_for, signer, record_fails_once
):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    signature = card_signature("card1", data)

    failed = finish(client, contract, data["preparedId"], signature)

    assert record_fails_once == [data["preparedId"]]
    assert failed.status_code == 503 and failed.json()["code"] == "unavailable"
    assert "Nothing was signed" in failed.json()["message"]
    contract.refresh_from_db()
    assert contract.status != "signed" and not contract.signed_pdf
    assert _signed_events() == 0
    assert PreparedEidSignature.objects.get(pk=data["preparedId"]).finished_at is None

    retried = finish(client, contract, data["preparedId"], signature)

    assert retried.json() == {"redirect": reverse("mandates:signed", args=[contract.public_id])}
    contract.refresh_from_db()
    assert contract.status == "signed"
    assert _signed_events() == 1


def test_a_mandate_whose_record_fails_is_not_signed_and_the_same_card_signature_works_again(
    cards, holder, signer, record_fails_once
):
    person = holder("card1")
    client = signer(person)
    data = _mandate_prepare(client, "card1").json()
    signature = card_signature("card1", data)

    failed = _mandate_finish(client, data["preparedId"], signature)

    assert record_fails_once == [data["preparedId"]]
    assert failed.status_code == 503 and failed.json()["code"] == "unavailable"
    mandate = Mandate.objects.get(person=person)
    assert mandate.status == "pending" and not mandate.signed_pdf
    assert not AuditEvent.objects.filter(name="mandates.mandate.signed").exists()
    assert _signed_events() == 0
    assert PreparedEidSignature.objects.get(pk=data["preparedId"]).finished_at is None

    retried = _mandate_finish(client, data["preparedId"], signature)

    assert retried.json() == {"redirect": reverse("mandates:password")}
    mandate.refresh_from_db()
    assert mandate.status == "signed" and mandate.signed_with == "eid"
    assert _signed_events() == 1

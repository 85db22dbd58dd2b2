"""Storing a signature made by the signing engine: the way the adminbox
will do it (check, get the document, sign with the engine, record), and
what is refused. The signed PDF is stored whole, with its hash and its
evidence, or not at all."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from paraph.contracts.models import Contract
from paraph.contracts.selectors import contract_evidence
from paraph.contracts.services import (
    ContractAccessDenied,
    ContractError,
    ContractNotSignable,
    contract_check_signable,
    contract_open,
    contract_sign_record,
    contract_signing_input,
)
from paraph.contracts.tests.fixtures import T0, signed_version
from paraph.signing.selectors import signature_report
from paraph.signing.services import password_signature_make, signing_key_issue

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_a_password_signature_from_the_engine_is_stored_whole(make_contract, clock):
    contract = make_contract()
    person = contract.recipient
    signing_key_issue(
        person=person,
        password=PASSWORD,
        mandate_ref="M-2026-0001",
        valid_until=T0 + dt.timedelta(days=365),
    )

    contract_open(contract=contract, person=person)
    contract_check_signable(contract=contract, person=person)
    document = contract_signing_input(contract=contract)
    assert document.field_name == "Paraph-Recipient" and document.placement is None
    signed = password_signature_make(
        person=person,
        document=document.document,
        document_ref=document.document_ref,
        password=PASSWORD,
        field_name=document.field_name,
    )
    stored = contract_sign_record(
        contract=contract,
        person=person,
        signed_pdf=signed,
        method="password",
        mandate_ref="M-2026-0001",
        evidence={"unlocked_with": "password"},
    )

    assert stored.status == "signed" and stored.signed_at is not None
    assert stored.signed_sha256 == hashlib.sha256(signed).hexdigest()
    with stored.signed_pdf.open("rb") as handle:
        assert handle.read() == signed
    report = signature_report(signed)
    assert [s.signer for s in report.signed][1] == person.get_full_name()
    # Paraph's seal (certifying, form filling allowed) and the person's
    # signature in the field the seal prepared: both valid, the last whole.
    assert report.valid
    assert [s.field_name for s in report.signed] == ["Signature1", "Paraph-Recipient"]
    assert report.signatures[0].certification == "fill_forms"
    assert report.signed[-1].unchanged_since
    evidence = contract_evidence(contract=stored)
    assert evidence["signature"] == {
        "method": "password",
        "mandate": "M-2026-0001",
        "signed_at": stored.signed_at.isoformat(),
    }
    assert evidence["documents"]["signed"]["sha256"] == stored.signed_sha256
    signed_event = next(e for e in evidence["events"] if e["event"] == "signed")
    assert signed_event["details"]["evidence"] == {"unlocked_with": "password"}
    assert [a["event"] for a in evidence["audit_chain"]][-1] == "contracts.contract.signed"


def test_a_pdf_that_is_not_the_document_with_a_signature_is_refused(make_contract, pdf, clock):
    contract = make_contract()

    with pytest.raises(ContractError) as refused:
        contract_sign_record(
            contract=contract, person=contract.recipient, signed_pdf=pdf + b"%%EOF", method="eid"
        )

    assert refused.value.code == "document_mismatch"
    contract.refresh_from_db()
    assert contract.status == "sent" and not contract.signed_pdf


def test_another_person_cannot_sign(make_contract, person_factory, clock):
    contract = make_contract()
    intruder = person_factory()
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()

    with pytest.raises(ContractNotSignable) as refused:
        contract_sign_record(
            contract=contract, person=intruder, signed_pdf=signed_version(document), method="eid"
        )
    assert refused.value.code == "wrong_person"
    with pytest.raises(ContractAccessDenied):
        contract_open(contract=contract, person=intruder)


def test_when_the_database_write_fails_no_signed_file_is_left(make_contract, clock, monkeypatch):
    contract = make_contract()
    with contract.document_pdf.open("rb") as handle:
        document = handle.read()
    folder = f"contracts/{contract.sender_id}/{contract.public_id}"

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("paraph.contracts.services.common.webhook_event_emit", broken)
    with pytest.raises(RuntimeError):
        contract_sign_record(
            contract=contract,
            person=contract.recipient,
            signed_pdf=signed_version(document),
            method="eid",
        )

    contract = Contract.objects.get(pk=contract.pk)
    assert contract.status == "sent" and not contract.signed_pdf
    _dirs, files = default_storage.listdir(folder)
    assert sorted(files) == ["document.pdf", "original.pdf"]


def test_a_document_changed_on_disk_is_not_handed_to_the_engine(make_contract, clock):
    contract = make_contract()
    name = contract.document_pdf.name
    with default_storage.open(name, "rb") as handle:
        tampered = handle.read() + b"tampered"
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(tampered)) == name

    with pytest.raises(ContractError) as refused:
        contract_signing_input(contract=contract)
    assert refused.value.code == "document_altered"


def test_a_password_signature_needs_its_mandate(make_contract, clock):
    contract = make_contract()
    with pytest.raises(ValueError):
        contract_sign_record(
            contract=contract, person=contract.recipient, signed_pdf=b"x", method="password"
        )


def test_steps_of_the_signing_flow_are_added_to_the_evidence(make_contract, clock):
    from paraph.contracts.services import contract_evidence_add

    contract = make_contract()
    contract_evidence_add(
        contract=contract,
        step="code_sent",
        person=contract.recipient,
        data={"channel": "sms", "to": "+32 *** ** 34 56"},
    )

    evidence = contract_evidence(contract=contract)
    step = evidence["events"][-1]
    assert step["event"] == "code_sent" and step["details"]["channel"] == "sms"
    assert evidence["audit_chain"][-1]["event"] == "contracts.contract.evidence_added"
    contract.refresh_from_db()
    assert contract.status == "sent"
    with pytest.raises(ValueError):
        contract_evidence_add(contract=contract, step="signed")

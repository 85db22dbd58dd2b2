"""Archive renewal: a signed contract outlives its time-stamp authority's
certificate. Before the newest document time-stamp's certificate ends,
``paraph archive-renew`` adds a new one from the configured TSA, as an
incremental update, with one evidence event and one audit event.

The test PKI's first TSA certificate and its signing CA end on 2040-01-01,
the second TSA's certificate on 2044-12-01; the clock is moved to 2039 to
renew, and to 2041 to validate."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.contracts.archive import contract_archive_renew, contracts_archive_renew_due
from paraph.contracts.models import ContractEvent
from paraph.contracts.services import contract_open, contract_sign_record, contract_signing_input
from paraph.contracts.tests.fixtures import (  # noqa: F401 - fixtures
    isolated_media,
    make_contract,
    pdf,
    sender,
    sender_factory,
)
from paraph.signing.selectors import archive_state, signature_report, signing_crl_current
from paraph.signing.services import password_signature_make, signing_key_issue
from paraph.signing.tests.conftest import P12_PASSWORD

PASSWORD = "correct horse battery staple"
# The dates of the test PKI's two TSA certificates (belgium.yml), and a moment the
# tests travel to (time_machine) within a year of the first one's end.
FIRST_TSA_ENDS = datetime(2040, 1, 1, tzinfo=UTC)
SECOND_TSA_ENDS = datetime(2044, 12, 1, tzinfo=UTC)
IN_2039 = datetime(2039, 3, 1, 9, 0, tzinfo=UTC)
IN_2041 = datetime(2041, 6, 1, 9, 0, tzinfo=UTC)  # after both certificates ended

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_contract(signing_settings, make_contract, pki):  # noqa: F811 - the imported fixture
    signing_settings.SIGNING_LEVEL = "B-LTA"
    contract = make_contract()
    person = contract.recipient
    signing_key_issue(
        person=person,
        password=PASSWORD,
        mandate_ref="M-2026-0001",
        valid_until=timezone.now() + timedelta(days=365),
    )
    contract_open(contract=contract, person=person)
    document = contract_signing_input(contract=contract)
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
    )
    # Paraph's CRL, as validators outside the test process fetch it
    pki.serve_paraph_crl(_crl_der())
    return stored


def _bytes(contract) -> bytes:
    with contract.signed_pdf.open("rb") as handle:
        return handle.read()


def _use_second_tsa(signing_settings, pki) -> None:
    signing_settings.SIGNING_SANDBOX_TSA_PKCS12 = str(
        pki.pkcs12_path("paraph-tsa-2", chain=("paraph-root",), password=P12_PASSWORD)
    )


def _reads_counted(monkeypatch) -> list[str]:
    """The contracts whose signed file the archive renewal reads."""
    from paraph.contracts import archive

    reads: list[str] = []
    real = archive.contract_document_read

    def counted(*, contract, which):
        reads.append(str(contract.public_id))
        return real(contract=contract, which=which)

    monkeypatch.setattr(archive, "contract_document_read", counted)
    return reads


def test_nothing_is_renewed_while_the_time_stamp_has_years_left(signed_contract, monkeypatch):
    before = _bytes(signed_contract)
    assert archive_state(before).expires_at == FIRST_TSA_ENDS
    # known since the signature: the daily run does not even read the file
    assert signed_contract.archive_expires_at == FIRST_TSA_ENDS
    reads = _reads_counted(monkeypatch)

    run = contracts_archive_renew_due()

    assert (run.renewed, run.not_due, run.failed) == (0, 0, [])
    assert reads == []
    assert _bytes(signed_contract) == before


def test_a_contract_whose_end_is_not_known_yet_is_read_once(signed_contract, monkeypatch):
    """As every contract signed before Paraph recorded the end: the next
    run reads its file once, records the end, and leaves it alone after."""
    from paraph.contracts.models import Contract

    Contract.objects.filter(pk=signed_contract.pk).update(archive_expires_at=None)
    reads = _reads_counted(monkeypatch)

    first = contracts_archive_renew_due()
    second = contracts_archive_renew_due()

    assert (first.renewed, first.not_due, first.failed) == (0, 1, [])
    assert (second.renewed, second.not_due, second.failed) == (0, 0, [])
    assert reads == [str(signed_contract.public_id)]
    signed_contract.refresh_from_db()
    assert signed_contract.archive_expires_at == FIRST_TSA_ENDS
    # and when its end comes near, it is found and renewed as any other
    with time_machine.travel(IN_2039, tick=False):
        assert len(contracts_archive_renew_due().failed) == 1  # (the same TSA: refused)
    assert reads == [str(signed_contract.public_id)] * 2


def test_renewing_with_a_tsa_that_ends_no_later_is_refused_and_changes_nothing(
    signed_contract,
):
    before = _bytes(signed_contract)

    with time_machine.travel(IN_2039, tick=False):
        run = contracts_archive_renew_due()

    assert run.renewed == 0 and len(run.failed) == 1
    assert "configure a time-stamp authority with a newer certificate" in run.failed[0][1]
    signed_contract.refresh_from_db()
    assert _bytes(signed_contract) == before
    assert signed_contract.signed_sha256 == hashlib.sha256(before).hexdigest()
    assert not AuditEvent.objects.filter(name="contracts.contract.archive_renewed").exists()


def test_a_new_time_stamp_keeps_the_contract_valid_after_the_first_tsa_ended(
    signed_contract, signing_settings, pki, tmp_path, capsys
):
    before = _bytes(signed_contract)
    _use_second_tsa(signing_settings, pki)

    with time_machine.travel(IN_2039, tick=False):
        call_command("archive-renew")
        assert "1 contract(s) renewed" in capsys.readouterr().out
        call_command("archive-renew")  # a second run finds nothing due
        assert "0 contract(s) renewed, 0 read and not due" in capsys.readouterr().out

    signed_contract.refresh_from_db()
    renewed = _bytes(signed_contract)
    assert renewed.startswith(before), "an incremental update: the signed bytes are intact"
    assert signed_contract.signed_sha256 == hashlib.sha256(renewed).hexdigest()
    state = archive_state(renewed)
    assert state.expires_at == SECOND_TSA_ENDS and state.last_timestamp_at == IN_2039
    assert signed_contract.archive_expires_at == SECOND_TSA_ENDS
    event = ContractEvent.objects.get(contract=signed_contract, name="archive_renewed")
    audit = AuditEvent.objects.get(name="contracts.contract.archive_renewed")
    assert event.data["previous_sha256"] == hashlib.sha256(before).hexdigest()
    assert audit.data["timestamp_ends"] == SECOND_TSA_ENDS.isoformat()

    with time_machine.travel(IN_2039 + timedelta(days=1), tick=False):
        report = signature_report(renewed)
    assert report.valid, " | ".join(str(s.as_dict()) for s in report.signatures)
    stamps = [s for s in report.signatures if s.kind == "document_timestamp"]
    assert [s.signer for s in stamps][-1] == "Paraph Sandbox TSA 2 (Paraph test)"
    assert stamps[-1].unchanged_since


def test_the_renewed_contract_still_holds_after_the_first_tsa_and_the_signing_ca_ended(
    signed_contract, signing_settings, pki
):
    """2041: the first TSA's certificate and the CA that issued the
    person's certificate have both ended (2040-01-01). The renewal's
    time-stamp (valid until 2044) proves the earlier one, which proves the
    signature as it stood in 2026."""
    _use_second_tsa(signing_settings, pki)
    with time_machine.travel(IN_2039, tick=False):
        call_command("archive-renew")
    signed_contract.refresh_from_db()

    with time_machine.travel(IN_2041, tick=False):
        report = signature_report(_bytes(signed_contract))

    assert report.valid, " | ".join(str(s.as_dict()) for s in report.signatures)
    person = next(s for s in report.signatures if s.signer == "Anne Martin")
    assert person.long_term and person.trusted and not person.problems
    assert person.timestamp_time is not None and person.timestamp_time < FIRST_TSA_ENDS
    first, *_middle, newest = [s for s in report.signatures if s.kind == "document_timestamp"]
    assert first.long_term and not newest.long_term and newest.trusted


def test_without_renewal_the_contract_is_no_longer_proven_once_its_tsa_ended(signed_contract):
    """The same contract never renewed: in 2041 nothing vouches for its
    time-stamps any more, and the report says which one."""
    with time_machine.travel(IN_2041, tick=False):
        report = signature_report(_bytes(signed_contract))

    assert not report.valid
    stamps = [s for s in report.signatures if s.kind == "document_timestamp"]
    assert not stamps[-1].valid and not stamps[-1].trusted


def test_a_stored_file_that_does_not_match_its_hash_is_never_renewed(signed_contract):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from paraph.contracts.services import ContractError

    # Changed behind Paraph's back, in whichever storage keeps it.
    name = signed_contract.signed_pdf.name
    with default_storage.open(name, "rb") as handle:
        changed = handle.read() + b"\n% changed on disk\n"
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(changed)) == name

    with time_machine.travel(IN_2039, tick=False), pytest.raises(ContractError) as caught:
        contract_archive_renew(contract=signed_contract)

    assert caught.value.code == "integrity"


def _crl_der() -> bytes:
    crl = signing_crl_current()
    assert crl is not None, "Paraph's signing CA has published no CRL"
    return bytes(crl.der)

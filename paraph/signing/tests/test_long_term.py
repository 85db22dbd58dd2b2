"""Evidence that holds years later (issue 9): a contract signed with a
password under a mandate that was then renewed or expired, checked with the
clock moved 2, 6 and 11 years ahead. By then the person's one-year
certificate has long expired; the signature's time-stamp, the validation
data embedded at signing (B-LT) and the document time-stamp (B-LTA) prove it
was valid when it was made.

Each check is asked of Paraph (``paraph verify``) and of tools Paraph did
not write, run with the moved clock (libfaketime):

- pyHanko's AdES validator (``pyhanko sign adesverify``: ETSI EN 319 102-1
  long-term validation, only the root trusted) agrees with Paraph;
- pyHanko's point-in-time validator (``pyhanko sign validate``) and poppler's
  ``pdfsig`` check the certificate at today's date only, with no long-term
  validation: both find the signature intact and its certificate expired,
  which is true and is all they claim.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from paraph.signing import services
from paraph.signing.models import PersonSigningKey
from paraph.signing.selectors import signing_crl_current
from paraph.signing.tests.checks import pdfsig

PASSWORD = "correct horse battery staple"


@pytest.fixture
def emma(person_factory, signing_settings):
    signing_settings.SIGNING_LEVEL = "B-LTA"
    return person_factory(first_name="Emma", last_name="Claes", national_number="78092301823")


def _at(moment: datetime) -> list[str]:
    """A command prefix that runs a tool with its clock starting at
    ``moment`` (an absolute time: it holds whether or not the test run's own
    clock is moved by libfaketime too)."""
    path = shutil.which("faketime")
    assert path, "Debian's faketime is needed (scripts/ensure-system.sh installs it)"
    return [path, "-f", "@" + moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")]


def _pyhanko(
    command: str, path: Path, at: datetime, *, root: Path, intermediate: Path
) -> subprocess.CompletedProcess[str]:
    """pyHanko's command-line validator, trusting only ``root``, with its
    clock at ``at``."""
    return subprocess.run(
        [
            *_at(at),
            str(Path(sys.executable).with_name("pyhanko")),
            "sign",
            command,
            "--executive-summary",
            "--trust",
            str(root),
            "--trust-replace",
            "--other-certs",
            str(intermediate),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "TZ": "UTC"},
    )


def _paraph_pki(pki) -> dict[str, Path]:
    return {"root": pki.pem_path("paraph-root"), "intermediate": pki.pem_path("paraph-signing-ca")}


def _paraph_verify(path: Path, capsys) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as exited:
        call_command("verify", str(path), "--json")
    assert isinstance(exited.value.code, int)
    return exited.value.code, json.loads(capsys.readouterr().out)


def _verify_page(data: bytes) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client = Client(REMOTE_ADDR="192.0.2.11")
    client.cookies["paraph_language"] = "en"
    response = client.post(
        "/verify/",
        {"document": SimpleUploadedFile("c.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def _sign(emma) -> bytes:
    services.signing_key_issue(
        person=emma,
        password=PASSWORD,
        mandate_ref="M-2026-00042",
        valid_until=timezone.now() + timedelta(days=365),
    )
    from paraph.signing.tests.pdfs import contract_pdf

    return services.password_signature_make(
        person=emma, document=contract_pdf(pages=2), document_ref="c", password=PASSWORD
    )


@pytest.mark.django_db
@pytest.mark.parametrize("ending", ["renewed", "expired"])
@pytest.mark.parametrize("years", [2, 6, 11])
def test_a_password_signature_stays_valid_years_after_its_mandate_ended(
    emma, pki, nss_db, tmp_path, capsys, ending, years
):
    signed = _sign(emma)
    key = PersonSigningKey.objects.get(person=emma)
    if ending == "renewed":
        with time_machine.travel(timezone.now() + timedelta(days=30)):
            services.signing_key_issue(
                person=emma,
                password="the renewed password",
                mandate_ref="M-2026-00043",
                valid_until=timezone.now() + timedelta(days=365),
            )
    else:
        with time_machine.travel(key.not_after + timedelta(minutes=1)):
            services.signing_key_retire(key=key, reason="mandate expired")
    key.refresh_from_db()
    assert key.retired_at is not None and key.revoked_at is None
    pki.serve_paraph_crl(_crl_der())
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)

    with time_machine.travel(timezone.now() + timedelta(days=365 * years)):
        assert timezone.now() > key.not_after, "the certificate has expired by now"
        code, report = _paraph_verify(path, capsys)
        page = _verify_page(signed)
        later = timezone.now()
        ades = _pyhanko("adesverify", path, later, **_paraph_pki(pki))
        point_in_time = _pyhanko("validate", path, later, **_paraph_pki(pki))
    sigs = pdfsig(path, nss_db, prefix=tuple(_at(later)))

    # Paraph: valid, the certificate's expiry covered by the long-term data
    assert code == 0 and report["valid"], report
    (person_sig,) = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert person_sig["signer"] == "Emma Claes" and person_sig["level"] == "B-LTA"
    assert person_sig["trusted"] and person_sig["long_term"], person_sig
    # the public /verify/ page says the same, in words
    assert "the validation data and time-stamps in the document prove it was valid" in page
    # pyHanko's long-term (AdES) validator agrees
    assert ades.returncode == 0, ades.stdout + ades.stderr
    assert "Signature1:" in ades.stdout and ":VALID" in ades.stdout
    # point-in-time validators: intact, certificate expired today
    assert point_in_time.returncode != 0 and "INVALID" in point_in_time.stdout
    assert "end-entity certificate expired" in point_in_time.stderr
    (person_pdfsig,) = [s for s in sigs if s.signer == "Emma Claes"]
    assert person_pdfsig.valid and person_pdfsig.certificate_expired


@pytest.mark.django_db
@pytest.mark.parametrize("years", [2, 11])
def test_a_key_revoked_for_compromise_after_signing_is_refused_years_later(
    emma, pki, tmp_path, capsys, years
):
    """A revocation for compromise cannot tell the person's signatures from
    a thief's: Paraph refuses the signature, and so does pyHanko's
    point-in-time validator, which fetches Paraph's CRL. pyHanko's AdES
    validator relies on the validation data embedded at signing time and
    looks for no revocation issued since, so it still says valid: Paraph
    names the revocation instead."""
    signed = _sign(emma)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        services.signing_key_revoke(
            key=PersonSigningKey.objects.get(person=emma), reason="password seen by a colleague"
        )
    pki.serve_paraph_crl(_crl_der())
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)

    with time_machine.travel(timezone.now() + timedelta(days=365 * years)):
        code, report = _paraph_verify(path, capsys)
        point_in_time = _pyhanko("validate", path, timezone.now(), **_paraph_pki(pki))

    assert code == 1 and not report["valid"]
    (person_sig,) = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert person_sig["revocation"] == "revoked" and person_sig["signed_before_revocation"]
    assert point_in_time.returncode != 0 and "INVALID" in point_in_time.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("years", [2, 6, 11])
def test_an_eid_signature_whose_card_was_revoked_later_is_refused_by_every_validator(
    person_factory, signing_settings, pki, nss_db, tmp_path, capsys, years
):
    """Wim signs with his eID card today; a month later his card is revoked
    (reported stolen: keyCompromise). Years later Paraph, pyHanko's
    point-in-time validator and pdfsig (asking the card's OCSP responder)
    all refuse the signature. pyHanko's AdES validator is not asked: it
    accepts a revocation after the last document time-stamp as
    irrelevant, which is ETSI's answer for a key that was not known to be
    compromised, not Paraph's."""
    from paraph.signing.tests.cards import card_sign
    from paraph.signing.tests.pdfs import contract_pdf

    signing_settings.SIGNING_LEVEL = "B-LTA"
    wim = person_factory(first_name="Wim", last_name="Willems", national_number="88031512335")
    prepared = services.eid_signature_prepare(
        person=wim,
        document=contract_pdf(pages=2),
        document_ref="c",
        certificate=pki.cert_der("wim-sign"),
    )
    value = card_sign(pki.private_key("wim-sign"), prepared.digest, prepared.hash_function)
    signed = services.eid_signature_finish(
        person=wim, prepared_id=prepared.prepared_id, document_ref="c", signature_value=value
    )
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)

    with time_machine.travel(timezone.now() + timedelta(days=365 * years)):
        code, report = _paraph_verify(path, capsys)
        later = timezone.now()
        point_in_time = _pyhanko(
            "validate",
            path,
            later,
            root=pki.pem_path("belgium-root"),
            intermediate=pki.pem_path("citizen-ca"),
        )
        # pdfsig asks the OCSP responder in the card's certificate, which
        # answers for the moved clock (it runs in this process)
        sigs = pdfsig(path, nss_db, prefix=tuple(_at(later)))

    assert code == 1 and not report["valid"]
    (wim_sig,) = [s for s in report["signatures"] if s["kind"] == "signature"]
    assert wim_sig["signer"] == "Wim Willems (Signature)"
    assert wim_sig["revocation"] == "revoked" and wim_sig["signed_before_revocation"]
    assert point_in_time.returncode != 0 and "INVALID" in point_in_time.stdout
    (wim_pdfsig,) = [s for s in sigs if "Wim Willems" in s.signer]
    assert wim_pdfsig.valid and wim_pdfsig.certificate_revoked and not wim_pdfsig.trusted


@pytest.mark.django_db
@pytest.mark.parametrize("years", [2, 6, 11])
def test_documents_sealed_before_and_after_a_seal_key_rotation_stay_valid(
    signing_settings, pki, nss_db, tmp_path, capsys, years
):
    """Paraph's seal moves to a new key; documents sealed with the old key
    stay valid, and so do those sealed with the new one, years later, for
    Paraph, pyHanko's validator and pdfsig."""
    from paraph.signing.tests.conftest import P12_PASSWORD
    from paraph.signing.tests.pdfs import contract_pdf

    signing_settings.SIGNING_LEVEL = "B-LTA"
    before = services.seal_apply(document=contract_pdf(pages=1), document_ref="old")
    signing_settings.SIGNING_SEAL_PKCS12 = str(
        pki.pkcs12_path("paraph-seal-2", chain=("paraph-root",), password=P12_PASSWORD)
    )
    after = services.seal_apply(document=contract_pdf(pages=1), document_ref="new")

    for name, data, signer in (
        ("before.pdf", before, "Paraph seal (Paraph test)"),
        ("after.pdf", after, "Paraph seal 2 (Paraph test)"),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with time_machine.travel(timezone.now() + timedelta(days=365 * years)):
            code, report = _paraph_verify(path, capsys)
            later = timezone.now()
            point_in_time = _pyhanko("validate", path, later, **_paraph_pki(pki))
        sigs = pdfsig(path, nss_db, prefix=tuple(_at(later)))

        assert code == 0 and report["valid"], report
        (seal,) = [s for s in report["signatures"] if s["kind"] == "signature"]
        assert seal["signer"] == signer and seal["trust_anchor"] == "Paraph Root CA (Paraph test)"
        assert point_in_time.returncode == 0, point_in_time.stdout + point_in_time.stderr
        (seal_pdfsig,) = [s for s in sigs if s.signer == signer]
        assert seal_pdfsig.valid and seal_pdfsig.trusted


def _crl_der() -> bytes:
    crl = signing_crl_current()
    assert crl is not None, "Paraph's signing CA has published no CRL"
    return bytes(crl.der)

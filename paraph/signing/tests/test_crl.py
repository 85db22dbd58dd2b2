"""Paraph's signing CA publishes a CRL at a stable URL, named in every
person certificate, that validators fetch. Only a compromised key is on it:
a key retired by a renewal or the end of a mandate is not, so what it
signed stays valid for every validator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.management import call_command
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.signing import conf, engine, passwordkeys, services
from paraph.signing.models import PersonSigningKey, RevocationReason, SigningCrl
from paraph.signing.tasks import signing_crl_refresh_task
from paraph.signing.tests.checks import pyhanko_cli_validate, pyhanko_revocation_status

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
URL = "/pki/signing-ca.crl"


@pytest.fixture
def emma(person_factory, signing_settings):
    return person_factory(first_name="Emma", last_name="Claes", national_number="78092301823")


def _issue(person, password=PASSWORD):
    return services.signing_key_issue(
        person=person,
        password=password,
        mandate_ref="M-2026-00042",
        valid_until=timezone.now() + timedelta(days=365),
    )


def _get_crl(client):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    return x509.load_der_x509_crl(response.content)


def test_person_certificates_name_the_crl_at_base_url(emma, signing_settings):
    signing_settings.BASE_URL = "https://paraph.example.be"

    key = _issue(emma)

    cert = x509.load_der_x509_certificate(bytes(key.certificate))
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [p.full_name[0].value for p in points] == ["https://paraph.example.be" + URL]
    assert key.serial_number == format(cert.serial_number, "x")


def test_crl_lists_only_compromised_keys_signed_by_the_signing_ca(emma, client, pki):
    with time_machine.travel(NOW, tick=False):
        first = _issue(emma)
        empty = _get_crl(client)
        second = _issue(emma, password="a new password")  # renewal: the first is retired
        after_renewal = _get_crl(client)
        services.signing_key_revoke(key=second, reason="password told to a colleague")

        crl = _get_crl(client)

    ca = pki.cert("paraph-signing-ca")
    ca_cert = x509.load_der_x509_certificate(ca.dump())
    assert crl.issuer == ca_cert.subject
    public_key = ca_cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and crl.signature_hash_algorithm is not None
    public_key.verify(
        crl.signature, crl.tbs_certlist_bytes, padding.PKCS1v15(), crl.signature_hash_algorithm
    )
    assert len(empty) == 0
    assert len(after_renewal) == 0, "a superseded key is retired, not revoked"
    first.refresh_from_db()
    assert first.retired_at == NOW and first.revoked_at is None and not first.revocation_reason
    assert not first.encrypted_private_key, "a retired key's private key is erased"
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > empty.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert crl.last_update_utc == NOW and crl.next_update_utc == NOW + timedelta(days=7)
    entries = {
        format(e.serial_number, "x"): (
            e.revocation_date_utc,
            e.extensions.get_extension_for_class(x509.CRLReason).value.reason,
        )
        for e in crl
    }
    assert entries == {second.serial_number: (NOW, x509.ReasonFlags.key_compromise)}
    revoked = AuditEvent.objects.get(name="signing.key.revoked")
    assert revoked.data["crl_number"] == number
    assert revoked.data["revocation_reason"] == "key_compromise"
    assert revoked.data["reason"] == "password told to a colleague"
    assert not AuditEvent.objects.filter(name="signing.key.retired").exists(), (
        "the renewal's retirement is part of signing.key.issued"
    )
    issued = AuditEvent.objects.filter(name="signing.key.issued").order_by("pk")
    last = issued.last()
    assert last is not None and last.data["retired"] == [first.pk]


def test_crl_is_published_anew_every_day(emma, client, signing_settings):
    with time_machine.travel(NOW, tick=False):
        _issue(emma)
        first = SigningCrl.objects.get()
        assert _get_crl(client).next_update_utc == NOW + timedelta(days=7)
    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        signing_crl_refresh_task.call()
        assert SigningCrl.objects.count() == 1  # not due yet
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        signing_crl_refresh_task.call()
        newest = SigningCrl.objects.order_by("-number").first()
        assert newest is not None
        assert newest.number == first.number + 1
        assert newest.next_update == NOW + timedelta(days=8)
    with time_machine.travel(NOW + timedelta(days=2, hours=1), tick=False):
        # the task did not run: the page publishes rather than serve an old list
        crl = _get_crl(client)
        assert crl.last_update_utc == NOW + timedelta(days=2, hours=1)
    assert AuditEvent.objects.filter(name="signing.crl.published").count() == 2


def test_crl_refresh_command(emma, capsys):
    _issue(emma)

    call_command("signing-crl", "--force")

    assert "CRL" in capsys.readouterr().out
    assert SigningCrl.objects.count() == 2


def _verify_json(data, tmp_path, capsys):
    path = tmp_path / "checked.pdf"
    path.write_bytes(data)
    with pytest.raises(SystemExit) as exited:
        call_command("verify", str(path), "--json")
    (report,) = json.loads(capsys.readouterr().out)["signatures"]
    return exited.value.code, report


@pytest.mark.django_db(transaction=True)
def test_a_signature_made_before_a_renewal_stays_valid_for_every_validator(
    live_server,
    person_factory,
    signing_settings,
    contract,
    pki,
    independent_check,
    tmp_path,
    capsys,
):
    """The certificate names Paraph's CRL on a real (loopback) server: pyHanko
    fetches it there, as any validator would. Renewing the mandate retires
    the old key; Paraph, pyHanko's CLI and pdfsig still say "valid"."""
    signing_settings.BASE_URL = live_server.url
    emma = person_factory(first_name="Emma", last_name="Claes", national_number="78092301823")
    old = _issue(emma)
    before = services.password_signature_make(
        person=emma, document=contract, document_ref="c", password=PASSWORD
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        _issue(emma, password="the renewed password")  # the mandate renewed

        old.refresh_from_db()
        assert old.retired_at is not None and old.revoked_at is None
        code, report = _verify_json(before, tmp_path, capsys)
        assert code == 0 and report["valid"] and report["revocation"] == "good"
        path = tmp_path / "before.pdf"
        path.write_bytes(before)
        roots = [pki.pem_path("paraph-root")]
        others = [pki.pem_path("paraph-signing-ca")]
        assert pyhanko_cli_validate(path, roots=roots, other_certs=others) == ["VALID"]
        now = pyhanko_revocation_status(path, roots=roots, other_certs=others)
        assert now.trusted and not now.revoked
        (sig,) = independent_check(before)  # pdfsig: valid and trusted
        assert sig.valid and sig.trusted


@pytest.mark.django_db(transaction=True)
def test_a_compromised_key_is_refused_by_every_validator_before_and_after(
    live_server, person_factory, signing_settings, contract, pki, tmp_path, capsys
):
    """A revocation for compromise cannot tell the person's signatures from
    a thief's: Paraph and pyHanko (fetching Paraph's CRL over HTTP) refuse
    both, even the one time-stamped before. pdfsig is not asked: it checks
    revocation by OCSP only, and Paraph's signing CA publishes a CRL."""
    signing_settings.BASE_URL = live_server.url
    emma = person_factory(first_name="Emma", last_name="Claes", national_number="78092301823")
    key = _issue(emma)
    ca = conf.signing_ca_key()
    still_in_memory = passwordkeys.decrypt_private_key(
        bytes(key.encrypted_private_key),
        key.kdf,
        PASSWORD,
        certificate=bytes(key.certificate),
        chain=(ca.certificate, *ca.chain),
    )
    before = services.password_signature_make(
        person=emma, document=contract, document_ref="c", password=PASSWORD
    )

    # revoked ten minutes later (a time-stamp and a CRL count whole seconds)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        services.signing_key_revoke(key=key, reason="the person told us a colleague knows it")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        # a copy of the key that somehow survived signs after the revocation
        after = engine.sign_pdf(contract, key=still_in_memory, config=conf.engine_config())

        for data in (before, after):
            code, report = _verify_json(data, tmp_path, capsys)
            assert code == 1 and not report["valid"]
            assert report["revocation"] == "revoked" and report["revoked_at"]
        (made_before,) = engine.validate_pdf(before, trust=conf.trust()).signatures
        stamped, revoked = made_before.timestamp_time, made_before.revoked_at
        assert stamped is not None and revoked is not None
        assert stamped < revoked, "time-stamped before"

        roots = [pki.pem_path("paraph-root")]
        others = [pki.pem_path("paraph-signing-ca")]
        for name, data in (("before.pdf", before), ("after.pdf", after)):
            path = tmp_path / name
            path.write_bytes(data)
            now = pyhanko_revocation_status(path, roots=roots, other_certs=others)
            assert now.revoked and not now.trusted, "pyHanko sees the certificate revoked"
            assert now.revoked_at == made_before.revoked_at
        assert PersonSigningKey.objects.get(pk=key.pk).revocation_reason == (
            RevocationReason.KEY_COMPROMISE
        )

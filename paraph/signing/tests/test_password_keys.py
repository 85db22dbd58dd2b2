"""Password keys under a mandate: issue, sign, wrong passwords, renewal,
expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cryptography import x509
from cryptography.x509.oid import NameOID
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.signing import conf, engine, services
from paraph.signing.exceptions import KeyUnavailable
from paraph.signing.models import PersonSigningKey

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def emma(person_factory, signing_settings):
    return person_factory(first_name="Emma", last_name="Claes", national_number="78092301823")


def _issue(person, password=PASSWORD, days=365):
    return services.signing_key_issue(
        person=person,
        password=password,
        mandate_ref="mandate:1",
        valid_until=timezone.now() + timedelta(days=days),
    )


def test_issued_certificate_names_the_person_for_the_mandate_period(clock, emma):
    key = _issue(emma)

    cert = x509.load_der_x509_certificate(bytes(key.certificate))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Emma Claes"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "78092301823"
    assert cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Paraph Signing CA (Paraph test)"
    )
    assert cert.not_valid_after_utc == NOW + timedelta(days=365)
    assert key.kdf["kdf"] == "argon2id" and key.kdf["memory_cost_kib"] >= 65536
    assert key.kdf["salt"] and key.kdf["nonce"] and key.kdf["cipher"] == "AES-256-GCM"
    assert b"\x30\x82" not in bytes(key.encrypted_private_key)[:4]  # not a clear PKCS#8 blob
    assert AuditEvent.objects.filter(name="signing.key.issued").count() == 1


def test_person_without_national_number_gets_a_pseudonym(clock, person_factory, signing_settings):
    person = person_factory(first_name="John", last_name="Smith", national_number=None)

    key = _issue(person)

    cert = x509.load_der_x509_certificate(bytes(key.certificate))
    assert not cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    pseudonym = cert.subject.get_attributes_for_oid(NameOID.PSEUDONYM)[0].value
    assert isinstance(pseudonym, str) and pseudonym.startswith("PARAPH-")


def test_password_signature_is_the_persons_own_and_accepted_independently(
    emma, contract, independent_check
):
    # real clock: pdfsig and pyHanko's CLI run outside this process
    _issue(emma)

    signed = services.password_signature_make(
        person=emma, document=contract, document_ref="contract:7", password=PASSWORD
    )

    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid
    (sig,) = report.signatures
    assert sig.signer == "Emma Claes" and sig.signer_national_number == "78092301823"
    assert sig.issuer == "Paraph Signing CA (Paraph test)"
    assert sig.level == engine.Level.B_T
    independent_check(signed)
    assert AuditEvent.objects.filter(name="signing.password.signed").count() == 1


def test_wrong_password_never_signs_and_locks_after_five(clock, emma, contract):
    _issue(emma)

    for attempt in range(1, 6):
        with pytest.raises(KeyUnavailable) as caught:
            services.password_signature_make(
                person=emma, document=contract, document_ref="contract:7", password="wrong password"
            )
        # the fifth wrong password is refused and locks password signing at once
        assert caught.value.code == ("locked" if attempt == 5 else "wrong_password")
        assert PersonSigningKey.objects.get(person=emma).failed_attempts == attempt

    with pytest.raises(KeyUnavailable) as locked:
        services.password_signature_make(
            person=emma, document=contract, document_ref="contract:7", password=PASSWORD
        )
    assert locked.value.code == "locked"
    assert AuditEvent.objects.filter(name="signing.key.unlock_failed").count() == 5


def test_renewal_issues_a_new_key_and_the_old_password_stops_working(clock, emma, contract):
    old = _issue(emma, password="first password of emma")
    new = _issue(emma, password="second password of emma")

    old.refresh_from_db()
    assert old.retired_at is not None and new.retired_at is None
    assert new.certificate != old.certificate
    with pytest.raises(KeyUnavailable) as caught:
        services.password_signature_make(
            person=emma, document=contract, document_ref="c", password="first password of emma"
        )
    assert caught.value.code == "wrong_password"
    assert services.password_signature_make(
        person=emma, document=contract, document_ref="c", password="second password of emma"
    )


def test_expired_or_retired_key_never_signs(clock, emma, contract):
    key = _issue(emma, days=365)

    clock.move_to(NOW + timedelta(days=365, seconds=1))
    with pytest.raises(KeyUnavailable) as expired:
        services.password_signature_make(
            person=emma, document=contract, document_ref="c", password=PASSWORD
        )
    assert expired.value.code == "expired"

    services.signing_key_retire(key=key, reason="mandate expired")
    with pytest.raises(KeyUnavailable) as retired:
        services.password_signature_make(
            person=emma, document=contract, document_ref="c", password=PASSWORD
        )
    assert retired.value.code == "no_active_key"
    key.refresh_from_db()
    assert bytes(key.encrypted_private_key) == b""


def test_password_signature_at_b_lta(emma, contract, independent_check, signing_settings):
    signing_settings.SIGNING_LEVEL = "B-LTA"
    _issue(emma)

    signed = services.password_signature_make(
        person=emma, document=contract, document_ref="contract:7", password=PASSWORD
    )

    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid and report.signatures[0].level == engine.Level.B_LTA
    independent_check(signed)

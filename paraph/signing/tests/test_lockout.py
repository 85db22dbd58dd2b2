"""Wrong signing passwords lock password signing for a while (per key and
per person); eID signing keeps working; the contact centre lifts a lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone, translation

from paraph.accounts.tests.backoffice import staff_login
from paraph.audit.models import AuditEvent
from paraph.core.context import SYSTEM
from paraph.signing import services
from paraph.signing.exceptions import KeyUnavailable
from paraph.signing.models import PersonSigningKey
from paraph.signing.tests.cards import card_sign

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)  # 11:30 in Brussels
PASSWORD = "correct horse battery staple"
ADMIN = "/backoffice/signing/personsigningkey/"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def jan(person_factory, signing_settings):
    return person_factory(first_name="Jan", last_name="Peeters", national_number="85073003328")


def _issue(person, password=PASSWORD):
    return services.signing_key_issue(
        person=person,
        password=password,
        mandate_ref="M-1",
        valid_until=timezone.now() + timedelta(days=365),
    )


def _sign(person, contract, password):
    return services.password_signature_make(
        person=person, document=contract, document_ref="c", password=password
    )


def _wrong(person, contract, times):
    codes = []
    for _ in range(times):
        with pytest.raises(KeyUnavailable) as caught:
            _sign(person, contract, "not the password")
        codes.append(caught.value.code)
    return codes, caught.value


def test_lock_says_until_when_and_that_eid_still_works(clock, jan, contract, pki):
    _issue(jan)

    with translation.override("en"):
        codes, locked = _wrong(jan, contract, 5)

    assert codes == ["wrong_password"] * 4 + ["locked"]
    assert locked.locked_until == NOW + timedelta(minutes=30)
    assert "locked until" in str(locked) and "12:00" in str(locked)  # Brussels time
    assert "eID card" in str(locked)
    with pytest.raises(KeyUnavailable) as still:
        _sign(jan, contract, PASSWORD)  # even the right password, before the lock ends
    assert still.value.code == "locked"
    # the eID card is another way to sign, and is not locked
    request = services.eid_signature_prepare(
        person=jan, document=contract, document_ref="c", certificate=pki.cert_der("jan-sign")
    )
    value = card_sign(pki.private_key("jan-sign"), request.digest, request.hash_function)
    assert services.eid_signature_finish(
        person=jan, prepared_id=request.prepared_id, document_ref="c", signature_value=value
    )


def test_the_lock_ends_and_each_further_wrong_password_locks_again(clock, jan, contract):
    _issue(jan)
    _wrong(jan, contract, 5)

    clock.move_to(NOW + timedelta(minutes=31))
    codes, locked = _wrong(jan, contract, 1)
    assert codes == ["locked"]
    assert locked.locked_until == NOW + timedelta(minutes=61)

    clock.move_to(NOW + timedelta(minutes=62))
    assert _sign(jan, contract, PASSWORD)
    key = PersonSigningKey.objects.get(person=jan, retired_at__isnull=True)
    assert key.failed_attempts == 0 and key.locked_until is None


def test_a_renewed_key_does_not_restart_the_persons_daily_count(clock, jan, contract):
    _issue(jan, password="first")
    _wrong(jan, contract, 4)
    _issue(jan, password="second")  # new key, its own count starts at 0
    codes, _ = _wrong(jan, contract, 4)
    assert codes == ["wrong_password"] * 4
    _issue(jan, password="third")

    codes, locked = _wrong(jan, contract, 3)

    # 4 + 4 + 2 = 10 wrong passwords today; the 11th locks until the day's window ends
    assert codes == ["wrong_password", "wrong_password", "locked"]
    assert locked.locked_until >= NOW + timedelta(hours=23)


def test_contact_centre_unlock_service(clock, jan, contract, person_factory):
    key = _issue(jan)
    _wrong(jan, contract, 5)
    agent = person_factory(is_staff=True)

    assert services.person_signing_key_unlock(
        key=key, actor=agent, reason="Jan called, identity checked with itsme", context=SYSTEM
    )

    assert _sign(jan, contract, PASSWORD)
    event = AuditEvent.objects.get(name="signing.key.unlocked")
    assert event.actor_id == agent.pk
    assert event.data["reason"] == "Jan called, identity checked with itsme"
    assert event.data["old"]["failed_attempts"] == 5
    assert not services.person_signing_key_unlock(key=key, actor=agent, reason="again")
    with pytest.raises(ValueError):
        services.person_signing_key_unlock(key=key, actor=agent, reason="  ")


@pytest.fixture
def agent_client(client, person_factory):
    agent = person_factory(is_staff=True, first_name="Agent", language="en")
    agent.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="signing",
            codename__in=["view_personsigningkey", "change_personsigningkey"],
        )
    )
    client.cookies["paraph_language"] = "en"
    return staff_login(client, agent)


def test_admin_shows_no_key_material_and_nothing_editable(clock, jan, agent_client):
    key = _issue(jan)
    secret_bits = [
        bytes(key.encrypted_private_key)[:12].hex(),
        key.kdf["salt"],
        key.kdf["nonce"],
    ]

    listing = agent_client.get(ADMIN).content.decode()
    page = agent_client.get(f"{ADMIN}{key.pk}/change/").content.decode()

    assert "Jan Peeters" in listing and "M-1" in page and key.serial_number in page
    for text in (listing, page):
        for secret in secret_bits:
            assert secret not in text
        assert "encrypted" not in text.lower() and "argon2" not in text
    assert 'name="failed_attempts"' not in page  # read-only
    assert agent_client.get(f"{ADMIN}add/").status_code == 403
    assert agent_client.post(f"{ADMIN}{key.pk}/delete/").status_code == 403


def test_admin_action_unlocks_with_a_written_reason(clock, jan, contract, agent_client):
    key = _issue(jan)
    _wrong(jan, contract, 5)
    action = {"action": "unlock_password_signing", "_selected_action": [key.pk]}

    confirm = agent_client.post(ADMIN, action)
    assert confirm.status_code == 200
    assert "Reason for unlocking" in confirm.content.decode()
    missing = agent_client.post(ADMIN, {**action, "apply": "1", "reason": ""})
    assert "Write why password signing is unlocked." in missing.content.decode()
    assert PersonSigningKey.objects.get(pk=key.pk).locked_until is not None

    done = agent_client.post(
        ADMIN, {**action, "apply": "1", "reason": "Jan called; checked with itsme"}, follow=True
    )

    assert "Password signing was unlocked for 1 key." in done.content.decode()
    key.refresh_from_db()
    assert key.failed_attempts == 0 and key.locked_until is None
    event = AuditEvent.objects.get(name="signing.key.unlocked")
    assert event.data["reason"] == "Jan called; checked with itsme"
    assert _sign(jan, contract, PASSWORD)


def test_admin_action_revokes_a_compromised_key_with_a_written_reason(
    clock, jan, contract, agent_client
):
    key = _issue(jan)
    action = {"action": "revoke_compromised", "_selected_action": [key.pk]}

    confirm = agent_client.post(ADMIN, action)
    assert "every signature it made becomes invalid" in confirm.content.decode()
    missing = agent_client.post(ADMIN, {**action, "apply": "1", "reason": ""})
    assert "Write why the key is revoked." in missing.content.decode()
    assert PersonSigningKey.objects.get(pk=key.pk).revoked_at is None

    done = agent_client.post(
        ADMIN, {**action, "apply": "1", "reason": "Jan's laptop was stolen, unlocked"}, follow=True
    )

    assert "1 key was revoked." in done.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None and key.retired_at is not None
    assert key.revocation_reason == "key_compromise"
    event = AuditEvent.objects.get(name="signing.key.revoked")
    assert event.data["reason"] == "Jan's laptop was stolen, unlocked"
    with pytest.raises(KeyUnavailable):
        _sign(jan, contract, PASSWORD)
    from paraph.signing.selectors import signing_crl_current

    crl = signing_crl_current()
    assert crl is not None and crl.entries == 1

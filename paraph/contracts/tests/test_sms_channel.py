"""Later contracts announced by the channel the person chose (ES-9): an SMS
with a short link for someone whose adminbox is active and who chose SMS,
one e-mail without an activation link for someone who chose e-mail."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from paraph.accounts.models import NotificationChannel
from paraph.contracts.models import AccessLink
from paraph.notifications.models import SandboxMessage

pytestmark = pytest.mark.django_db

PHONE = "+32470555111"
SHORT = re.compile(r"http://testserver(/adminbox/l/([a-z0-9]{10})/)")


@pytest.fixture(autouse=True)
def _links_on_testserver(settings):
    settings.BASE_URL = "http://testserver"


@pytest.fixture
def anne(person_factory):
    """An active adminbox whose owner chose SMS and agreed to it (RG-7)."""
    return person_factory(
        email="anne@example.be",
        phone=PHONE,
        email_verified_at=timezone.now(),
        notification_channel=NotificationChannel.SMS,
        consent_phone_other_uses=True,
        language="en",
    )


def _sms(phone=PHONE):
    return list(SandboxMessage.objects.filter(channel="sms", to=phone))


def _short_link(sms: SandboxMessage) -> tuple[str, str]:
    """The path and the code of the short link an SMS carries."""
    found = SHORT.search(sms.body_text)
    assert found is not None, sms.body_text
    return found.group(1), found.group(2)


def test_a_person_who_chose_sms_gets_one_sms_with_a_short_link_and_no_email(
    anne, make_contract, sandbox_email, deliver, clock
):
    with deliver():
        contract = make_contract(recipient={"email": "anne@example.be"})

    (sms,) = _sms()
    assert "Intérim Test" in sms.body_text and "Contrat de travail intérimaire" in sms.body_text
    assert len(sms.body_text) <= 160 * 2
    assert SHORT.search(sms.body_text)
    assert not SandboxMessage.objects.filter(channel="email", to="anne@example.be").exists()
    sent = contract.events.get(name="sent").data
    assert sent["channel"] == "sms" and sent["links"] == ["short_contract"]


def test_the_short_link_leads_to_the_contract_behind_log_in(
    anne, make_contract, sandbox_email, deliver, client, clock
):
    with deliver():
        contract = make_contract(recipient={"email": "anne@example.be"})
    path, code = _short_link(_sms()[0])

    response = client.get(path)
    upper = client.get(path.replace(code, code.upper()))

    assert response.status_code == upper.status_code == 302
    assert str(contract.public_id) in response["Location"]
    assert contract.events.filter(name="link_used").count() == 2
    # Only its hash is kept.
    assert not AccessLink.objects.filter(token_hash=code).exists()


def test_a_wrong_short_code_is_a_404_and_guessing_is_stopped(client, db):
    for n in range(20):
        assert client.get(f"/adminbox/l/aaaaaaaa{n:02d}/").status_code == 404

    refused = client.get("/adminbox/l/aaaaaaaa99/")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_an_expired_short_link_says_so(anne, make_contract, sandbox_email, deliver, client, clock):
    with deliver():
        make_contract(recipient={"email": "anne@example.be"})
    path, _code = _short_link(_sms()[0])
    clock.shift(31 * 24 * 3600)

    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 410
    assert "This link has expired" in response.text


def test_without_consent_for_messages_on_the_phone_it_stays_email(
    anne, make_contract, sandbox_email, deliver, clock
):
    anne.consent_phone_other_uses = False
    anne.save(update_fields=["consent_phone_other_uses"])

    with deliver():
        make_contract(recipient={"email": "anne@example.be"})

    assert _sms() == []
    assert SandboxMessage.objects.filter(channel="email", to="anne@example.be").count() == 1


def test_an_adminbox_not_yet_active_gets_the_email_with_both_links_whatever_the_choice(
    person_factory, make_contract, sandbox_email, deliver, clock
):
    person_factory(
        email="new@example.be",
        phone=PHONE,
        notification_channel=NotificationChannel.SMS,
        consent_phone_other_uses=True,
    )  # e-mail not proven yet

    with deliver():
        make_contract(recipient={"email": "new@example.be"})

    assert _sms() == []
    (mail,) = SandboxMessage.objects.filter(channel="email", to="new@example.be")
    assert "/adminbox/activate/" in mail.body_text
    # A new address may be a second adminbox: the e-mail says how to identify it.
    assert "http://testserver/adminbox/" in mail.body_text
    assert 'data-link="identify"' in mail.body_html


def test_a_person_who_chose_email_gets_one_email_without_activation_link(
    anne, make_contract, sandbox_email, deliver, clock
):
    anne.notification_channel = NotificationChannel.EMAIL
    anne.save(update_fields=["notification_channel"])

    with deliver():
        make_contract(recipient={"email": "anne@example.be"})

    assert _sms() == []
    (mail,) = SandboxMessage.objects.filter(channel="email", to="anne@example.be")
    assert "/adminbox/activate/" not in mail.body_text
    assert 'data-link="identify"' not in mail.body_html

"""Senders and contracts in the contact centre's back office (/backoffice/):
readable, and a sender registered there gets its secret, audited."""

from __future__ import annotations

import pytest

from paraph.accounts.tests.backoffice import staff_login
from paraph.audit.models import AuditEvent
from paraph.senders.models import Sender, SenderMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, person_factory, clock):
    superuser = person_factory(is_staff=True, is_superuser=True, language="en")
    return staff_login(client, superuser)


def test_the_lists_and_a_contract_render(admin_client, make_contract, clock):
    contract = make_contract()
    for path in (
        "/backoffice/senders/sender/",
        "/backoffice/senders/apikey/",
        "/backoffice/senders/webhookendpoint/",
        "/backoffice/senders/webhookdelivery/",
        "/backoffice/contracts/contract/",
        "/backoffice/contracts/bulkbatch/",
        f"/backoffice/contracts/contract/{contract.pk}/change/",
    ):
        response = admin_client.get(path)
        assert response.status_code == 200, path
    page = admin_client.get(
        f"/backoffice/contracts/contract/{contract.pk}/change/"
    ).content.decode()
    assert contract.original_sha256 in page
    assert "secret_hash" not in admin_client.get("/backoffice/senders/apikey/").content.decode()
    senders = admin_client.get("/backoffice/senders/sender/").content.decode()
    assert "Enterprise number" in senders and "ENTERPRISE NUMBER DISPLAY" not in senders.upper()


def test_a_sender_registered_in_the_back_office_gets_a_secret(admin_client):
    response = admin_client.post(
        "/backoffice/senders/sender/add/",
        {
            "name": "Intérim Neuf",
            "enterprise_number": "BE 0403.170.701",
            "contact_email": "hr@neuf.be",
            "language": "nl",
            "is_active": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    sender = Sender.objects.get()
    assert sender.enterprise_number == "0403170701"
    assert sender.language == "nl", "the API speaks Dutch to it"
    assert sender.webhook_secret.startswith("whsec_")
    added = AuditEvent.objects.get(name="backoffice.object.added")
    assert "webhook_secret_sealed" not in str(added.data)


def test_members_given_and_taken_in_the_back_office_are_audited_with_the_agent(
    admin_client, sender, person_factory
):
    marie = person_factory(first_name="Marie")
    base = {
        "name": sender.name,
        "enterprise_number": sender.enterprise_number,
        "contact_email": sender.contact_email,
        "language": sender.language,
        "is_active": "on",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-0-person": str(marie.pk),
        "memberships-0-role": "admin",
    }
    path = f"/backoffice/senders/sender/{sender.pk}/change/"

    added = admin_client.post(path, base)
    membership = SenderMembership.objects.get(sender=sender, person=marie)
    removed = admin_client.post(
        path,
        {
            **base,
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(membership.pk),
            "memberships-0-sender": str(sender.pk),
            "memberships-0-DELETE": "on",
        },
    )

    assert added.status_code == removed.status_code == 302
    assert not SenderMembership.objects.filter(sender=sender).exists()
    events = {e.name: e for e in AuditEvent.objects.filter(name__startswith="senders.member.")}
    assert set(events) == {"senders.member.added", "senders.member.removed"}
    assert all(e.actor_id is not None for e in events.values())
    assert events["senders.member.added"].data["role"] == "admin"
    assert events["senders.member.removed"].data["person"] == marie.pk

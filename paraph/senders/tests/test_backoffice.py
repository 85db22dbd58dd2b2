"""The sender back office (/sender/): who gets in, sending and following
contracts, keys shown once, webhooks with their log, every action audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paraph.audit.models import AuditEvent
from paraph.contracts.models import Contract
from paraph.senders.models import ApiKey, WebhookEndpoint
from paraph.senders.services import api_key_authenticate, sender_member_add
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def office(client, staff, clock):
    # Logged in at the pinned moment, so the session's clock agrees.
    staff.language = "en"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    client.defaults.update(EN)
    return client


def _contract_form(pdf, **overrides):
    data = {
        "title": "Contrat intérimaire",
        "first_name": "Anne",
        "last_name": "Martin",
        "email": "anne.martin@example.be",
        "phone": "0470 12 34 56",
        "national_number": "",
        "language": "fr",
        "external_reference": "W-1",
        "start_of_work": "2026-12-03T08:00",
        "signing_deadline": "",
        "signature_page": "",
        "pdf": SimpleUploadedFile("c.pdf", pdf, content_type="application/pdf"),
    }
    data.update(overrides)
    return data


def test_a_visitor_is_sent_to_the_sms_log_in(client):
    response = client.get("/sender/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/sender/")


def test_a_person_without_a_membership_is_told_and_pointed_to_the_contact_page(
    client, person_factory
):
    client.force_login(person_factory())
    response = client.get("/sender/", **EN)
    assert response.status_code == 403
    assert "/sender/contact/" in response.content.decode()


def test_staff_send_a_contract_and_follow_it(office, pdf, clock, staff):
    response = office.post("/sender/contracts/new/", _contract_form(pdf))

    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sender/contracts/{contract.public_id}/"
    assert contract.created_by == staff and contract.status == "sent"
    # The form's moment is Brussels time.
    assert contract.start_of_work == dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)
    page = office.get(response["Location"]).content.decode()
    assert "Contrat intérimaire" in page and 'data-testid="contract-status"' in page
    # the history in words, not the evidence's codes
    assert "Created by the sender" in page and "Sent to the recipient" in page
    assert "<strong>created</strong>" not in page
    staff.language = "nl"
    staff.save(update_fields=["language"])
    dutch = office.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "<strong>sent</strong>" not in dutch and "Sent to the recipient" not in dutch
    assert AuditEvent.objects.filter(name="contracts.contract.created", actor=staff).exists()


def test_a_bad_pdf_comes_back_next_to_the_field(office, clock):
    response = office.post("/sender/contracts/new/", _contract_form(b"%PDF-1.4 nope"))

    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_pdf_error"' in html
    assert 'aria-invalid="true"' in html
    assert not Contract.objects.exists()


def test_the_contract_list_costs_the_same_queries_for_few_and_many(office, make_contract, clock):
    make_contract(recipient={"email": "a@example.be"})
    office.get("/sender/")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert office.get("/sender/").status_code == 200
        return len(captured)

    few = queries()
    for n in range(8):
        make_contract(recipient={"email": f"p{n}@example.be"})
    assert queries() == few


def test_another_senders_contract_is_not_found(office, other_sender, make_contract, clock):
    theirs = make_contract(sender=other_sender)
    for path in ("", "original.pdf", "evidence.json"):
        assert office.get(f"/sender/contracts/{theirs.public_id}/{path}").status_code == 404
    assert office.post(f"/sender/contracts/{theirs.public_id}/revoke/").status_code == 404


def test_revoke_and_reoffer_from_the_page(office, make_contract, clock, staff):
    first = make_contract()
    office.post(
        f"/sender/contracts/{first.public_id}/reoffer/",
        {
            "pdf": SimpleUploadedFile(
                "v2.pdf", contract_pdf(pages=1), content_type="application/pdf"
            )
        },
    )
    first.refresh_from_db()
    second = first.superseded_by
    office.post(f"/sender/contracts/{second.public_id}/revoke/", {"reason": "cancelled"})

    second.refresh_from_db()
    assert (first.status, second.status, second.version) == ("superseded", "revoked", 2)
    assert second.events.get(name="revoked").actor == staff


def test_downloads_are_audited(office, make_contract, clock, staff):
    contract = make_contract()

    original = office.get(f"/sender/contracts/{contract.public_id}/original.pdf")
    evidence = office.get(f"/sender/contracts/{contract.public_id}/evidence.json")

    assert original["Content-Type"] == "application/pdf"
    assert evidence.json()["contract"]["id"] == str(contract.public_id)
    downloads = AuditEvent.objects.filter(name="contracts.contract.downloaded", actor=staff)
    assert sorted(e.data["what"] for e in downloads) == ["evidence", "original"]


def test_a_new_api_key_is_shown_once(office, sender):
    response = office.post(
        "/sender/keys/", {"name": "HR prod", "scopes": ["contracts:read", "contracts:write"]}
    )

    assert "no-store" in response["Cache-Control"]
    shown = re.search(r'value="(paraph_[^"]+)"', response.content.decode())
    assert shown is not None, "the new key is shown"
    token = shown.group(1)
    key = api_key_authenticate(token=token)
    assert key is not None and key.sender == sender
    again = office.get("/sender/keys/").content.decode()
    assert token not in again and token.split(".")[0] in again


def test_keys_and_webhooks_are_for_administrators_only(client, sender, person_factory):
    clerk = person_factory()
    sender_member_add(sender=sender, person=clerk, role="staff")
    client.force_login(clerk)

    assert client.get("/sender/").status_code == 200
    assert client.get("/sender/keys/").status_code == 403
    assert (
        client.post("/sender/keys/", {"name": "x", "scopes": ["contracts:read"]}).status_code == 403
    )
    assert client.get("/sender/webhooks/").status_code == 403
    assert not ApiKey.objects.exists()


def test_revoking_a_key(office, sender, staff):
    from paraph.senders.services import api_key_create

    key, token = api_key_create(sender=sender, name="x", scopes=["contracts:read"], actor=staff)
    office.post(f"/sender/keys/{key.pk}/revoke/")
    assert api_key_authenticate(token=token) is None


def test_webhooks_are_added_tested_and_their_secret_revealed_on_request(office, sender, deliver):
    from paraph.senders.tests.receiver import Receiver

    receiver = Receiver(secret=sender.webhook_secret).start()
    try:
        office.post("/sender/webhooks/", {"url": receiver.url, "events": ["contract.sent"]})
        endpoint = WebhookEndpoint.objects.get()
        with deliver():
            office.post(f"/sender/webhooks/{endpoint.public_id}/ping/")
        log = office.get(f"/sender/webhooks/{endpoint.public_id}/").content.decode()
    finally:
        receiver.stop()

    assert receiver.received[0].signature_valid
    assert log.count('data-testid="delivery-row"') == 1
    assert sender.webhook_secret not in office.get("/sender/webhooks/").content.decode()
    revealed = office.post("/sender/webhooks/", {"action": "reveal"}).content.decode()
    assert sender.webhook_secret in revealed


def test_a_person_in_two_senders_chooses(client, sender, other_sender, person_factory):
    person = person_factory()
    sender_member_add(sender=sender, person=person, role="staff")
    sender_member_add(sender=other_sender, person=person, role="staff")
    client.force_login(person)

    first = client.get("/sender/")
    chosen = client.post("/sender/choose/", {"sender": other_sender.pk, "next": "/sender/"})

    assert first.status_code == 302 and first["Location"].startswith("/sender/choose/")
    assert chosen["Location"] == "/sender/"
    assert other_sender.name in client.get("/sender/").content.decode()


def test_every_page_says_it_is_a_sandbox(office):
    assert "sandbox" in office.get("/sender/").content.decode().lower()


def test_the_created_state_is_not_worded_as_a_creation_date(client, staff, clock):
    # In French "created" of a date column reads "créé le" ("created on"): the
    # status filter and badge are a state, with words of their own.
    from django.utils import translation

    from paraph.contracts.models import ContractStatus

    staff.language = "fr"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    page = client.get("/sender/").content.decode()

    found = re.search(r'<label for="status-created">(.*?)</label>', page)
    assert found is not None, "the status filter has a label for created"
    label = found.group(1)
    assert label != "créé le"
    with translation.override("fr"):
        assert str(ContractStatus.CREATED.label) != "créé le"

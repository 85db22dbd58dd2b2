"""The adminbox's tabs (ES-5, ES-9): tasks soonest deadline first,
documents from every sender in any state, preferences; the same number
of queries whatever the number of documents."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paraph.accounts.models import Person
from paraph.adminbox.tests.helpers import copies, hours
from paraph.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def anne(person_factory, activated):
    return activated(person_factory(email="anne@example.be", phone="+32470123456"))


@pytest.fixture
def first(make_contract, anne, clock):
    return make_contract(recipient={"email": "anne@example.be"}, title="First contract")


def test_tasks_list_waiting_contracts_soonest_deadline_first(
    first, anne, logged_in, make_contract, other_sender
):
    later = copies(first, 1, title="Later", deadline=first.deadline + hours(5))[0]
    sooner = make_contract(
        recipient={"email": "anne@example.be"},
        title="Sooner",
        sender=other_sender,
        signing_deadline=(first.deadline - hours(5)).isoformat(),
    )
    copies(first, 1, title="Already signed", status="signed")
    copies(first, 1, title="Revoked one", status="revoked")

    body = logged_in(anne).get("/adminbox/").content.decode()

    titles = ["Sooner", "First contract", "Later"]
    positions = [body.index(t) for t in titles]
    assert positions == sorted(positions)
    assert "Already signed" not in body and "Revoked one" not in body
    assert "Other Agency" in body and "Intérim Test" in body
    assert f"/adminbox/contract/{sooner.public_id}/" in body
    assert f"/adminbox/contract/{later.public_id}/" in body
    assert body.count(">Sign<") == 3


def test_documents_list_everything_with_status_and_downloads(first, anne, logged_in):
    (signed,) = copies(
        first,
        1,
        title="Signed one",
        status="signed",
        signed_pdf=first.document_pdf.name,
        signed_sha256=first.document_sha256,
    )
    copies(first, 1, title="Refused one", status="refused")

    body = logged_in(anne).get("/adminbox/documents/").content.decode()

    for title in ("First contract", "Signed one", "Refused one"):
        assert title in body
    assert f"/adminbox/contract/{signed.public_id}/download/" in body
    assert f"/adminbox/contract/{signed.public_id}/report/" in body
    assert f"/adminbox/contract/{first.public_id}/download/" not in body  # not signed yet


def test_documents_filter_by_status_and_search(first, anne, logged_in):
    copies(first, 1, title="Signed one", status="signed")
    client = logged_in(anne)

    signed_only = client.get("/adminbox/documents/?status=signed").content.decode()
    assert "Signed one" in signed_only and "First contract" not in signed_only
    found = client.get("/adminbox/documents/?q=first").content.decode()
    assert "First contract" in found and "Signed one" not in found
    by_sender = client.get("/adminbox/documents/?q=Intérim").content.decode()
    assert "First contract" in by_sender and "Signed one" in by_sender
    assert client.get("/adminbox/documents/?status=nonsense&page=zz").status_code == 200


def test_another_persons_documents_are_not_listed(first, anne, logged_in, person_factory):
    other = person_factory()
    assert "First contract" not in logged_in(other).get("/adminbox/documents/").content.decode()
    assert "First contract" not in logged_in(other).get("/adminbox/").content.decode()


def test_pages_of_25_with_next_and_previous(first, anne, logged_in):
    copies(
        first, 30, title=lambda n: f"Copy {n:02d}", deadline=lambda n: first.deadline + hours(n + 1)
    )
    client = logged_in(anne)
    page1 = client.get("/adminbox/").content.decode()
    page2 = client.get("/adminbox/?page=2").content.decode()
    assert page1.count(">Sign<") == 25 and 'rel="next"' in page1
    assert page2.count(">Sign<") == 6 and 'rel="prev"' in page2 and 'rel="next"' not in page2


@pytest.mark.parametrize(
    "url", ["/adminbox/", "/adminbox/documents/", "/adminbox/documents/?status=sent&q=contract"]
)
def test_a_tab_costs_the_same_queries_for_5_and_for_60_documents(
    url, first, anne, logged_in, django_assert_num_queries
):
    client = logged_in(anne)
    copies(first, 4)
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).status_code == 200
    assert len(five.captured_queries) <= 8, [q["sql"] for q in five.captured_queries]

    copies(first, 55)
    with django_assert_num_queries(len(five.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_tabs_need_a_log_in(en_client, db):
    for url in ("/adminbox/", "/adminbox/documents/", "/adminbox/preferences/"):
        response = en_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/?next=/adminbox/")


def test_preferences_choose_sms_and_it_is_audited(anne, logged_in):
    client = logged_in(anne)
    page = client.get("/adminbox/preferences/").content.decode()
    assert "short link" in page
    response = client.post("/adminbox/preferences/", {"notification_channel": "sms"})
    assert response.status_code == 302
    anne.refresh_from_db()
    assert anne.notification_channel == "sms" and anne.consent_phone_other_uses
    event = AuditEvent.objects.get(name="adminbox.preferences.channel_changed")
    assert event.data == {"old": "email", "new": "sms"}


def test_sms_needs_a_verified_phone(person_factory, logged_in):
    person = person_factory(phone="", phone_verified_at=None)
    client = logged_in(person)
    assert "disabled" in client.get("/adminbox/preferences/").content.decode()
    response = client.post("/adminbox/preferences/", {"notification_channel": "sms"})
    assert response.status_code == 200
    assert "must be verified first" in response.content.decode()
    assert Person.objects.get(pk=person.pk).notification_channel == "email"


def test_preferences_change_the_language_on_the_account(anne, logged_in):
    client = logged_in(anne)
    response = client.post("/language/", {"language": "nl", "next": "/adminbox/preferences/"})
    assert response["Location"] == "/adminbox/preferences/"
    assert Person.objects.get(pk=anne.pk).language == "nl"

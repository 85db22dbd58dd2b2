"""A confirmed IDnow fraud stops a new attempt with the same document
(issue 14): the document (country, type, number) is kept only as a keyed
hash; a new identification with it is refused with a message that is true
and tells a fraudster nothing; the contact centre sees the block and lifts
it with a written reason, audited; then the document works again."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from paraph.accounts.tests.backoffice import staff_login
from paraph.audit.models import AuditEvent
from paraph.identity.models import IdnowDocumentBlock, IdnowIdentification
from paraph.identity.providers.idnow.checks import (
    idnow_document_key,
)
from paraph.identity.providers.idnow.services import (
    idnow_identification_create,
    idnow_webhook_authorization,
)
from paraph.identity.tests.idnow_peer import (  # noqa: F401 (fixture)
    COMPANY,
    DOCUMENT,
    WEBHOOK_SECRET,
    idnow_gateway_fixture,
    idnow_result,
    polish_mrz,
)
from paraph.notifications.tests.conftest import find

pytestmark = pytest.mark.django_db

START = "/register/idnow/start/"
FORM = {
    "country": "PL",
    "document_type": "passport",
    "given_name": "Zofia Anna",
    "family_name": "Kowalska",
    "birth_date": "1990-03-14",
    "email": "zofia.kowalska@example.pl",
}
REAL = "paraph.identity.providers.idnow.IdnowProvider"
ADMIN = "/backoffice/identity/idnowdocumentblock/"
BLOCKED = (
    "This identity document cannot be used to register online. Please call the contact centre."
)


@pytest.fixture(autouse=True)
def _real_idnow(settings):
    settings.IDNOW_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.IDNOW_COMPANY_ID = COMPANY
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "idnow": REAL}


def webhook(data) -> None:
    response = Client().post(
        "/register/idnow/webhook/",
        json.dumps(data).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=idnow_webhook_authorization(WEBHOOK_SECRET),
    )
    assert response.status_code == 200, response.content


def confirmed_fraud(txn: str = "PRFFRAUD1", **document: str) -> IdnowIdentification:
    """An identification of the same document, which IDnow's reviewers
    found fraudulent."""
    identification = idnow_identification_create(
        transaction_number=txn,
        ident_id="TST-FRAUD",
        country="PL",
        document_type="passport",
        attempt=None,
        sandbox=False,
    )
    webhook(idnow_result(txn, "FRAUD_SUSPICION_PENDING", document=document or None))
    webhook(idnow_result(txn, "FRAUD_SUSPICION_CONFIRMED", document=document or None))
    return identification


def attempt_with_the_document(idnow_gateway, **document: str):
    """A new person's browser: IDnow with the default Polish passport,
    which IDnow says it identified; the status page as she sees it."""
    client = Client()
    client.cookies["paraph_language"] = "en"
    assert client.post("/register/start/idnow/")["Location"] == START
    started = client.post(START, FORM)
    assert started.status_code == 302, started
    txn = IdnowIdentification.objects.latest("created_at").transaction_number
    mrz = polish_mrz(document_number=document["number"]) if document else "default"
    idnow_gateway.results[txn] = idnow_result(txn, "SUCCESS", document=document or None, mrz=mrz)
    assert client.get("/register/idnow/return/")["Location"] == "/register/idnow/status/"
    return client, client.get("/register/idnow/status/")


@pytest.fixture
def agent_client(person_factory):
    agent = person_factory(is_staff=True, first_name="Agent", language="en")
    agent.groups.add(Group.objects.get(name="Contact centre agents"))
    client = Client()
    client.cookies["paraph_language"] = "en"
    return staff_login(client, agent), agent


def test_the_document_of_a_confirmed_fraud_is_kept_as_a_hash_only():
    confirmed_fraud()

    block = IdnowDocumentBlock.objects.get()
    kept = json.dumps(
        {f.name: str(getattr(block, f.attname)) for f in IdnowDocumentBlock._meta.fields}
    )
    assert DOCUMENT["number"] not in kept
    assert (block.country, block.document_type, block.active) == ("PL", "PASSPORT", True)
    assert AuditEvent.objects.filter(name="identity.idnow.document_blocked").count() == 1


def test_a_new_attempt_with_the_same_document_is_refused_without_saying_why(idnow_gateway):
    confirmed_fraud()

    client, page = attempt_with_the_document(idnow_gateway)

    (refusal,) = find(page.content, "p", data_testid="idnow-refusal")
    assert refusal.text == BLOCKED
    assert "fraud" not in page.content.decode().lower()
    assert not find(page.content, "a", data_testid="idnow-retry")
    refused = client.post("/register/idnow/continue/")
    assert BLOCKED in client.get(refused["Location"]).content.decode()
    assert IdnowDocumentBlock.objects.get().refusals == 1


def test_another_document_is_not_refused(idnow_gateway):
    confirmed_fraud()

    _client, other = attempt_with_the_document(idnow_gateway, number="EA7654321")

    assert find(other.content, "div", data_testid="idnow-outcome-succeeded")


def test_the_key_ignores_case_and_separators_but_not_country_or_type():
    key = idnow_document_key(country="PL", document_type="PASSPORT", number="EA1234567")

    assert idnow_document_key(country="pl", document_type="passport", number="ea 123-4567") == key
    assert idnow_document_key(country="CZ", document_type="PASSPORT", number="EA1234567") != key
    assert idnow_document_key(country="PL", document_type="IDCARD", number="EA1234567") != key
    assert idnow_document_key(country="PL", document_type="PASSPORT", number="") == ""


def test_the_contact_centre_sees_the_block_and_lifts_it_with_a_reason(idnow_gateway, agent_client):
    confirmed_fraud()
    attempt_with_the_document(idnow_gateway)
    client, agent = agent_client
    block = IdnowDocumentBlock.objects.get()
    action = {"action": "lift", "_selected_action": [block.pk]}

    listing = client.get(ADMIN).content.decode()
    identification = client.get(
        f"/backoffice/identity/idnowidentification/"
        f"{IdnowIdentification.objects.latest('created_at').pk}/change/"
    ).content.decode()
    missing = client.post(ADMIN, {**action, "apply": "1", "reason": ""})
    done = client.post(
        ADMIN,
        {**action, "apply": "1", "reason": "Zofia came with her passport; checked"},
        follow=True,
    )

    assert "PASSPORT" in listing and "in force" in listing
    assert "document_blocked" in identification
    assert "Write why the block is lifted." in missing.content.decode()
    assert "1 block was lifted." in done.content.decode()
    block.refresh_from_db()
    assert not block.active and block.lifted_by == agent
    event = AuditEvent.objects.get(name="identity.idnow.document_unblocked")
    assert event.data["reason"] == "Zofia came with her passport; checked"
    assert event.actor_id == agent.pk
    _client, page = attempt_with_the_document(idnow_gateway)
    assert find(page.content, "div", data_testid="idnow-outcome-succeeded")


def test_a_block_outlives_a_change_of_secret_key_kept_in_the_fallbacks(settings, idnow_gateway):
    confirmed_fraud()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another secret key for the test, long enough to be one"

    _client, page = attempt_with_the_document(idnow_gateway)

    (refusal,) = find(page.content, "p", data_testid="idnow-refusal")
    assert refusal.text == BLOCKED

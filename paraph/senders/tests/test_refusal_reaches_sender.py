"""A refusal's reason ("the sender will read it", says the recipient's
page) reaches the sender wherever the sender looks: the back office's
contract page, the API's history, the ``contract.refused`` webhook and an
e-mail to the sender's contact address, in the sender's language."""

from __future__ import annotations

import pytest
from django.test import Client

from paraph.notifications.models import SandboxMessage
from paraph.senders.services import webhook_endpoint_create
from paraph.senders.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

REASON = "Le salaire horaire n'est pas celui convenu.\nMerci de corriger."


def _refuse(contract, reason: str = REASON) -> None:
    """The recipient refuses in their adminbox, as they would."""
    recipient = Client(HTTP_ACCEPT_LANGUAGE="fr")
    recipient.force_login(contract.recipient)
    response = recipient.post(
        f"/adminbox/contract/{contract.public_id}/refuse/", {"reason": reason}
    )
    assert response.status_code == 302, response.content.decode()
    contract.refresh_from_db()
    assert contract.status == "refused"


@pytest.fixture
def office(client, staff, clock):
    staff.language = "en"
    staff.save(update_fields=["language"])
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_sender_reads_the_reason_on_the_contract_page(office, make_contract, deliver):
    with deliver():
        contract = make_contract()
        _refuse(contract)

    page = office.get(f"/sender/contracts/{contract.public_id}/").content.decode()

    assert 'data-testid="refusal"' in page
    assert "Anne Martin refused to sign this contract." in page
    assert "Le salaire horaire n&#x27;est pas celui convenu.<br>Merci de corriger." in page
    # and in the history, beside the refusal
    assert "Reason: Le salaire horaire" in page


def test_a_refusal_without_a_reason_says_so(office, make_contract, deliver):
    with deliver():
        contract = make_contract()
        _refuse(contract, reason="")

    page = office.get(f"/sender/contracts/{contract.public_id}/").content.decode()

    assert "No reason was given." in page


def test_the_api_history_gives_the_reason(api, make_contract, deliver, clock):
    with deliver():
        contract = make_contract()
        _refuse(contract)

    history = api.get(f"/api/contracts/{contract.public_id}").json()["history"]

    refusal = [h for h in history if h["event"] == "refused"]
    assert len(refusal) == 1 and refusal[0]["reason"] == REASON
    assert all(h["reason"] is None for h in history if h["event"] != "refused")


def test_the_refused_webhook_carries_the_reason(sender, make_contract, deliver):
    receiver = Receiver(secret=sender.webhook_secret).start()
    try:
        webhook_endpoint_create(
            sender=sender, url=receiver.url, events=["contract.refused"], actor=None
        )
        with deliver():
            contract = make_contract()
        with deliver():
            _refuse(contract)
    finally:
        receiver.stop()

    [event] = receiver.received
    assert event.signature_valid
    assert event.payload["type"] == "contract.refused"
    assert event.payload["data"]["reason"] == REASON
    assert event.payload["data"]["contract"]["status"] == "refused"


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "Contract refused: Contrat", "The reason given:"),
        ("fr", "Contrat refusé\u00a0: Contrat", "Motif indiqué\u00a0:"),
        ("nl", "Contract geweigerd: Contrat", "Opgegeven reden:"),
        ("de", "Vertrag abgelehnt: Contrat", "Angegebener Grund:"),
    ],
)
def test_the_sender_is_told_by_e_mail_in_its_language(
    sender, make_contract, deliver, sandbox_email, language, subject, words
):
    sender.language = language
    sender.save(update_fields=["language"])
    with deliver():
        contract = make_contract()
    with deliver():
        _refuse(contract)

    [mail] = SandboxMessage.objects.filter(to=sender.contact_email)
    # (a subject is one line: its spaces are folded, no-break ones included)
    assert mail.subject.startswith(" ".join(subject.split()))
    assert words in mail.body_text
    assert REASON in mail.body_text
    assert f"/sender/contracts/{contract.public_id}/" in mail.body_text
    assert "Anne Martin" in mail.body_text

"""Signing a contract with the eID card, through the page's two JSON steps
as its script drives them, with the sandbox's virtual cards (their keys sign
the hash here, as the card does behind Web eID; their OCSP responder is
Paraph on loopback). What is refused, and that nothing is signed then."""

# The fixtures imported from test_eid_fixtures are used as test arguments.
# ruff: noqa: F403, F405

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from paraph.adminbox.eid_views import password_url
from paraph.adminbox.tests.test_eid_fixtures import *
from paraph.contracts.models import ContractEvent
from paraph.signing.models import PreparedEidSignature
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db(transaction=True)


def _status(contract) -> str:
    contract.refresh_from_db()
    return contract.status


def _steps(contract) -> list[str]:
    return list(
        ContractEvent.objects.filter(contract=contract)
        .order_by("pk")
        .values_list("name", flat=True)
    )


# --- Signing ----------------------------------------------------------------------


@pytest.mark.parametrize("card", ["card1", "card2"], ids=["rsa2048", "p384"])
def test_the_recipients_card_signs_the_contract_and_the_pdf_validates(
    cards, holder, contract_for, signer, card
):
    person = holder(card)
    contract = contract_for(person)
    client = signer(person)

    prepared = prepare(client, contract, card)
    assert prepared.status_code == 200, prepared.content
    data = prepared.json()
    assert data["hashFunction"] in ("SHA-256", "SHA-384")
    answer = finish(client, contract, data["preparedId"], card_signature(card, data))

    assert answer.status_code == 200, answer.content
    contract.refresh_from_db()
    assert (contract.status, contract.signing_method) == ("signed", "eid")
    with contract.signed_pdf.open("rb") as handle:
        report = signature_report(handle.read())
    assert report.valid
    mine = report.signed[-1]
    assert mine.signer_national_number == CARDS[card]
    assert mine.issuer == "SANDBOX Citizen CA"
    assert mine.unchanged_since
    # The same success page as after a password signature, then the
    # contract's page shows it signed, and how.
    done = client.get(answer.json()["redirect"]).content.decode()
    assert f"You signed “{contract.title}” from {contract.sender.name}" in done
    assert "Download the signed contract" in done
    assert "already signed" not in done
    page = client.get(reverse("adminbox:contract", args=[contract.public_id]))
    with translation.override("en"):
        assert contract.get_signing_method_display() == "eID card"
    assert "eID card" in page.content.decode()
    # The evidence: the card's certificate checked, the signature prepared, signed.
    steps = _steps(contract)
    assert steps.index("eid_certificate_checked") < steps.index("signature_prepared")
    checked = ContractEvent.objects.get(contract=contract, name="eid_certificate_checked")
    assert checked.data["accepted"] is True
    assert CARDS[card] in checked.data["certificate_subject"]
    assert "SANDBOX Citizen CA" in checked.data["certificate_issuer"]
    signed_event = ContractEvent.objects.get(contract=contract, name="signed")
    evidence = signed_event.data["evidence"]
    assert evidence["certificate_serial"] == checked.data["certificate_serial"]
    assert evidence["revocation_status"] == "good" and evidence["revocation_checked_at"]


def test_another_persons_card_is_refused_and_nothing_is_signed(cards, holder, contract_for, signer):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)

    answer = prepare(client, contract, "card2")  # Jan's card

    assert answer.status_code == 400
    assert answer.json()["code"] == "not_your_card"
    assert "This eID card is not yours" in answer.json()["message"]
    assert _status(contract) in ("sent", "opened")
    assert not PreparedEidSignature.objects.exists()
    refused = ContractEvent.objects.get(contract=contract, name="eid_certificate_checked")
    # Jan's name and number stay out of Anne's evidence.
    assert refused.data == {"accepted": False, "reason": "wrong_person"}


def test_the_messages_are_in_the_persons_language(cards, holder, contract_for, signer):
    anne = holder("card1", language="fr")
    contract = contract_for(anne)
    client = signer(anne)
    client.cookies["paraph_language"] = "fr"

    answer = prepare(client, contract, "card2")

    assert answer.json()["code"] == "not_your_card"
    assert answer.json()["message"]  # translated by the lead; never a code or a trace
    assert "Traceback" not in answer.json()["message"]


def test_a_card_of_a_holder_under_18_gets_a_message_and_the_password_path(
    cards, holder, contract_for, signer
):
    lotte = holder("minor")
    contract = contract_for(lotte)
    client = signer(lotte)

    answer = prepare(client, contract, "minor")

    assert answer.status_code == 400
    data = answer.json()
    assert data["code"] == "no_signing_certificate"
    assert "under 18" in data["message"] and "password" in data["message"]
    assert data.get("passwordUrl") == password_url(contract)
    assert _status(contract) in ("sent", "opened")
    assert not PreparedEidSignature.objects.exists()


@pytest.mark.parametrize(
    ("card", "code", "words"),
    [
        ("revoked", "card_revoked", "cancelled"),
        ("expired", "card_expired", "has expired"),
    ],
)
def test_a_revoked_or_expired_card_is_refused(
    cards, holder, contract_for, signer, card, code, words
):
    person = holder(card)
    contract = contract_for(person)
    client = signer(person)

    answer = prepare(client, contract, card)

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert words in answer.json()["message"]
    assert not PreparedEidSignature.objects.exists()


def test_when_the_ocsp_responder_is_down_nothing_is_signed_and_the_person_may_retry(
    eid_sign_template_ocsp_down, tmp_path, settings, holder, contract_for, signer, clock
):
    use_cards(eid_sign_template_ocsp_down, tmp_path, settings)
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)

    answer = prepare(client, contract, "card1")

    assert answer.status_code == 503
    assert answer.json()["code"] == "ocsp_unavailable"
    assert "try again in a few minutes" in answer.json()["message"]
    assert not PreparedEidSignature.objects.exists()


def test_a_wrong_signature_value_is_refused_then_the_right_one_signs(
    cards, holder, contract_for, signer
):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    wrong = card_signature("card1", {**data, "hash": base64.b64encode(bytes(32)).decode()})

    refused = finish(client, contract, data["preparedId"], wrong)

    assert refused.status_code == 400
    assert refused.json()["code"] == "signature_mismatch"
    assert "try again" in refused.json()["message"]
    assert _status(contract) in ("sent", "opened")
    retried = finish(client, contract, data["preparedId"], card_signature("card1", data))
    assert retried.status_code == 200
    assert _status(contract) == "signed"


def test_a_replayed_or_unknown_prepared_id_signs_nothing(cards, holder, contract_for, signer):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    signature = card_signature("card1", data)
    assert finish(client, contract, data["preparedId"], signature).status_code == 200

    replayed = finish(client, contract, data["preparedId"], signature)
    unknown = finish(client, contract, str(uuid.uuid4()), signature)

    assert replayed.status_code == 409 and replayed.json()["code"] == "already_signed"
    assert unknown.status_code == 409 and unknown.json()["code"] == "already_signed"
    assert ContractEvent.objects.filter(contract=contract, name="signed").count() == 1


def test_a_prepared_id_of_another_contract_is_refused(cards, holder, contract_for, signer):
    anne = holder("card1")
    first, second = contract_for(anne), contract_for(anne)
    client = signer(anne)
    data = prepare(client, first, "card1").json()

    answer = finish(client, second, data["preparedId"], card_signature("card1", data))

    assert answer.status_code == 400 and answer.json()["code"] == "prepared_unknown"
    assert "Start again" in answer.json()["message"]
    assert _status(second) in ("sent", "opened")


def test_an_expired_prepared_signature_asks_to_start_again(
    cards, holder, contract_for, signer, time_machine, settings
):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    signature = card_signature("card1", data)

    time_machine.move_to(
        timezone.now() + dt.timedelta(seconds=settings.SIGNING_PREPARED_TTL_SECONDS + 5)
    )
    answer = finish(client, contract, data["preparedId"], signature)

    assert answer.status_code == 400 and answer.json()["code"] == "prepared_expired"
    assert "Start again" in answer.json()["message"]
    assert _status(contract) in ("sent", "opened")


def test_a_deadline_passed_after_the_card_was_read_signs_nothing(
    cards, holder, contract_for, signer, time_machine
):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    signature = card_signature("card1", data)

    time_machine.move_to(contract.deadline + dt.timedelta(seconds=1))
    client = signer(anne)  # a month later: a new session
    answer = finish(client, contract, data["preparedId"], signature)

    assert answer.status_code == 409 and answer.json()["code"] == "deadline_passed"
    assert "deadline" in answer.json()["message"]
    assert _status(contract) != "signed"


def test_two_browsers_signing_at_once_make_exactly_one_signature(
    cards, holder, contract_for, signer
):
    anne = holder("card1")
    contract = contract_for(anne)
    laptop, phone = signer(anne, Client()), signer(anne, Client())
    first, second = (
        prepare(laptop, contract, "card1").json(),
        prepare(phone, contract, "card1").json(),
    )
    first_signature = card_signature("card1", first)
    second_signature = card_signature("card1", second)

    done = finish(laptop, contract, first["preparedId"], first_signature)
    late = finish(phone, contract, second["preparedId"], second_signature)

    assert done.status_code == 200
    assert late.status_code == 409 and late.json()["code"] == "already_signed"
    assert "already signed" in late.json()["message"]
    assert late.json()["contractUrl"]
    assert ContractEvent.objects.filter(contract=contract, name="signed").count() == 1


def test_a_contract_revoked_while_the_card_signs_keeps_no_trace_of_a_signature(
    cards, holder, contract_for, signer, monkeypatch
):
    """The sender revokes while the time-stamp authority answers: the
    contract stays revoked, the prepared signature is not used up, and the
    audit log does not say the card signed."""
    from paraph.audit.models import AuditEvent
    from paraph.contracts.services import contract_revoke
    from paraph.signing import engine

    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    signature = card_signature("card1", data)
    finish_external = engine.finish_external

    def revoked_meanwhile(*args, **kwargs):
        signed = finish_external(*args, **kwargs)
        contract_revoke(contract=contract, reason="sent by mistake")
        return signed

    monkeypatch.setattr(engine, "finish_external", revoked_meanwhile)

    answer = finish(client, contract, data["preparedId"], signature)

    assert answer.status_code == 409 and answer.json()["code"] == "revoked", answer.json()
    assert _status(contract) == "revoked"
    assert not AuditEvent.objects.filter(name="signing.eid.signed").exists()
    assert PreparedEidSignature.objects.get(pk=data["preparedId"]).finished_at is None


def test_the_time_stamps_are_asked_outside_any_transaction(
    cards, holder, contract_for, signer, outside_calls
):
    """No database lock is held while Paraph waits for an outside service."""
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    data = prepare(client, contract, "card1").json()
    outside_calls.clear()  # the seal of contract_for is not this test's business

    answer = finish(client, contract, data["preparedId"], card_signature("card1", data))

    assert answer.status_code == 200, answer.json()
    assert ("time-stamp", False) in outside_calls
    assert not [call for call in outside_calls if call[1]], "asked inside a transaction"
    assert _status(contract) == "signed"


@pytest.mark.parametrize("offered", [True, False])
def test_the_log_in_and_signing_pages_agree_on_the_virtual_reader(
    cards, holder, contract_for, signer, settings, offered
):
    """One setting for every page that uses the card, for log-in or for
    signing a contract or a mandate."""
    from paraph.identity.providers.eid.provider import PURPOSE_SESSION_KEY

    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    client.post(reverse("mandates:start"), {"channel": "eid"})
    settings.EID_VIRTUAL_READER = offered

    signing_page = client.get(page_url(contract)).content.decode()
    mandate_page = client.get(reverse("mandates:eid")).content.decode()
    session = client.session
    session[PURPOSE_SESSION_KEY] = "step_up"  # the card page of the identity app
    session.save()
    login_page = client.get(reverse("identity:eid_page")).content.decode()

    assert ('id="eid-virtual-reader"' in signing_page) is offered
    assert ('id="eid-virtual-reader"' in mandate_page) is offered
    assert ('id="eid-virtual-reader"' in login_page) is offered


# --- Access -----------------------------------------------------------------------


def test_another_persons_contract_is_not_found(cards, holder, person_factory, contract_for, signer):
    contract = contract_for(holder("card1"))
    client = signer(holder("card2"))  # Jan, with his own card
    urls = [
        reverse(name, args=[contract.public_id])
        for name in ("adminbox:sign_eid", "adminbox:sign_eid_prepare", "adminbox:sign_eid_finish")
    ]

    assert client.get(urls[0]).status_code == 404
    assert prepare(client, contract, "card2").status_code == 404
    assert post_json(client, urls[2], {}).status_code == 404
    assert client.get(reverse("adminbox:sign_eid", args=[uuid.uuid4()])).status_code == 404
    assert not PreparedEidSignature.objects.exists()


def test_a_person_who_is_not_logged_in_is_sent_to_the_log_in(cards, holder, contract_for):
    contract = contract_for(holder("card1"))

    page = Client().get(page_url(contract))
    step = prepare(Client(), contract, "card1")

    assert page.status_code == 302 and "/login/" in page["Location"]
    assert step.status_code == 302


def test_the_json_steps_need_the_csrf_token(cards, holder, contract_for):
    anne = holder("card1")
    contract = contract_for(anne)
    client = Client(enforce_csrf_checks=True)
    client.force_login(anne)

    assert prepare(client, contract, "card1").status_code == 403


def test_preparing_is_rate_limited(cards, holder, contract_for, signer):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    url = reverse("adminbox:sign_eid_prepare", args=[contract.public_id])

    answers = [post_json(client, url, {"certificate": "not base64!"}) for _ in range(11)]

    assert [a.json()["code"] for a in answers[:10]] == ["bad_certificate"] * 10
    assert answers[10].status_code == 429
    assert "Too many tries" in answers[10].json()["message"]


# --- The page ----------------------------------------------------------------------


def test_the_page_says_what_is_about_to_happen_and_how_to_install_the_software(
    cards, holder, contract_for, signer, settings
):
    anne = holder("card1")
    contract = contract_for(anne, title="Contrat Anne juin")
    client = signer(anne)

    page = client.get(page_url(contract)).content.decode()

    assert "Contrat Anne juin" in page
    assert "You are about to sign this contract with your eID card" in page
    assert "Sign with my eID card" in page
    assert "ask your IT department to allow" in page
    assert "web-eid.eu" in page and "eid.belgium.be" in page
    assert settings.CONTACT_PHONE in page
    assert (
        'data-prepare-url="' + reverse("adminbox:sign_eid_prepare", args=[contract.public_id])
        in page
    )
    # Sandbox: the virtual reader, labelled, with the under-18 card.
    assert "Sandbox — virtual eID card" in page
    assert "Lotte Willems" in page and "holder under 18" in page

    without_reader = client.get(page_url(contract) + "?reader=none").content.decode()
    assert 'id="eid-virtual-reader"' not in without_reader
    assert "Sign with my eID card" in without_reader


def test_the_page_of_a_signed_contract_says_so(cards, holder, contract_for, signer):
    anne = holder("card1")
    contract = contract_for(anne)
    client = signer(anne)
    assert sign(client, contract, "card1").status_code == 200

    page = client.get(page_url(contract)).content.decode()

    assert "This contract is already signed." in page
    assert "data-eid-sign-start" not in page


def test_without_a_national_number_the_page_explains_and_offers_the_password(
    cards, person_factory, contract_for, signer
):
    person = person_factory(email="nobody@example.be", language="en")
    contract = contract_for(person)
    client = signer(person)

    page = client.get(page_url(contract)).content.decode()
    step = prepare(client, contract, "card1")

    assert "no national register number" in page
    assert "data-eid-sign-start" not in page
    assert step.json()["code"] == "no_national_number"


def test_the_button_for_the_contract_page(cards, holder, person_factory, contract_for, rf):
    from django.template.loader import render_to_string
    from django.utils import translation

    anne = holder("card1")
    contract = contract_for(anne)
    nobody = person_factory(email="nobody@example.be")

    with translation.override("en"):
        shown = render_to_string(
            "adminbox/_sign_eid_button.html", {"contract": contract, "user": anne}
        )
        explained = render_to_string(
            "adminbox/_sign_eid_button.html", {"contract": contract, "user": nobody}
        )

    assert page_url(contract) in shown and "Sign with my eID card" in shown
    assert page_url(contract) not in explained and "national register number" in explained

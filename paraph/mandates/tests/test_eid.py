"""The mandate signed with the eID card (the sandbox's virtual cards, their
OCSP answered by the live server), through the page's two JSON steps."""

from __future__ import annotations

import pytest
from django.urls import reverse

from paraph.adminbox.tests.test_eid_fixtures import *  # noqa: F403
from paraph.adminbox.tests.test_eid_fixtures import CARDS, card_signature, post_json
from paraph.identity.providers.eid import sandbox as eid_sandbox
from paraph.mandates.models import Mandate
from paraph.mandates.selectors import mandate_pdf_checked
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db


def _start_with_card(client) -> None:
    response = client.post(reverse("mandates:start"), {"channel": "eid"})
    assert response["Location"] == reverse("mandates:eid")


def _prepare(client, card):
    return post_json(
        client, reverse("mandates:eid_prepare"), eid_sandbox.card_signing_certificate(card)
    )


def test_the_persons_card_signs_the_mandate(cards, holder, signer):
    person = holder("card1")
    client = signer(person)
    _start_with_card(client)
    page = client.get(reverse("mandates:eid"))
    assert "data-eid-sign" in page.content.decode()

    prepared = _prepare(client, "card1")
    assert prepared.status_code == 200, prepared.content
    data = prepared.json()
    finished = post_json(
        client,
        reverse("mandates:eid_finish"),
        {"preparedId": data["preparedId"], "signature": card_signature("card1", data)},
    )

    assert finished.json() == {"redirect": reverse("mandates:password")}
    mandate = Mandate.objects.get(person=person)
    assert mandate.status == "signed" and mandate.signed_with == "eid"
    assert CARDS["card1"] in mandate.evidence["certificate_subject"]
    report = signature_report(mandate_pdf_checked(mandate, signed=True))
    assert report.valid and report.signed[-1].signer_national_number == CARDS["card1"]


@pytest.mark.django_db(transaction=True)
def test_the_mandates_time_stamps_are_asked_outside_any_transaction(
    cards, holder, signer, outside_calls
):
    person = holder("card1")
    client = signer(person)
    _start_with_card(client)
    data = _prepare(client, "card1").json()
    outside_calls.clear()

    finished = post_json(
        client,
        reverse("mandates:eid_finish"),
        {"preparedId": data["preparedId"], "signature": card_signature("card1", data)},
    )

    assert finished.json() == {"redirect": reverse("mandates:password")}
    assert ("time-stamp", False) in outside_calls
    assert not [call for call in outside_calls if call[1]], "asked inside a transaction"


def test_another_persons_card_does_not_sign_the_mandate(cards, holder, signer):
    person = holder("card1")
    client = signer(person)
    _start_with_card(client)

    refused = _prepare(client, "card2")

    assert refused.status_code == 400 and refused.json()["code"] == "not_your_card"
    assert Mandate.objects.get(person=person).status == "pending"


def test_without_a_national_number_the_card_is_not_offered(person_factory, signer):
    person = person_factory(national_number=None, language="en")
    page = signer(person).get(reverse("mandates:start"))
    assert 'value="eid"' not in page.content.decode()

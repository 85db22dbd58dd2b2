"""Fixtures of the eID card signing tests (no tests here): the sandbox's
virtual cards, whose OCSP responder is Paraph itself served on loopback
(the signing engine asks it over HTTP as it asks Belgium's), a recipient
holding a card, and the page's two JSON steps driven as the browser's
script drives them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from paraph.contracts.tests.fixtures import *  # noqa: F403
from paraph.core.demo import DEMO_PEOPLE
from paraph.identity.providers.eid import sandbox as eid_sandbox

# The virtual cards (eid_sandbox.sandbox_cards) and their holders' numbers.
CARDS = {
    "card1": DEMO_PEOPLE[0]["national_number"],  # Anne Martin, RSA-2048
    "card2": DEMO_PEOPLE[1]["national_number"],  # Jan Peeters, P-384
    "revoked": "70041204526",
    "expired": "01031506640",
    "minor": "11031512495",  # under 18: its signature certificate lacks nonRepudiation
}
NAMES = {
    "card1": ("Anne", "Martin"),
    "card2": ("Jan", "Peeters"),
    "revoked": ("Luc", "Janssens"),
    "expired": ("Sofie", "Maes"),
    "minor": ("Lotte", "Willems"),
}


def _generate(directory: Any, base_url: str) -> Any:
    with override_settings(EID_SANDBOX_DIR=directory, BASE_URL=base_url):
        eid_sandbox.sandbox_dir()
    return directory


@pytest.fixture(scope="session")
def eid_sign_template(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The virtual cards, once per run, their OCSP address on the live server."""
    return _generate(tmp_path_factory.mktemp("eid-sign") / "eid-sandbox", live_server.url)


@pytest.fixture(scope="session")
def eid_sign_template_ocsp_down(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The virtual cards with an OCSP address where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return _generate(
        tmp_path_factory.mktemp("eid-sign-down") / "eid-sandbox", f"http://127.0.0.1:{port}"
    )


def use_cards(template: Any, tmp_path: Any, settings: Any) -> Any:
    """Sandbox mode with a copy of ``template`` (PIN counters never leak
    between tests) and no eID CAs configured: the signing engine accepts
    the virtual cards' CA."""
    directory = tmp_path / "eid-sandbox"
    shutil.copytree(template, directory)
    settings.SANDBOX = True
    settings.EID_SANDBOX_DIR = directory
    settings.EID_CAS = []
    settings.SIGNING_TRUST_ROOTS = []
    settings.SIGNING_INTERMEDIATES = []
    settings.EID_VIRTUAL_READER = True
    return directory


@pytest.fixture
def cards(
    eid_sign_template: Any, live_server: Any, tmp_path: Any, settings: Any, clock: Any
) -> Any:
    """The virtual cards, the clock pinned as in every contract test (the
    sandbox PKIs are made "now" by whichever test comes first)."""
    settings.BASE_URL = live_server.url
    return use_cards(eid_sign_template, tmp_path, settings)


@pytest.fixture
def holder(person_factory: Any) -> Any:
    """``holder("card1")``: the person whose card it is, in English."""

    def make(card: str, **fields: Any) -> Any:
        first, last = NAMES[card]
        values = {
            "first_name": first,
            "last_name": last,
            "email": f"{card}@example.be",
            "national_number": CARDS[card],
            "language": "en",
        }
        values.update(fields)
        return person_factory(**values)

    return make


@pytest.fixture
def contract_for(make_contract: Any) -> Any:
    """``contract_for(person)``: a sent contract for ``person``, whose
    deadline is a month away."""

    def make(person: Any, **overrides: Any) -> Any:
        start = timezone.now() + dt.timedelta(days=30)
        return make_contract(
            recipient={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
            },
            start_of_work=start.isoformat(),
            **overrides,
        )

    return make


@pytest.fixture
def signer(client: Any) -> Any:
    """A browser's session for a person: ``signer(person)`` logs in."""

    def make(person: Any, browser: Any = None) -> Any:
        use = browser or client
        use.force_login(person)
        use.cookies["paraph_language"] = "en"
        return use

    return make


def page_url(contract: Any) -> str:
    return reverse("adminbox:sign_eid", args=[contract.public_id])


def post_json(client: Any, url: str, body: Any) -> Any:
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_ACCEPT="application/json"
    )


def prepare(client: Any, contract: Any, card: str) -> Any:
    """Step 1, with what Web eID's getSigningCertificate gives for ``card``."""
    return post_json(
        client,
        reverse("adminbox:sign_eid_prepare", args=[contract.public_id]),
        eid_sandbox.card_signing_certificate(card),
    )


def card_signature(card: str, prepared: dict[str, Any], *, pin: str = eid_sandbox.PIN) -> str:
    """What Web eID's sign gives: the card signs the prepared hash."""
    return eid_sandbox.card_sign(
        card_id=card,
        pin=pin,
        certificate=eid_sandbox.card_signing_certificate(card)["certificate"],
        hash_value=prepared["hash"],
        hash_function=prepared["hashFunction"],
    )["signature"]


def finish(client: Any, contract: Any, prepared_id: str, signature: str) -> Any:
    return post_json(
        client,
        reverse("adminbox:sign_eid_finish", args=[contract.public_id]),
        {"preparedId": prepared_id, "signature": signature},
    )


def sign(client: Any, contract: Any, card: str) -> Any:
    """Both steps with ``card``: the finish's response."""
    prepared = prepare(client, contract, card)
    assert prepared.status_code == 200, prepared.content
    data = prepared.json()
    return finish(client, contract, data["preparedId"], card_signature(card, data))

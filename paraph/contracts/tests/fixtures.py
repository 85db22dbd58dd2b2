"""Fixtures shared by the tests of contracts, senders and the API: senders,
their keys, contract data, a pinned clock. Imported by each app's
conftest.py (``from paraph.contracts.tests.fixtures import *``)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from paraph.signing.tests.pdfs import contract_pdf

BRUSSELS = ZoneInfo("Europe/Brussels")
# The moment the ``clock`` fixture pins. Tests without it must not depend on
# it: contract data computes its dates from "now" (START under the clock).
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=BRUSSELS)
START_AFTER = dt.timedelta(days=2)
START = T0 + START_AFTER


def enterprise_number(first_eight: str) -> str:
    """A valid Belgian enterprise number from its first eight digits."""
    return first_eight + f"{97 - int(first_eight) % 97:02d}"


@pytest.fixture(autouse=True)
def isolated_media(settings: Any, tmp_path: Any) -> None:
    """Every test writes its documents in a folder of its own (on the file
    system, or under a prefix of its own in the S3 bucket)."""
    import uuid

    settings.MEDIA_ROOT = tmp_path / "media"
    default = settings.STORAGES["default"]
    if default["BACKEND"].endswith("S3DocumentStorage"):
        options = {**default["OPTIONS"]}
        options["location"] = f"{options.get('location') or 'main'}/{uuid.uuid4().hex}"
        settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def pdf() -> bytes:
    return contract_pdf(pages=2, title="Contrat")


@pytest.fixture
def sender_factory(db: Any) -> Any:
    from paraph.senders.services import sender_create

    counter = iter(range(1, 10_000))

    def make(**fields: Any) -> Any:
        n = next(counter)
        values: dict[str, Any] = {
            "name": f"Intérim {n}",
            "enterprise_number": enterprise_number(f"0{n + 4031700:07d}"),
            "contact_email": f"hr{n}@interim.test",
        }
        values.update(fields)
        return sender_create(**values)

    return make


@pytest.fixture
def sender(sender_factory: Any) -> Any:
    return sender_factory(name="Intérim Test")


@pytest.fixture
def other_sender(sender_factory: Any) -> Any:
    return sender_factory(name="Other Agency")


@pytest.fixture
def staff(person_factory: Any, sender: Any) -> Any:
    """An administrator of ``sender``'s back office."""
    from paraph.senders.services import sender_member_add

    person = person_factory(first_name="Sam", last_name="Staff", email="sam@interim.test")
    sender_member_add(sender=sender, person=person, role="admin")
    return person


def contract_fields(**overrides: Any) -> dict[str, Any]:
    """A contract as the API's JSON takes it (without the PDF)."""
    recipient = {
        "first_name": "Anne",
        "last_name": "Martin",
        "email": "anne.martin@example.be",
        "phone": "0470 12 34 56",
    }
    recipient.update(overrides.pop("recipient", {}))
    data: dict[str, Any] = {
        "title": "Contrat de travail intérimaire",
        "recipient": recipient,
        "external_reference": "W-2026-001",
        # Two days from now: START under the pinned clock, still ahead on any
        # other day the suite runs.
        "start_of_work": (timezone.localtime(timezone.now(), BRUSSELS) + START_AFTER).isoformat(),
    }
    data.update(overrides)
    return data


def contract_json(pdf: bytes, **overrides: Any) -> dict[str, Any]:
    return {**contract_fields(**overrides), "pdf_base64": base64.b64encode(pdf).decode()}


@pytest.fixture
def make_contract(sender: Any, pdf: bytes) -> Any:
    """``make_contract(recipient={"email": ...}, send=False, sender=...)``."""
    from paraph.contracts.inputs import ContractIn
    from paraph.contracts.services import ContractData, contract_create

    def make(*, send: bool = True, pdf_bytes: bytes | None = None, **overrides: Any) -> Any:
        owner = overrides.pop("sender", sender)
        actor = overrides.pop("actor", None)
        data = ContractData.from_input(ContractIn.model_validate(contract_fields(**overrides)))
        return contract_create(
            sender=owner, data=data, pdf=pdf_bytes or pdf, actor=actor, send=send
        )

    return make


@pytest.fixture
def api_key_factory(sender: Any) -> Any:
    from paraph.senders.services import api_key_create

    def make(
        *, scopes: tuple[str, ...] = ("contracts:read", "contracts:write"), owner: Any = None
    ) -> tuple[Any, str]:
        return api_key_create(sender=owner or sender, name="HR system", scopes=scopes, actor=None)

    return make


@pytest.fixture
def api(client: Any, api_key_factory: Any) -> Any:
    """A Django test client that sends ``sender``'s API key (all scopes)."""
    _key, token = api_key_factory(scopes=("contracts:read", "contracts:write", "webhooks:manage"))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def signed_version(document: bytes) -> bytes:
    """Stands for the signing engine's answer in tests that are about the
    contract's states: the document with an incremental update appended
    (what any PAdES signature is). The real engine is used in
    test_sign_record.py."""
    return document + b"\n% signature revision\n%%EOF\n"

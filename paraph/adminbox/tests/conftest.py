"""Fixtures of the adminbox's tests: those of contracts (senders,
``make_contract``, ``clock``...), an English-speaking browser, links as
the e-mail carries them and a logged-in person."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from paraph.contracts.tests.fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def _links_on_testserver(settings: Any) -> None:
    settings.BASE_URL = "http://testserver"


@pytest.fixture
def en_client() -> Client:
    client = Client()
    client.cookies["paraph_language"] = "en"
    return client


@pytest.fixture
def link_for() -> Any:
    """``link_for(contract, "activate")``: the path of a fresh e-mail link."""
    from paraph.contracts.services import access_link_create

    def make(contract: Any, purpose: str = "activate") -> str:
        token = access_link_create(person=contract.recipient, purpose=purpose, contract=contract)
        kind = "activate" if purpose == "activate" else "contracts"
        return f"/adminbox/{kind}/{token}/"

    return make


@pytest.fixture
def activated(person_factory: Any) -> Any:
    """``activated(person)``: their adminbox active (e-mail and phone proven)."""
    from django.utils import timezone

    def make(person: Any) -> Any:
        from paraph.accounts.models import Person

        Person.objects.filter(pk=person.pk).update(
            email_verified_at=timezone.now(), phone_verified_at=timezone.now()
        )
        person.refresh_from_db()
        return person

    return make


@pytest.fixture
def logged_in() -> Any:
    """``logged_in(person)``: an English test client logged in as them."""

    def make(person: Any) -> Client:
        from paraph.accounts.models import Person

        Person.objects.filter(pk=person.pk).update(language="en")
        client = Client()
        client.cookies["paraph_language"] = "en"
        client.force_login(person)
        return client

    return make

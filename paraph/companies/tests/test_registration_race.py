"""Two people registering the same company at once (CO-1): the unique
enterprise number lets one win; the other reads "already registered",
naming the representative, on the registration page, not an error page."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import RegisteredCompany
from paraph.companies.services import CompanyRefused
from paraph.companies.services import registration as module

INTERIM = "0123456749"


@pytest.fixture
def high(person_factory: Any) -> Any:
    def make(**fields: Any) -> Any:
        return person_factory(
            assurance_level=AssuranceLevel.HIGH,
            registration_method=RegistrationMethod.EID,
            language="en",
            **fields,
        )

    return make


@pytest.mark.django_db
def test_the_second_to_confirm_reads_already_registered_naming_the_first(high, monkeypatch):
    """Anne confirms while Jan's page still shows the company as free: she
    commits between Jan's check and his insert."""
    services.kbo_import(directory=DEMO_KBO_DIR)
    anne = high(first_name="Anne", last_name="Peeters")
    jan = high(first_name="Jan", last_name="Claes")
    check = module.company_check
    calls: list[str] = []

    def anne_registers_meanwhile(*, person: Any, number: str) -> Any:
        data = check(person=person, number=number)
        if not calls:
            calls.append(number)
            monkeypatch.setattr(module, "company_check", check)
            services.company_register(person=anne, number=number, language="fr")
            monkeypatch.setattr(module, "company_check", anne_registers_meanwhile)
        return data

    monkeypatch.setattr(module, "company_check", anne_registers_meanwhile)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(jan)

    response = client.post(
        "/company/registration/",
        {"number": "0123.456.749", "correction": "", "confirm": "1"},
    )

    page = re.sub(r"\s+", " ", response.content.decode())
    assert response.status_code == 400
    assert (
        "The company 0123.456.749 is already registered on Paraph. To act for it, ask its "
        "digital representative (Anne Peeters) to invite you"
    ) in page
    assert 'name="number"' in page  # the registration form again, not an error page
    assert RegisteredCompany.objects.get().representative == anne
    assert AuditEvent.objects.filter(name="companies.company.registered").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_registrations_at_once_exactly_one_wins(high, monkeypatch):
    services.kbo_import(directory=DEMO_KBO_DIR)
    anne = high(first_name="Anne", last_name="Peeters")
    jan = high(first_name="Jan", last_name="Claes")
    both_checked = threading.Barrier(2)
    check = module.company_check
    waited: set[int] = set()

    def check_then_wait(*, person: Any, number: str) -> Any:
        data = check(person=person, number=number)
        if person.pk not in waited:  # the first check of each: both find it free
            waited.add(person.pk)
            both_checked.wait()
        return data

    monkeypatch.setattr(module, "company_check", check_then_wait)
    results: dict[str, Any] = {}

    def register(name: str, person: Any) -> None:
        try:
            with translation.override("en"):
                results[name] = services.company_register(
                    person=person, number=INTERIM, language="fr"
                )
        except BaseException as exc:  # the loser's refusal is the point
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=register, args=("anne", anne)),
        threading.Thread(target=register, args=("jan", jan)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    refusals = [r for r in results.values() if isinstance(r, BaseException)]
    assert len(refusals) == 1, results
    [refusal] = refusals
    winner = RegisteredCompany.objects.get().representative
    assert isinstance(refusal, CompanyRefused) and refusal.code == "taken"
    assert f"its digital representative ({winner.get_full_name()})" in refusal.message
    assert AuditEvent.objects.filter(name="companies.company.registered").count() == 1

"""Correction requests in the back office (CO-2): the contact centre
decides those of companies without an intermediary, an intermediary's staff
those of its clients only; the representative is told, every step audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import CorrectionRequest, Intermediary, IntermediaryClient

pytestmark = pytest.mark.django_db

LIST = "/backoffice/companies/correctionrequest/"


@pytest.fixture
def representative(person_factory: Any) -> Any:
    services.kbo_import(directory=DEMO_KBO_DIR)
    return person_factory(
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.ITSME,
        language="en",
    )


def _file(person: Any, number: str, text: str) -> CorrectionRequest:
    _company, correction = services.company_register(
        person=person, number=number, language="en", correction=text
    )
    assert correction is not None
    return correction


def test_an_agent_refuses_a_correction_with_a_reason(person_factory, representative, deliver):
    correction = _file(representative, "0123456749", "The address moved.")
    agent = staff_login(Client(), make_agent(person_factory, language="en"))

    page = agent.get(f"{LIST}{correction.pk}/change/")
    empty = agent.post(
        f"{LIST}{correction.pk}/change/", {"decision": "refuse", "decision_reason": ""}
    )
    with deliver():
        done = agent.post(
            f"{LIST}{correction.pk}/change/",
            {"decision": "refuse", "decision_reason": "The register is right."},
        )

    assert "The address moved." in page.content.decode()
    assert "Give the reason for your decision." in empty.content.decode()
    assert done.status_code == 302
    correction.refresh_from_db()
    assert (correction.status, correction.reason) == ("refused", "The register is right.")
    assert AuditEvent.objects.filter(name="companies.correction.refused").count() == 1
    assert not AuditEvent.objects.filter(name="backoffice.object.changed").exists()
    [message] = mail.outbox
    assert message.to == [representative.email] and "The register is right." in message.body


def test_an_intermediary_sees_and_decides_its_clients_requests_only(
    person_factory, representative, deliver
):
    broker = Intermediary.objects.create(name="Courtier SA")
    IntermediaryClient.objects.create(intermediary=broker, number="0123456749")
    broker_person = person_factory(is_staff=True, language="en")
    broker.staff.add(broker_person)
    own = _file(representative, "0123456749", "Wrong name")
    other = _file(representative, "0403170701", "Wrong address")
    broker_client = staff_login(Client(), broker_person)
    agent = staff_login(Client(), make_agent(person_factory, language="en"))

    listing = broker_client.get(LIST).content.decode()
    hidden = broker_client.get(f"{LIST}{other.pk}/change/")
    agent_page = agent.get(f"{LIST}{own.pk}/change/").content.decode()
    with deliver():
        broker_client.post(
            f"{LIST}{own.pk}/change/", {"decision": "apply", "decision_reason": "Done at the KBO."}
        )

    assert "Wrong name" in listing or f"{LIST}{own.pk}/change/" in listing
    assert f"{LIST}{other.pk}/change/" not in listing
    assert hidden.status_code in (302, 403, 404)
    assert 'name="decision"' not in agent_page
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.status, own.decided_by) == ("applied", broker_person)
    assert other.status == "open"
    event = AuditEvent.objects.get(name="companies.correction.applied")
    assert event.actor_id == broker_person.pk
    assert len(mail.outbox) == 1


def test_the_contact_centre_sees_a_company_with_its_representative_and_users(
    person_factory, representative
):
    company, _ = services.company_register(
        person=representative, number="0123456749", language="en"
    )
    _invitation, token = services.invitation_create(
        company=company, person=representative, email="marc@example.be"
    )
    user = person_factory(
        email="marc@example.be",
        assurance_level=AssuranceLevel.HIGH,
        registration_method=RegistrationMethod.EID,
    )
    services.invitation_accept(token=token, person=user)
    agent = staff_login(Client(), make_agent(person_factory, language="en"))

    page = agent.get(f"/backoffice/companies/registeredcompany/{company.pk}/change/")

    html = page.content.decode()
    assert page.status_code == 200
    assert representative.get_full_name() in html or representative.email in html
    assert user.email in html or user.get_full_name() in html


def _intermediary_add(client: Client, number: str, staff: Any) -> Any:
    return client.post(
        "/backoffice/companies/intermediary/add/",
        {
            "name": "Courtage Central",
            "staff": [staff.pk],
            "clients-TOTAL_FORMS": "1",
            "clients-INITIAL_FORMS": "0",
            "clients-MIN_NUM_FORMS": "0",
            "clients-MAX_NUM_FORMS": "1000",
            "clients-0-number": number,
        },
    )


def test_an_intermediarys_client_typed_as_printed_gets_its_requests(person_factory, representative):
    """The client's number is stored as ten digits, whatever form it was
    typed in: before, "BE 0722.334.452" was kept as typed (or cut to ten
    characters by the browser), matched no company, and the client's
    requests went to the contact centre."""
    superuser = person_factory(is_staff=True, is_superuser=True, language="en")
    broker_person = person_factory(is_staff=True, language="en")
    office = staff_login(Client(), superuser)

    refused = _intermediary_add(office, "0722.334.400", broker_person)
    assert refused.status_code == 200
    assert "check the last two digits" in refused.content.decode()
    assert not Intermediary.objects.exists()

    added = _intermediary_add(office, "BE 0722.334.452", broker_person)
    assert added.status_code == 302
    assert IntermediaryClient.objects.get().number == "0722334452"
    correction = _file(representative, "0722334452", "The seat is at number 42.")
    assert correction.intermediary == Intermediary.objects.get(staff=broker_person)

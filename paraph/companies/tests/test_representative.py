"""Changing the digital representative (CO-5): the three steps, the link
the new representative accepts, its refusals, the contact centre's
designation, and two changes at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import (
    CompanyUser,
    LegalRepresentative,
    RegisteredCompany,
    RepresentativeChange,
)
from paraph.companies.providers.kbo import KboOpenDataRegistry
from paraph.companies.services import CompanyRefused
from paraph.core.roles import AGENTS
from paraph.core.tests.races import race
from paraph.identity.tests.registration_support import sandbox_itsme

pytestmark = pytest.mark.django_db

INTERIM = "0123456749"
# The sandbox itsme's people (identity/providers/itsme/sandbox.py).
ANNE, JAN, MARIE = "85073003328", "90020199704", "90021400227"


@pytest.fixture
def high(person_factory: Any) -> Any:
    def make(**fields: Any) -> Any:
        values = {
            "assurance_level": AssuranceLevel.HIGH,
            "registration_method": RegistrationMethod.ITSME,
            "language": "en",
            **fields,
        }
        return person_factory(**values)

    return make


@pytest.fixture
def company(high: Any) -> Any:
    services.kbo_import(directory=DEMO_KBO_DIR)
    anne = high(
        first_name="Anne", last_name="Martin", email="anne@example.be", national_number=ANNE
    )
    registered, _ = services.company_register(person=anne, number=INTERIM, language="en")
    return registered


def _designate(company: Any, person: Any = None, **fields: Any) -> tuple[Any, str]:
    values = {
        "name": "Marie Dubois",
        "email": "Marie.Dubois@example.be",
        "national_number": "90.02.14-002.27",
        **fields,
    }
    with translation.override("en"):
        return services.representative_designate(
            person=person or company.representative, number=company.number, **values
        )


def _refused(call: Any, **kwargs: Any) -> CompanyRefused:
    with translation.override("en"), pytest.raises(CompanyRefused) as caught:
        call(**kwargs)
    return caught.value


def _link(message: Any) -> str:
    found = re.search(r"https?://\S+(/company/representative/accept/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_representative_designates_and_the_new_one_accepts(company, high, deliver):
    anne = company.representative
    user = high(email="jan@example.be", national_number=JAN)
    CompanyUser.objects.create(company=company, person=user, added_at=timezone.now())
    marie = high(
        first_name="Marie",
        last_name="Dubois",
        email="marie.dubois@example.be",
        national_number=MARIE,
    )
    with deliver():
        change, token = _designate(company)

    [invitation] = mail.outbox
    assert invitation.to == ["marie.dubois@example.be"]
    assert token in _link(invitation) and token not in change.token_hash
    assert "Anne Martin designated you, Marie Dubois" in invitation.body
    mail.outbox.clear()
    with deliver():
        services.representative_accept(token=token, person=marie)

    company.refresh_from_db()
    assert company.representative == marie
    change.refresh_from_db()
    assert (change.status, change.ended_by) == ("accepted", marie)
    told = {message.to[0]: message for message in mail.outbox}
    assert set(told) == {anne.email, user.email}
    assert "Marie Dubois is now the digital representative" in told[anne.email].subject
    assert "You no longer act for the company" in told[anne.email].body
    assert "You remain a user" in told[user.email].body
    with translation.override("en"), pytest.raises(CompanyRefused) as gone:
        services.acting_check(person=anne, number=INTERIM)
    assert gone.value.code == "not_member"
    assert services.acting_check(person=marie, number=INTERIM) == company
    event = AuditEvent.objects.get(name="companies.representative.changed")
    assert (event.actor_id, event.data["old"], event.data["new"]) == (marie.pk, anne.pk, marie.pk)
    assert AuditEvent.objects.filter(name="companies.representative.designated").count() == 1


def test_a_user_who_becomes_representative_is_no_longer_listed_as_a_user(company, high):
    jan = high(email="jan@example.be", national_number=JAN)
    CompanyUser.objects.create(company=company, person=jan, added_at=timezone.now())
    _change, token = _designate(company, name="Jan Peeters", email=jan.email, national_number=JAN)

    services.representative_accept(token=token, person=jan)

    assert RegisteredCompany.objects.get().representative == jan
    assert not CompanyUser.objects.exists()


def test_a_legal_representative_recorded_by_the_contact_centre_designates(
    company, high, person_factory, deliver
):
    jan = high(first_name="Jan", last_name="Peeters", email="jan@example.be", national_number=JAN)
    stranger = high(national_number="95062312459")
    agent = person_factory(is_staff=True)
    LegalRepresentative.objects.create(
        number=INTERIM,
        name="Jan Peeters",
        national_number=JAN,
        reason="Moniteur belge, 2024-03-01",
        recorded_by=agent,
        recorded_at=timezone.now(),
    )

    refused = _refused(
        services.representative_company_check, person=stranger, number="BE 0123.456.749"
    )
    checked, basis = services.representative_company_check(person=jan, number="0123 456 749")
    with deliver():
        change, _token = _designate(company, person=jan)

    assert refused.code == "not_allowed"
    assert refused.message == (
        "Only the digital representative of Intérim Demo (0123.456.749), or a person recorded "
        "as one of its legal representatives, can designate a new digital representative. If "
        "you represent the company legally, contact the contact centre: they check the "
        "company's documents and record you."
    )
    assert (checked, basis, change.basis) == (company, "recorded", "recorded")
    # The representative hears of it at once.
    told = {message.to[0]: message.body for message in mail.outbox}
    assert "Jan Peeters designated Marie Dubois" in told[company.representative.email]


class RegistryWithDirectors(KboOpenDataRegistry):
    """The sample register, plus Jan as a legal representative of every
    company (what a registry that names persons would say)."""

    def lookup(self, enterprise_number: str) -> Any:
        data = super().lookup(enterprise_number)
        return data and dataclasses.replace(data, legal_representatives=(JAN,))


def test_a_legal_representative_in_the_registry_data_designates(company, high, settings):
    jan = high(email="jan@example.be", national_number=JAN)

    refused = _refused(services.representative_company_check, person=jan, number=INTERIM)
    settings.COMPANY_REGISTRY = f"{__name__}.RegistryWithDirectors"
    _company, basis = services.representative_company_check(person=jan, number=INTERIM)
    change, _token = _designate(company, person=jan)

    assert refused.code == "not_allowed"
    assert basis == change.basis == "registry"


def test_step_two_refuses_a_bad_or_unregistered_company(company, high):
    person = company.representative

    invalid = _refused(services.representative_company_check, person=person, number="0123456748")
    unknown = _refused(services.representative_company_check, person=person, number="0403170701")

    assert invalid.code == "invalid" and "check the last two digits" in invalid.message
    assert unknown.code == "not_registered"
    assert unknown.message.startswith("The company 0403.170.701 is not registered on Paraph")


def test_the_current_representative_cannot_be_designated_again(company):
    by_number = _refused(
        services.representative_designate,
        person=company.representative,
        number=INTERIM,
        name="Anne Martin",
        email="other@example.be",
        national_number=ANNE,
    )
    by_email = _refused(
        services.representative_designate,
        person=company.representative,
        number=INTERIM,
        name="Anne Martin",
        email="ANNE@example.be",
        national_number=MARIE,
    )

    for refusal in (by_number, by_email):
        assert refusal.code == "already_representative"
        assert refusal.message == (
            "Anne Martin is already the digital representative of Intérim Demo (0123.456.749)."
        )
    assert not RepresentativeChange.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("fields", "code", "says"),
    [
        ({"name": "  "}, "name", "Enter the name of the new digital representative."),
        ({"email": "marie"}, "email", "Enter an e-mail address like name@example.be."),
        ({"national_number": ""}, "national_number", "Enter the national register number"),
        ({"national_number": "90021400228"}, "national_number", "national register number"),
    ],
)
def test_bad_details_designate_nobody(company, fields, code, says):
    refusal = _refused(_designate, company=company, **fields)

    assert refusal.code == code and says in refusal.message
    assert not RepresentativeChange.objects.exists()


def test_a_person_whose_national_number_differs_cannot_accept(company, high):
    _change, token = _designate(company)
    namesake = high(email="marie.dubois@example.be", national_number="95062312459")

    refusal = _refused(services.representative_accept, token=token, person=namesake)

    assert refusal.code == "national_number"
    assert refusal.message == (
        "This designation is for another person: your national register number is not the one "
        "it was made for. Ask the person who designated you to check it."
    )
    assert RegisteredCompany.objects.get().representative == company.representative
    assert RepresentativeChange.objects.get().status == "pending"


def test_the_link_works_only_for_its_e_mail_and_for_itsme_or_eid(company, high, person_factory):
    _change, token = _designate(company)
    other = high(email="eve@example.be", national_number="95062312459")
    low = person_factory(email="marie.dubois@example.be", national_number=MARIE, language="en")

    other_mail = _refused(services.representative_accept, token=token, person=other)
    not_high = _refused(services.representative_accept, token=token, person=low)

    assert other_mail.code == "designation_other"
    assert "sent to another e-mail address" in other_mail.message
    assert not_high.code == "assurance" and "itsme or the eID card" in not_high.message
    assert RegisteredCompany.objects.get().representative == company.representative


def test_a_replayed_withdrawn_expired_or_unknown_link_is_refused(company, high, time_machine):
    marie = high(
        first_name="Marie",
        last_name="Dubois",
        email="marie.dubois@example.be",
        national_number=MARIE,
    )
    anne = company.representative
    _first, used = _designate(company)
    services.representative_accept(token=used, person=marie)
    company.refresh_from_db()
    withdrawn_change, withdrawn = _designate(
        company, person=marie, name="Anne Martin", email=anne.email, national_number=ANNE
    )
    services.representative_withdraw(change_id=withdrawn_change.pk, person=marie)
    _third, expiring = _designate(
        company, person=marie, name="Anne Martin", email=anne.email, national_number=ANNE
    )
    time_machine.move_to(timezone.now() + dt.timedelta(days=30, seconds=1))

    replayed = _refused(services.representative_accept, token=used, person=marie)
    gone = _refused(services.representative_accept, token=withdrawn, person=anne)
    expired = _refused(services.representative_accept, token=expiring, person=anne)
    unknown = _refused(services.representative_accept, token="nope", person=anne)

    assert replayed.code == "designation_used"
    assert replayed.message == (
        "This designation was already accepted: Marie Dubois represents Intérim Demo "
        "(0123.456.749)."
    )
    assert gone.code == "designation_withdrawn" and "was withdrawn" in gone.message
    assert expired.code == "designation_expired"
    assert expired.message == (
        "This designation has expired (after 30 days). If you should represent Intérim Demo "
        "(0123.456.749), ask for a new designation."
    )
    assert unknown.code == "designation_unknown"
    assert RegisteredCompany.objects.get().representative == marie


def test_one_designation_waits_at_a_time_until_withdrawn_or_expired(company, time_machine):
    first, _token = _designate(company)

    second = _refused(
        _designate,
        company=company,
        name="Jan Peeters",
        email="jan@example.be",
        national_number=JAN,
    )
    assert second.code == "pending"
    assert "already waiting for Marie Dubois to accept it" in second.message
    services.representative_withdraw(change_id=first.pk, person=company.representative)
    after_withdrawal, _token = _designate(
        company, name="Jan Peeters", email="jan@example.be", national_number=JAN
    )
    time_machine.move_to(timezone.now() + dt.timedelta(days=31))
    after_expiry, _token = _designate(company)

    assert [c.status for c in RepresentativeChange.objects.order_by("pk")] == [
        "withdrawn",
        "expired",
        "pending",
    ]
    assert after_expiry.pk != after_withdrawal.pk
    assert AuditEvent.objects.filter(name="companies.representative.expired").count() == 1
    assert AuditEvent.objects.filter(name="companies.representative.withdrawn").count() == 1


def test_only_the_designator_or_the_contact_centre_withdraws(company, high, person_factory):
    jan = high(email="jan@example.be", national_number=JAN)
    LegalRepresentative.objects.create(
        number=INTERIM,
        name="Jan Peeters",
        national_number=JAN,
        reason="checked",
        recorded_by=jan,
        recorded_at=timezone.now(),
    )
    change, _token = _designate(company, person=jan)
    agent = make_agent(person_factory, language="en")

    by_outsider = _refused(services.representative_withdraw, change_id=change.pk, person=high())
    by_representative = _refused(
        services.representative_withdraw, change_id=change.pk, person=company.representative
    )
    assert RepresentativeChange.objects.get().status == "pending"
    services.representative_withdraw(change_id=change.pk, person=agent)

    assert by_outsider.code == by_representative.code == "not_allowed"
    assert by_outsider.message == "You may not withdraw this designation."
    assert RepresentativeChange.objects.get().status == "withdrawn"


def test_the_contact_centre_designates_with_a_written_reason(company, person_factory, deliver):
    agent = person_factory(is_staff=True, language="en")
    agent.groups.add(Group.objects.get(name=AGENTS))
    agent = type(agent).objects.get(pk=agent.pk)  # fresh permission cache
    fields = {
        "person": agent,
        "number": INTERIM,
        "name": "Marie Dubois",
        "email": "marie.dubois@example.be",
        "national_number": MARIE,
        "by_contact_centre": True,
    }

    no_reason = _refused(services.representative_designate, **fields)
    not_staff = _refused(
        services.representative_designate,
        **{**fields, "person": person_factory()},
        reason="x",
    )
    with deliver():
        change, _token = services.representative_designate(
            **fields, reason="Representative deceased; statutes and ID checked by phone."
        )

    assert no_reason.code == "reason" and not_staff.code == "not_allowed"
    assert (change.basis, change.designated_by) == ("contact_centre", agent)
    event = AuditEvent.objects.get(name="companies.representative.designated")
    assert event.data["reason"].startswith("Representative deceased")
    assert {m.to[0] for m in mail.outbox} == {"marie.dubois@example.be", "anne@example.be"}


def test_the_back_office_designation_shows_a_refusal_beside_the_form(company, person_factory):
    agent = make_agent(person_factory, language="en")
    client = staff_login(Client(), agent)
    url = "/backoffice/companies/representativechange/add/"
    data = {
        "number": "0123.456.749",
        "name": "Anne Martin",
        "email": "x@example.be",
        "national_number": ANNE,
        "reason": "",
    }

    empty = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    same = client.post(
        url, {**data, "reason": "checked"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    done = client.post(
        url,
        {**data, "name": "Marie Dubois", "national_number": "90.02.14-002.27", "reason": "checked"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "This field is required." in empty
    recorded = client.post(
        "/backoffice/companies/legalrepresentative/add/",
        {
            "number": "BE 0123.456.749",
            "name": "Jan Peeters",
            "national_number": "90.02.01-997.04",
            "reason": "Moniteur belge of 2024-03-01",
        },
    )
    assert recorded.status_code == 302
    legal = LegalRepresentative.objects.get()
    assert (legal.number, legal.national_number, legal.recorded_by) == (INTERIM, JAN, agent)
    assert AuditEvent.objects.filter(name="backoffice.object.added").count() == 1
    assert "is already the digital representative of Intérim Demo" in same
    assert done.status_code == 302
    change = RepresentativeChange.objects.get(national_number=MARIE)
    assert (change.basis, change.reason, change.designated_by) == (
        "contact_centre",
        "checked",
        agent,
    )


# --- the pages ------------------------------------------------------------------


def _step_up(client: Client, identity: str, next_url: str) -> None:
    response = sandbox_itsme(
        client, identity, start="/identity/step-up/itsme/", data={"next": next_url}
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_the_three_steps_in_pages(company, high, settings, deliver):
    settings.SANDBOX = True
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(company.representative)

    first = client.get("/company/representative/?number=0123456749").content.decode()
    assert "First confirm who you are with itsme or your eID card" in first
    assert 'name="number"' not in first
    _step_up(client, "anne", "/company/representative/?number=0123456749")
    second = client.get("/company/representative/?number=0123456749").content.decode()
    assert 'value="0123456749"' in second
    wrong = client.post("/company/representative/", {"number": "0403.170.701"})
    assert wrong.status_code == 400
    assert "is not registered on Paraph" in wrong.content.decode()
    step = client.post("/company/representative/", {"number": "0123.456.749"})
    assert step["Location"] == "/company/0123456749/representative/"
    same = client.post(
        step["Location"],
        {"action": "designate", "name": "Anne", "email": "a@example.be", "national_number": ANNE},
    )
    assert same.status_code == 400
    assert "Anne Martin is already the digital representative" in same.content.decode()
    with deliver():
        done = client.post(
            step["Location"],
            {
                "action": "designate",
                "name": "Marie Dubois",
                "email": "marie.dubois@example.be",
                "national_number": "90.02.14-002.27",
            },
            follow=True,
        )
    page = done.content.decode()
    assert "Marie Dubois is designated" in page
    assert "A designation is waiting" in page

    marie = high(email="marie.dubois@example.be", national_number=MARIE)
    link = _link(mail.outbox[0])
    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "To accept, log in" in visitor.get(link).content.decode()
    visitor.force_login(marie)
    accepted = visitor.post(link, follow=True)
    assert "You are now the digital representative of Intérim Demo" in accepted.content.decode()
    replayed = visitor.get(link)
    assert replayed.status_code == 410
    assert "This designation was already accepted" in replayed.content.decode()


def test_the_steps_refuse_a_person_who_may_not_change_it(company, high, settings):
    settings.SANDBOX = True
    jan = high(email="jan@example.be", national_number=JAN)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(jan)
    _step_up(client, "jan", "/company/representative/")

    step = client.post("/company/representative/", {"number": INTERIM})
    direct = client.get(f"/company/{INTERIM}/representative/")

    assert step.status_code == 400 and "Only the digital representative of" in step.content.decode()
    assert direct.status_code == 403
    assert not RepresentativeChange.objects.exists()


def test_the_representative_who_lost_the_role_is_refused_at_the_next_request(company, high):
    anne = company.representative
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(anne)
    client.post("/company/act/", {"as": INTERIM, "next": "/adminbox/"})
    assert client.get("/adminbox/").status_code == 200
    marie = high(email="marie.dubois@example.be", national_number=MARIE)
    _change, token = _designate(company)
    services.representative_accept(token=token, person=marie)

    response = client.get("/adminbox/")

    assert response.status_code == 403
    assert "You are neither the digital representative nor a user of Intérim Demo" in (
        response.content.decode()
    )


# --- two changes at once ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_changes_at_once_exactly_one_wins(company, high):
    jan = high(email="jan@example.be", national_number=JAN)
    LegalRepresentative.objects.create(
        number=INTERIM,
        name="Jan Peeters",
        national_number=JAN,
        reason="checked",
        recorded_by=jan,
        recorded_at=timezone.now(),
    )

    results = race(
        lambda: _designate(company),
        lambda: _designate(
            company,
            person=jan,
            name="Léa Wouters",
            email="lea@example.be",
            national_number="95062312459",
        ),
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], CompanyRefused) and errors[0].code == "pending"
    assert RepresentativeChange.objects.filter(status="pending").count() == 1
    assert AuditEvent.objects.filter(name="companies.representative.designated").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_designations_past_the_checks_at_once_leave_one(company, monkeypatch):
    """Without the company's lock both read "nothing waits"; the partial
    unique constraint still lets one through, and the other gets the same
    message as when it waited."""
    monkeypatch.setattr(
        RegisteredCompany.objects, "select_for_update", lambda: RegisteredCompany.objects.all()
    )
    both_checked = threading.Barrier(2)
    create = RepresentativeChange.objects.create

    def create_when_both_checked(**fields: Any) -> Any:
        both_checked.wait()
        return create(**fields)

    monkeypatch.setattr(RepresentativeChange.objects, "create", create_when_both_checked)

    results = race(
        lambda: _designate(company),
        lambda: _designate(
            company, name="Jan Peeters", email="jan@example.be", national_number=JAN
        ),
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], CompanyRefused) and errors[0].code == "pending"
    assert RepresentativeChange.objects.filter(status="pending").count() == 1


def test_the_company_file_in_the_back_office_lists_its_designations(company, person_factory):
    _designate(company)
    client = staff_login(Client(), make_agent(person_factory, language="en"))

    page = client.get(
        f"/backoffice/companies/registeredcompany/{company.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "Marie Dubois" in page and "the current digital representative" in page

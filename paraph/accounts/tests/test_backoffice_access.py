"""Who gets into the back office, and what agents may see and do there."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.accounts.tests.backoffice import AGENTS, make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.audit.services import audit_record

pytestmark = pytest.mark.django_db

PEOPLE = "/backoffice/accounts/person/"


@pytest.fixture
def agent(person_factory):
    return make_agent(person_factory, language="en")


@pytest.fixture
def agent_client(client, agent):
    return staff_login(client, agent)


@pytest.fixture
def superuser_client(client, person_factory):
    return staff_login(client, person_factory(is_staff=True, is_superuser=True))


def _change_page(person):
    return f"{PEOPLE}{person.pk}/change/"


def test_the_agents_group_has_exactly_its_permissions():
    group = Group.objects.get(name=AGENTS)
    # The identity app grants agents its own (identity/migrations/0002).
    permissions = group.permissions.exclude(content_type__app_label="identity")
    assert sorted(permissions.values_list("codename", flat=True)) == [
        "add_legalrepresentative",
        "add_person",
        "add_representativechange",
        "change_correctionrequest",
        "change_person",
        "change_personsigningkey",
        "change_ticket",
        "delete_legalrepresentative",
        "view_auditevent",
        "view_companyuser",
        "view_correctionrequest",
        "view_intermediary",
        "view_legalrepresentative",
        "view_person",
        "view_personsigningkey",
        "view_registeredcompany",
        "view_representativechange",
        "view_ticket",
    ]


@pytest.mark.parametrize("path", ["/backoffice/", PEOPLE, "/backoffice/support/ticket/"])
def test_an_anonymous_visitor_is_sent_to_the_log_in(client, path, person):
    response = client.get(path)
    assert response.status_code == 302
    assert person.email not in response.content.decode()


@pytest.mark.parametrize("path", ["/backoffice/", PEOPLE, "/backoffice/audit/auditevent/"])
def test_a_person_who_is_not_staff_gets_no_access(client, person_factory, path):
    person = person_factory()
    other = person_factory(email="someone.else@example.be")
    client.force_login(person)
    response = client.get(path)
    assert response.status_code in (302, 403)
    assert other.email not in response.content.decode()


def test_staff_without_a_group_sees_no_people(client, person_factory):
    staff = person_factory(is_staff=True)
    other = person_factory(email="someone.else@example.be")
    staff_login(client, staff)
    assert client.get(PEOPLE).status_code == 403
    assert client.get(_change_page(other)).status_code == 403


def test_an_agent_finds_people_by_name_email_phone_or_national_number(agent_client, person_factory):
    wanted = person_factory(
        first_name="Sofie",
        last_name="Janssens",
        email="sofie.janssens@example.be",
        phone="+32470998877",
        national_number="85073003328",
    )
    other = person_factory(first_name="Marc", last_name="Dubois", email="marc@example.be")
    for query in (
        "Janssens",
        "SOFIE.janssens@",
        "0470 99 88 77",
        "+32470998877",
        "85.07.30-033.28",
    ):
        page = agent_client.get(PEOPLE, {"q": query}).content.decode()
        assert wanted.email in page, query
        assert other.email not in page, query


def test_an_agent_can_filter_locked_accounts(agent_client, person_factory):
    locked = person_factory(locked_until=timezone.now() + dt.timedelta(minutes=20))
    free = person_factory()
    page = agent_client.get(PEOPLE, {"locked": "yes"}).content.decode()
    assert locked.email in page
    assert free.email not in page


def test_the_person_page_shows_no_secret_and_no_editable_contact_field(
    agent_client, person_factory
):
    person = person_factory(national_number="85073003328")
    person.set_password("a staff password nobody should see")
    person.save()
    page = agent_client.get(_change_page(person)).content.decode()
    assert person.password not in page
    assert "session_epoch" not in page
    assert "85.07.30-033.28" in page
    assert person.email in page
    # Contact details change only through their own pages, with a reason.
    assert not re.search(r'<input[^>]*name="email"', page)
    assert not re.search(r'<input[^>]*name="phone"', page)
    assert "Change e-mail address" in page
    assert "Change phone number" in page
    # Back-office access is not an agent's to give.
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' not in page


def test_an_agent_cannot_give_themselves_more_rights(agent_client, agent):
    response = agent_client.post(
        _change_page(agent),
        {
            "first_name": agent.first_name,
            "last_name": agent.last_name,
            "language": "fr",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "email": "new@example.be",
            "groups": [g.pk for g in Group.objects.all()],
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.is_superuser
    assert agent.email != "new@example.be"
    assert list(agent.groups.values_list("name", flat=True)) == [AGENTS]


def test_a_superuser_sees_and_grants_back_office_access(superuser_client, person_factory):
    person = person_factory()
    page = superuser_client.get(_change_page(person)).content.decode()
    assert 'name="groups"' in page
    assert person.password not in page


def test_an_agent_cannot_delete_a_person(agent_client, person):
    assert agent_client.get(f"{PEOPLE}{person.pk}/delete/").status_code == 403
    assert agent_client.post(f"{PEOPLE}{person.pk}/delete/", {"post": "yes"}).status_code == 403
    response = agent_client.post(
        PEOPLE, {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"}
    )
    assert Person.objects.filter(pk=person.pk).exists()
    assert response.status_code in (200, 302)
    assert not AuditEvent.objects.filter(name="backoffice.object.deleted").exists()


def test_people_are_added_only_through_the_create_page_with_a_reason(superuser_client):
    # Not Django's model form: person_create checks, audits and welcomes.
    page = superuser_client.get(f"{PEOPLE}add/").content.decode()
    assert '<textarea name="reason"' in page
    assert 'name="password' not in page and 'name="is_superuser"' not in page


def test_an_agent_reads_the_audit_log_but_cannot_change_it(agent_client, person):
    event = audit_record(name="accounts.login.succeeded", actor=person, subject=person)
    assert agent_client.get("/backoffice/audit/auditevent/").status_code == 200
    page = agent_client.get(f"/backoffice/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert "accounts.login.succeeded" in page.content.decode()
    changed = agent_client.post(
        f"/backoffice/audit/auditevent/{event.pk}/change/", {"name": "accounts.login.failed"}
    )
    assert changed.status_code == 403
    assert agent_client.post(f"/backoffice/audit/auditevent/{event.pk}/delete/").status_code == 403


def test_an_agent_cannot_manage_groups(agent_client):
    assert agent_client.get("/backoffice/auth/group/").status_code == 403

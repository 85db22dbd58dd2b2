"""Every staff action in the back office is in the audit log."""

import pytest
from django.contrib.auth.models import Group

from paraph.accounts.models import Person
from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.audit.services import audit_verify_chain
from paraph.core.context import SYSTEM
from paraph.support.models import Ticket, TicketStatus
from paraph.support.services import ticket_create

pytestmark = pytest.mark.django_db

TICKETS = "/backoffice/support/ticket/"


@pytest.fixture
def agent(person_factory):
    return make_agent(person_factory, last_name="Desk", language="en")


@pytest.fixture
def agent_client(client, agent):
    return staff_login(client, agent)


@pytest.fixture
def superuser(person_factory):
    return person_factory(is_staff=True, is_superuser=True, language="en")


@pytest.fixture
def superuser_client(client, superuser):
    return staff_login(client, superuser)


def _ticket(topic="login", **fields):
    values = {
        "topic": topic,
        "name": "Anne Martin",
        "email": "anne@example.be",
        "reference": "",
        "message": "I am locked out.",
        "language": "fr",
        "person": None,
        "context": SYSTEM,
    }
    values.update(fields)
    return ticket_create(**values)


def _events(name):
    return list(AuditEvent.objects.filter(name=name).order_by("id"))


def test_an_agent_takes_a_ticket_and_the_change_is_audited(agent_client, agent):
    ticket = _ticket()
    response = agent_client.post(
        f"{TICKETS}{ticket.pk}/change/",
        {"status": TicketStatus.IN_PROGRESS, "queue": "identity", "assignee": agent.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("in_progress", agent)

    (event,) = _events("backoffice.object.changed")
    assert event.actor_id == agent.pk
    assert event.subject_type == "support.ticket"
    assert event.subject_id == str(ticket.pk)
    assert event.subject_label == ticket.number
    assert event.data == {
        "model": "support.ticket",
        "fields": ["assignee", "status"],
        "changes": {
            "assignee": {"old": None, "new": str(agent)},
            "status": {"old": "open", "new": "in_progress"},
        },
    }
    assert audit_verify_chain() is None


def test_what_the_person_wrote_cannot_be_changed(agent_client):
    ticket = _ticket()
    agent_client.post(
        f"{TICKETS}{ticket.pk}/change/",
        {"status": "closed", "queue": "identity", "message": "rewritten", "email": "x@y.be"},
    )
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert (ticket.message, ticket.email) == ("I am locked out.", "anne@example.be")


def test_a_ticket_is_assigned_to_staff_only(agent_client, person_factory):
    ticket = _ticket()
    outsider = person_factory()
    response = agent_client.post(
        f"{TICKETS}{ticket.pk}/change/",
        {"status": "open", "queue": "identity", "assignee": outsider.pk},
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not _events("backoffice.object.changed")


def test_agents_filter_tickets_by_queue_status_and_topic(agent_client):
    identity = _ticket("login", name="Ilse Identity")
    contracts = _ticket("contracts", name="Carl Contracts")
    page = agent_client.get(TICKETS, {"queue__exact": "identity"}).content.decode()
    assert identity.number in page and contracts.number not in page
    page = agent_client.get(TICKETS, {"topic__exact": "contracts"}).content.decode()
    assert contracts.number in page and identity.number not in page
    page = agent_client.get(TICKETS, {"status__exact": "open"}).content.decode()
    assert identity.number in page and contracts.number in page


def test_an_agent_cannot_delete_or_add_tickets(agent_client):
    ticket = _ticket()
    assert agent_client.post(f"{TICKETS}{ticket.pk}/delete/", {"post": "yes"}).status_code == 403
    assert agent_client.get(f"{TICKETS}add/").status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_a_person_change_by_an_agent_is_audited_with_old_and_new_values(
    agent_client, agent, person_factory
):
    person = person_factory(first_name="Anne", last_name="Martin", language="fr")
    agent_client.post(
        f"/backoffice/accounts/person/{person.pk}/change/",
        {"first_name": "Anne", "last_name": "Martin-Dupont", "language": "nl", "is_active": "on"},
    )
    (event,) = _events("backoffice.object.changed")
    assert event.actor_id == agent.pk
    assert event.subject_id == str(person.pk)
    assert event.data["fields"] == ["language", "last_name"]
    assert event.data["changes"]["last_name"] == {"old": "Martin", "new": "Martin-Dupont"}
    assert event.data["changes"]["language"] == {"old": "fr", "new": "nl"}


def test_a_superuser_deleting_a_person_is_audited(superuser_client, superuser, person_factory):
    person = person_factory(first_name="Gone", last_name="Person")
    pk = person.pk
    response = superuser_client.post(f"/backoffice/accounts/person/{pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Person.objects.filter(pk=pk).exists()
    (event,) = _events("backoffice.object.deleted")
    assert event.actor_id == superuser.pk
    assert (event.subject_id, event.subject_label) == (str(pk), "Gone Person")
    assert event.data == {"model": "accounts.person"}


def test_a_bulk_deletion_writes_one_event_per_object(superuser_client, superuser):
    tickets = [_ticket(), _ticket(), _ticket()]
    superuser_client.post(
        TICKETS,
        {
            "action": "delete_selected",
            "_selected_action": [t.pk for t in tickets[:2]],
            "post": "yes",
        },
    )
    assert list(Ticket.objects.values_list("pk", flat=True)) == [tickets[2].pk]
    events = _events("backoffice.object.deleted")
    assert sorted(e.subject_label for e in events) == sorted(t.number for t in tickets[:2])
    assert {e.actor_id for e in events} == {superuser.pk}
    assert audit_verify_chain() is None


def test_adding_and_changing_a_group_is_audited(superuser_client, superuser):
    response = superuser_client.post("/backoffice/auth/group/add/", {"name": "Supervisors"})
    assert response.status_code == 302
    group = Group.objects.get(name="Supervisors")
    (added,) = _events("backoffice.object.added")
    assert added.actor_id == superuser.pk
    assert added.data == {
        "model": "auth.group",
        "fields": ["name"],
        "changes": {"name": {"new": "Supervisors"}},
    }

    superuser_client.post(f"/backoffice/auth/group/{group.pk}/change/", {"name": "Team leads"})
    (changed,) = _events("backoffice.object.changed")
    assert changed.data["changes"] == {"name": {"old": "Supervisors", "new": "Team leads"}}


def test_granting_back_office_access_is_audited(superuser_client, superuser, person_factory):
    person = person_factory(first_name="New", last_name="Agent", language="fr")
    agents = Group.objects.get(name="Contact centre agents")
    superuser_client.post(
        f"/backoffice/accounts/person/{person.pk}/change/",
        {
            "first_name": "New",
            "last_name": "Agent",
            "language": "fr",
            "is_active": "on",
            "is_staff": "on",
            "groups": [agents.pk],
        },
    )
    person.refresh_from_db()
    assert person.is_staff
    (event,) = _events("backoffice.object.changed")
    assert event.data["changes"]["is_staff"] == {"old": False, "new": True}
    assert event.data["changes"]["groups"] == {"old": [], "new": ["Contact centre agents"]}


def test_a_contact_change_is_audited_once_not_twice(agent_client, person_factory):
    person = person_factory()
    agent_client.post(
        f"/backoffice/accounts/person/{person.pk}/change-email/",
        {"new_email": "fresh@example.be", "reason": "Asked by phone, identity checked."},
    )
    assert len(_events("accounts.email.changed")) == 1
    assert not _events("backoffice.object.changed")

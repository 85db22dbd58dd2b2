"""``paraph bootstrap-admin``: on a new installation, the first agent can
log in to the back office at once (password, then the SMS code), the
audit log says who was made, and a second run changes nothing."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paraph.accounts.models import Person
from paraph.accounts.tests.helpers import english_client, last_code
from paraph.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
OPTIONS = {
    "email": "ops@example.be",
    "phone": "0470 12 34 56",
    "first_name": "Camille",
    "last_name": "Dupont",
    "language": "en",
}


def bootstrap(monkeypatch, password: str = PASSWORD, **options: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("bootstrap-admin", password_stdin=True, stdout=out, **{**OPTIONS, **options})
    return out.getvalue()


def test_the_first_agent_logs_in_to_the_back_office_at_once(monkeypatch, clock, deliver):
    said = bootstrap(monkeypatch)

    assert "ops@example.be created" in said
    agent = Person.objects.get(email="ops@example.be")
    assert (agent.is_staff, agent.is_superuser, agent.is_active) == (True, True, True)
    assert agent.phone == "+32470123456"
    assert agent.phone_verified_at is not None
    assert agent.groups.filter(name="Contact centre agents").exists()
    assert PASSWORD not in said

    client = english_client()
    with deliver():
        client.post("/backoffice/login/", {"email": "ops@example.be", "password": PASSWORD})
    client.post("/backoffice/login/", {"code": last_code("+32470123456"), "action": "code"})
    assert client.get("/backoffice/").status_code == 200


def test_the_agents_creation_is_in_the_audit_log(monkeypatch):
    bootstrap(monkeypatch)

    agent = Person.objects.get(email="ops@example.be")
    event = AuditEvent.objects.get(name="accounts.agent.bootstrapped")
    assert event.subject_id == str(agent.pk)
    assert event.actor_label == "paraph bootstrap-admin"
    assert event.data["email"] == "ops@example.be"
    assert PASSWORD not in str(event.data)


def test_a_second_run_is_refused_and_changes_nothing(monkeypatch):
    bootstrap(monkeypatch)
    events = AuditEvent.objects.count()

    with pytest.raises(CommandError) as refused:
        bootstrap(monkeypatch, email="other@example.be", phone="+32470999999")

    assert "already has an agent (ops@example.be)" in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert not Person.objects.filter(email="other@example.be").exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("options", "password", "said"),
    [
        ({"phone": "02 123 45 67"}, PASSWORD, "02 123 45 67"),
        ({"email": "not-an-address"}, PASSWORD, "is not an e-mail address"),
        ({}, "short", "the password is refused"),
    ],
)
def test_wrong_details_are_named_and_nobody_is_made(monkeypatch, options, password, said):
    with pytest.raises(CommandError) as refused:
        bootstrap(monkeypatch, password=password, **options)

    assert said in str(refused.value)
    assert not Person.objects.filter(is_staff=True).exists()


def test_no_password_on_standard_input_is_refused(monkeypatch):
    with pytest.raises(CommandError, match="no password on standard input"):
        bootstrap(monkeypatch, password="")

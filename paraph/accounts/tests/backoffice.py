"""Helpers shared by the back-office tests (not a test module)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

AGENTS = "Contact centre agents"


def staff_login(client: Any, staff: Any) -> Any:
    """Log ``staff`` in to the back office, as if both factors were given
    (the two-factor log-in itself is tested with the log-in flow)."""
    from paraph.accounts.services import STAFF_VERIFIED_SESSION_KEY

    client.force_login(staff)
    session = client.session
    session[STAFF_VERIFIED_SESSION_KEY] = staff.pk
    session.save()
    return client


def make_agent(person_factory: Any, **fields: Any) -> Any:
    agent = person_factory(is_staff=True, first_name="Agent", **fields)
    agent.groups.add(Group.objects.get(name=AGENTS))
    return agent


def superuser_client(person_factory: Any) -> Any:
    """A test client logged in to the back office as a superuser who reads
    it in English."""
    from django.test import Client

    boss = person_factory(is_staff=True, is_superuser=True, language="en")
    client = Client()
    client.cookies["paraph_language"] = "en"
    return staff_login(client, boss)

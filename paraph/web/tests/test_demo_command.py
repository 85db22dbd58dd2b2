"""``paraph demo`` (run by every ``make run``) works on every start,
whatever the demo people changed in between."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from paraph.accounts.models import Person
from paraph.contracts.models import Contract
from paraph.core.demo import DEMO_AGENT, DEMO_PEOPLE

pytestmark = pytest.mark.django_db


def _demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_a_second_start_changes_nothing(settings):
    settings.SANDBOX = True
    _demo()
    people, contracts = Person.objects.count(), Contract.objects.count()

    _demo()

    assert (Person.objects.count(), Contract.objects.count()) == (people, contracts)


def test_a_start_after_the_demo_people_changed_their_details(settings):
    settings.SANDBOX = True
    _demo()
    anne = Person.objects.get(email=DEMO_PEOPLE[0]["email"])
    anne.email = "anne.martin@example.be"  # changed in her preferences
    anne.save(update_fields=["email"])
    jan = Person.objects.get(email=DEMO_PEOPLE[1]["email"])
    jan.email, jan.phone = "jan@example.be", "+32470999888"
    jan.save(update_fields=["email", "phone"])
    agent = Person.objects.get(email=DEMO_AGENT["email"])
    agent.email = "camille@example.be"
    agent.save(update_fields=["email"])
    people, contracts = Person.objects.count(), Contract.objects.count()

    out = _demo()

    assert "Back office" in out
    assert (Person.objects.count(), Contract.objects.count()) == (people, contracts)
    anne.refresh_from_db()
    assert anne.email == "anne.martin@example.be", "what she changed is kept"
    assert Contract.objects.filter(recipient=anne).count() == 1

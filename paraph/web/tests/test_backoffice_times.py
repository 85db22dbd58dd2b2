"""Every time in the back office in Brussels time (issue 14): in a list, on
a detail page (an object's name, a JSON field's moments), in summer (CEST,
UTC+2) and in winter (CET, UTC+1), with the zone when the wall-clock time
happens twice; the API and webhooks keep UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from paraph.accounts.tests.backoffice import superuser_client
from paraph.audit.models import AuditEvent
from paraph.audit.services import audit_record
from paraph.contracts.services.common import contract_webhook_data
from paraph.contracts.tests.fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db

SUMMER = dt.datetime(2026, 7, 1, 9, 17, 23, tzinfo=dt.UTC)  # 11:17:23 in Brussels
WINTER = dt.datetime(2026, 1, 15, 9, 17, 23, tzinfo=dt.UTC)  # 10:17:23 in Brussels
EVENTS = "/backoffice/audit/auditevent/"


@pytest.fixture
def backoffice(person_factory: Any) -> Client:
    return superuser_client(person_factory)


def _event_at(time_machine: Any, moment: dt.datetime, **data: Any) -> AuditEvent:
    time_machine.move_to(moment, tick=False)
    audit_record(name="identity.registration.started", data=data)
    return AuditEvent.objects.latest("id")


@pytest.mark.parametrize(
    ("moment", "local", "zone", "utc_shown"),
    [(SUMMER, "11:17", "CEST", "9:17"), (WINTER, "10:17", "CET", "9:17")],
    ids=["summer", "winter"],
)
def test_a_list_and_a_detail_page_show_brussels_time(
    time_machine, backoffice, moment, local, zone, utc_shown
):
    event = _event_at(time_machine, moment, locked_until=moment.isoformat())

    listing = backoffice.get(EVENTS).content.decode()
    detail = backoffice.get(f"{EVENTS}{event.pk}/change/").content.decode()

    assert local in listing and f" {utc_shown} " not in listing
    # The page's title (the event's name) and its data, once in UTC.
    assert f"{local}:23 {zone} identity.registration.started" in detail
    assert f"{local}:23 {zone}" in detail.split("locked_until", 1)[1][:200]
    assert "+00:00" not in detail


def test_the_hour_that_happens_twice_says_which(time_machine, backoffice):
    # 25 October 2026: 02:30 in Brussels happens at 00:30 UTC (summer time,
    # CEST) and again at 01:30 UTC (winter time, CET).
    _event_at(time_machine, dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC))
    _event_at(time_machine, dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC))
    _event_at(time_machine, dt.datetime(2026, 10, 25, 3, 30, tzinfo=dt.UTC))

    listing = backoffice.get(EVENTS).content.decode()

    assert "2:30 a.m. CEST" in listing and "2:30 a.m. CET<" in listing
    assert "4:30 a.m.<" in listing  # not ambiguous: no zone needed


@pytest.mark.parametrize("moment", [SUMMER, WINTER], ids=["summer", "winter"])
def test_the_api_and_webhooks_keep_utc(time_machine, api, make_contract, moment):
    time_machine.move_to(moment, tick=False)
    contract = make_contract()
    contract.refresh_from_db()
    expected = contract.deadline.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    shown = api.get(f"/api/contracts/{contract.public_id}").json()
    hook = contract_webhook_data(contract)["contract"]

    assert shown["signing_deadline"] == expected
    assert hook["signing_deadline"] == expected


def test_the_evidence_says_which_of_the_two_half_past_two():
    from paraph.contracts.evidence import _moment

    first = _moment(dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC))
    second = _moment(dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC))
    summer = _moment(SUMMER.isoformat())

    assert (first, second) == ("25/10/2026 02:30:00 CEST", "25/10/2026 02:30:00 CET")
    assert summer == "01/07/2026 11:17:23"

"""The audit log's list in the back office never reads the log whole: the
whole log is counted by the checkpoint sequencer, a filtered list up to
10,000 events ("more than 10,000 events"), the event names offered are the
catalogue's and the dates fixed ranges (ADR 43)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paraph.accounts.tests.backoffice import superuser_client
from paraph.audit.services import audit_checkpoint, audit_record
from paraph.mandates.tests.test_no_query_reads_a_whole_table import _assert_nothing_read_whole

pytestmark = pytest.mark.django_db

EVENTS = "/backoffice/audit/auditevent/"


@pytest.fixture
def backoffice(person_factory: Any) -> Client:
    return superuser_client(person_factory)


def _events(n: int, name: str = "accounts.login.succeeded") -> None:
    for i in range(n):
        audit_record(name=name, data={"n": i})


def test_the_list_reads_no_table_whole_filtered_or_not(backoffice, monkeypatch):
    # pages of two: the list is read a page at a time, as a long log is
    monkeypatch.setattr("paraph.audit.admin.AuditEventAdmin.list_per_page", 2)
    _events(3)
    audit_checkpoint()
    _events(2, "accounts.login.failed")
    with CaptureQueriesContext(connection) as queries:
        whole = backoffice.get(EVENTS)
        failed = backoffice.get(EVENTS, {"name": "accounts.login.failed"})
        since = (timezone.now() - datetime.timedelta(days=7)).isoformat()
        week = backoffice.get(EVENTS, {"created_at__gte": since})
    assert whole.status_code == failed.status_code == week.status_code == 200
    _assert_nothing_read_whole(queries.captured_queries, at_least=6)


def test_the_counts_shown_are_the_logs(backoffice):
    before = backoffice.get(EVENTS).content.decode()
    _events(3)
    audit_checkpoint()
    _events(2, "accounts.login.failed")
    page = backoffice.get(EVENTS).content.decode()
    shown = int(page.split('<p class="paginator">', 1)[1].split("audit events", 1)[0].split()[-1])
    earlier = before.split('<p class="paginator">', 1)[1].split("audit events", 1)[0].split()[-1]
    # the staff's own log-in is in the log too: 5 more than before
    assert shown == int(earlier) + 5
    failed = backoffice.get(EVENTS, {"name": "accounts.login.failed"}).content.decode()
    assert "2 audit events" in failed
    # the catalogue's names are offered, even those never recorded yet
    assert "?name=contracts.contract.signed" in page


def test_a_long_filtered_list_says_more_than_it_counted(backoffice, monkeypatch):
    monkeypatch.setattr("paraph.audit.admin._Events.cap", 4)
    _events(6, "accounts.login.failed")
    page = backoffice.get(EVENTS, {"name": "accounts.login.failed"}).content.decode()
    assert "more than 4 events" in page
    assert "6 audit events" not in page

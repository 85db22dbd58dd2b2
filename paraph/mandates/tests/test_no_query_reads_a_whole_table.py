"""A contract's whole journey (sent by the API, alone and in a bulk send,
the recipient logging in by phone, the adminbox, the contract page, the
mandate, the signature by password, the sender reading the result by the
API and in its back office) reads no table whole: every query
it makes is answered through an index, on SQLite and on PostgreSQL. With a
million people and contracts, one query that reads a table whole costs
every request that makes it a million rows (``bench/dispatch.py --people
200000`` found two such look-ups that took a contract from 25 to 10 per
second). Each query is captured as the product makes it and explained:
SQLite's plan must not ``SCAN`` the table, PostgreSQL's (sequential scans
discouraged, as the tables are tiny here) must not read it sequentially.

A query for the first rows of a table in an index's order (the newest
CRL) walks that index only as far as the first rows: it is not counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.module_loading import import_string

from paraph.accounts.tests.helpers import CODE as LOGIN_CODE
from paraph.accounts.tests.helpers import LOGIN
from paraph.contracts.models import Contract
from paraph.contracts.tests.fixtures import contract_json
from paraph.mandates.tests.conftest import PASSWORD, verified
from paraph.scheduling.jobs import JOBS

pytestmark = pytest.mark.django_db

PHONE = "+32470555111"


def _first_rows_only(sql: str) -> bool:
    """A query for the first rows of a table in an index's order, with no
    condition (the newest CRL, the last audit checkpoint): walking that
    index stops at the first rows, whatever the table's size."""
    return (
        " WHERE " not in sql
        and " JOIN " not in sql
        and bool(re.search(r" LIMIT \d+( FOR UPDATE)?$", sql))
    )


def _whole_tables(sql: str) -> set[str]:
    """The tables the plan of ``sql`` reads whole."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            return set(_pg_whole(plan[0]["Plan"] if isinstance(plan, list) else plan))
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    # "SCAN t" reads the table, "SCAN t USING (COVERING) INDEX i" a whole
    # index; "SCAN subquery" reads what a subquery returned, not a table
    tables = set(connection.introspection.table_names())
    return set(re.findall(r"\bSCAN (\w+)", plan)) & tables


def _pg_whole(node: dict[str, Any]) -> Iterator[str]:
    """The tables a PostgreSQL plan node (and those under it) reads whole: a
    sequential scan, or an index walked from end to end (no condition on
    it, only a filter on the rows it returns), unless the index is partial
    (it holds only the rows its predicate names: the tasks waiting)."""
    kind = node["Node Type"]
    if kind == "Seq Scan" or (
        kind in ("Index Scan", "Index Only Scan")
        and "Index Cond" not in node
        and not _pg_partial(node["Index Name"])
    ):
        yield node["Relation Name"]
    for child in node.get("Plans", ()):
        yield from _pg_whole(child)


def _pg_partial(index: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indpred IS NOT NULL FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [index],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def test_a_contracts_whole_journey_reads_no_table_whole(
    api, pdf, clock, fixed_code, deliver, mandate_for, staff
):
    recipient = Client()
    recipient.cookies["paraph_language"] = "en"
    with CaptureQueriesContext(connection) as queries:
        with deliver():
            sent = api.post(
                "/api/contracts",
                contract_json(pdf, recipient={"email": "lore.peeters@example.be", "phone": PHONE}),
                content_type="application/json",
            )
        assert sent.status_code == 201, sent.content
        with deliver():
            bulk = api.post(
                "/api/batches",
                {
                    "contracts": [
                        contract_json(pdf, recipient={"email": f"bulk{n}@example.be"})
                        for n in range(3)
                    ]
                },
                content_type="application/json",
            )
        assert bulk.status_code == 202, bulk.content
        assert api.get(bulk["Location"]).json()["succeeded"] == 3
        contract = Contract.objects.get(public_id=sent.json()["id"])
        person = verified(contract.recipient)
        assert person.phone == PHONE

        with deliver():
            asked = recipient.post(LOGIN, {"identifier": "0470 55 51 11"})
        assert asked["Location"] == LOGIN_CODE
        with deliver():
            logged_in = recipient.post(LOGIN_CODE, {"code": fixed_code})
        assert logged_in["Location"] == "/adminbox/"
        assert contract.title in recipient.get("/adminbox/").content.decode()
        page = recipient.get(reverse("adminbox:contract", kwargs={"public_id": contract.public_id}))
        assert page.status_code == 200

        mandate_for(person)
        sign = reverse("mandates:sign_password", kwargs={"public_id": contract.public_id})
        with deliver():
            signed = recipient.post(sign, {"has_read": "on", "password": PASSWORD})
        assert signed.status_code == 302, signed.content

        found = api.get(f"/api/contracts/{contract.public_id}")
        assert found.json()["status"] == "signed"
        signed_ones = api.get("/api/contracts", {"status": "signed"}).json()["results"]
        assert [c["id"] for c in signed_ones] == [str(contract.public_id)]
        download = api.get(f"/api/contracts/{contract.public_id}/signed.pdf")
        assert b"".join(download.streaming_content).startswith(b"%PDF")

        office = Client()
        office.cookies["paraph_language"] = "en"
        office.force_login(staff)
        listed = office.get("/sender/", {"status": "signed"})
        assert contract.title in listed.content.decode()
        detail = office.get(f"/sender/contracts/{contract.public_id}/")
        assert "lore.peeters@example.be" in detail.content.decode()

    _assert_nothing_read_whole(queries.captured_queries, at_least=100)


@pytest.mark.parametrize("job", JOBS, ids=[job.name for job in JOBS])
def test_no_scheduled_job_reads_a_table_whole(job, make_contract, clock, settings):
    """Every job runs every minute to every day on every row that grows
    (messages, deliveries, contracts, keys): each must go straight to the
    rows that are due."""
    make_contract()
    make_contract(recipient={"email": "jan.peeters@example.be", "phone": "+32470555112"})
    task = import_string(job.task)
    with CaptureQueriesContext(connection) as queries:
        task.call()
    _assert_nothing_read_whole(queries.captured_queries, at_least=1)


def _assert_nothing_read_whole(queries: list[dict[str, str]], *, at_least: int) -> None:
    statements = [
        q["sql"] for q in queries if q["sql"].split(None, 1)[0] in ("SELECT", "UPDATE", "DELETE")
    ]
    assert len(statements) >= at_least  # the work really ran
    read_whole: dict[str, str] = {}
    for sql in statements:
        if _first_rows_only(sql):
            continue
        for table in _whole_tables(sql):
            read_whole.setdefault(table, sql)
    assert not read_whole, "\n\n".join(f"{t}: {sql}" for t, sql in read_whole.items())


def test_a_metrics_scrape_reads_no_table_whole(make_contract, clock, settings, client):
    """Prometheus reads ``/metrics`` every few seconds, from every node, for
    as long as Paraph runs: its counts go through indexes to the rows that
    are waiting and those that ended in the last day, never every contract,
    message, delivery or audit event ever made (ADR 43)."""
    from paraph.audit.services import audit_checkpoint

    settings.METRICS_TOKEN = "m" * 40
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notifications", "webhooks"],
        }
    }
    make_contract()
    make_contract(recipient={"email": "jan.peeters@example.be", "phone": "+32470555112"})
    audit_checkpoint()
    with CaptureQueriesContext(connection) as queries:
        scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "m" * 40)
    assert scraped.status_code == 200
    assert b"paraph_contracts{" in scraped.content
    assert b'paraph_scrape_errors{part="contracts"} 0.0' in scraped.content
    _assert_nothing_read_whole(queries.captured_queries, at_least=5)

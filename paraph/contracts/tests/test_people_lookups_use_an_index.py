"""Finding a person by e-mail address or by phone goes through an index
(the unique constraints ``person_email_unique_ci`` and
``recipient_alias_email_unique_ci`` on the lower-cased address, the index
``person_phone_idx``), on SQLite and on PostgreSQL: with a million people,
a look-up that reads the whole table would cost every contract sent and
every log-in a million rows (``bench/dispatch.py --people 200000`` showed
16 ms a contract for the phone's alone). The plans are those of the
queries the product really makes, captured as it makes them."""

from __future__ import annotations

from typing import Literal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from paraph.accounts.models import CodePurpose, OneTimeCode, Person
from paraph.accounts.services.login import LoginIdentifier, LoginOutcome, login_code_request
from paraph.contracts.models import RecipientAlias
from paraph.contracts.selectors import recipient_find
from paraph.core.context import Context

pytestmark = pytest.mark.django_db


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the tables are tiny here: without this the planner reads them
            # whole whatever the indexes, and the test would prove nothing
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


def _plans_of(table: str, queries: list[dict[str, str]], where: str = "") -> list[str]:
    """The plans of the captured queries that read ``table`` (and whose SQL
    holds ``where``)."""
    selects = [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] and where in q["sql"]
    ]
    assert selects, f"no query read {table}"
    return [_plan(sql) for sql in selects]


@pytest.fixture
def people() -> Person:
    anne = Person.objects.create_user("Anne.Dupont@Example.be", first_name="Anne")
    for n in range(30):
        Person.objects.create_user(f"someone{n}@example.be")
        Person.objects.create_user(f"phone{n}@example.be", phone=f"+3247100{n:04d}")
    RecipientAlias.objects.create(person=anne, email="Anne.Old@Example.be")
    return anne


def test_a_recipient_is_found_by_address_through_the_indexes(people):
    with CaptureQueriesContext(connection) as alias_queries:
        assert recipient_find(email="anne.old@example.BE") == people
    with CaptureQueriesContext(connection) as person_queries:
        assert recipient_find(email="ANNE.DUPONT@example.be") == people
    for plan in _plans_of("contracts_recipientalias", alias_queries.captured_queries):
        assert "recipient_alias_email_unique_ci" in plan, plan
    for plan in _plans_of("accounts_person", person_queries.captured_queries):
        assert "person_email_unique_ci" in plan, plan


def _log_in_queries(
    person: Person, kind: Literal["phone", "email"], value: str
) -> list[dict[str, str]]:
    """The queries of asking a log-in code for ``person`` (who has a verified
    phone), by ``kind`` (phone or email) ``value``; the code reached them."""
    Person.objects.filter(pk=person.pk).update(
        phone="+32470000001", phone_verified_at=timezone.now()
    )
    with CaptureQueriesContext(connection) as queries:
        step = login_code_request(
            identifier=LoginIdentifier(kind=kind, value=value),
            context=Context(ip="192.0.2.7"),
        )
    assert step.outcome == LoginOutcome.CODE_SENT
    assert OneTimeCode.objects.filter(person=person, purpose=CodePurpose.LOGIN).exists()
    return queries.captured_queries


def test_the_log_in_finds_the_account_by_address_through_the_index(people):
    queries = _log_in_queries(people, "email", "anne.dupont@example.be")
    with CaptureQueriesContext(connection) as natural:
        assert get_user_model().objects.get_by_natural_key("ANNE.dupont@example.be") == people
    for plan in _plans_of("accounts_person", queries + natural.captured_queries):
        assert "person_email_unique_ci" in plan, plan


def test_an_address_is_still_matched_whatever_its_case_and_only_itself(people):
    assert recipient_find(email="anne.dupont@example.be") == people
    assert recipient_find(email="anne.dupont@example.b") is None
    assert recipient_find(email="anne_dupont@example.be") is None  # no LIKE wildcard
    assert recipient_find(email="%@example.be") is None


def _uses_a_phone_index(plan: str) -> bool:
    return "person_phone_idx" in plan or "person_phone_unique" in plan


def test_the_log_in_finds_the_account_by_phone_through_an_index(people):
    queries = _log_in_queries(people, "phone", "+32470000001")
    for plan in _plans_of("accounts_person", queries, '"phone" ='):
        assert _uses_a_phone_index(plan), plan


def test_a_contract_to_someone_new_checks_the_phone_through_an_index(people, make_contract):
    with CaptureQueriesContext(connection) as queries:
        contract = make_contract(
            recipient={"email": "new.worker@example.be", "phone": "+32 471 00 00 03"}
        )
    # someone else's phone: the contract keeps it, the new person does not
    assert contract.recipient_phone == "+32471000003"
    assert contract.recipient.phone == ""
    plans = _plans_of("accounts_person", queries.captured_queries, '"phone" =')
    assert plans
    for plan in plans:
        assert _uses_a_phone_index(plan), plan

"""Fixtures shared by every app's tests, and the CI rule that a skipped test
fails the run (a missing component must never pass silently)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() == "true" and _skipped:
        print(f"\nCI=true: {len(_skipped)} test(s) were skipped, which fails the run:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def person_factory(db: Any) -> Any:
    """Make people: ``person_factory(phone="+32470000001")``."""
    from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod

    counter = iter(range(1, 1_000_000))

    def make(**fields: Any) -> Person:
        n = next(counter)
        values: dict[str, Any] = {
            "first_name": "Anne",
            "last_name": f"Martin{n}",
            "email": f"person{n}@example.be",
            "phone": f"+3247{n:07d}",
            "language": "fr",
            "assurance_level": AssuranceLevel.LOW,
            "registration_method": RegistrationMethod.BACKOFFICE,
        }
        values.update(fields)
        email = values.pop("email")
        person = Person.objects.create_user(email, **values)
        if person.phone and "phone_verified_at" not in fields:
            from django.utils import timezone

            person.phone_verified_at = timezone.now()
            person.save(update_fields=["phone_verified_at"])
        return person

    return make


@pytest.fixture
def person(person_factory: Any) -> Any:
    return person_factory()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Iterator[Any]:
    """Run ``transaction.on_commit`` callbacks (task enqueues) inside tests."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        yield callbacks

"""Fixtures of the mandates tests; the contracts fixtures (sender,
make_contract, clock...) come from paraph/contracts/tests/fixtures.py."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.utils import timezone

from paraph.contracts.tests.fixtures import *  # noqa: F403

CODE = "424242"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL's row locks; left out of the SQLite run"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` (real row locks) are left out on SQLite."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgres") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


PASSWORD = "violet tractor harbour sleeps"


@pytest.fixture
def fixed_code(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every one-time code sent is ``CODE``."""
    from paraph.accounts.services import codes

    monkeypatch.setattr(codes, "code_new", lambda: CODE)
    return CODE


def verified(person: Any) -> Any:
    """``person`` with a verified e-mail address and phone (an activated
    adminbox)."""
    from paraph.accounts.models import Person

    now = timezone.now()
    Person.objects.filter(pk=person.pk).update(
        email_verified_at=now, phone_verified_at=now, phone=person.phone or "+32470999001"
    )
    person.refresh_from_db()
    return person


@pytest.fixture
def mandate_for(fixed_code: str) -> Any:
    """``mandate_for(person, password=..., channel="sms")``: an active
    mandate, made through every step as a person would."""
    from paraph.mandates import services

    def make(person: Any, *, password: str = PASSWORD, channel: str = "sms") -> Any:
        mandate = services.mandate_start(person=person)
        token = services.mandate_code_send(mandate=mandate, channel=channel)
        services.mandate_sign_with_code(mandate=mandate, binding_token=token, value=fixed_code)
        return services.mandate_activate(
            mandate=mandate,
            password=password,
            password_confirm=password,
            notification_channel="email",
        )

    return make

"""Fixtures for the log-in tests: a pinned clock, an English-speaking
browser, a log-in started with its SMS delivered to the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from paraph.accounts.tests.helpers import LOGIN, RESEND, T0, english_client


@pytest.fixture
def clock(time_machine: Any) -> Any:
    """The clock pinned at :data:`T0`; ``clock.shift(seconds)`` moves it."""
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def en_client(clock: Any) -> Client:
    return english_client()


@pytest.fixture
def start_login(deliver: Callable[[], Any]) -> Callable[..., Any]:
    """``start_login(client, "0470 12 34 56")``: step 1 of the log-in, with
    the SMS delivered to the sandbox."""

    def start(client: Client, identifier: str, **extra: str) -> Any:
        with deliver():
            return client.post(LOGIN, {"identifier": identifier, **extra})

    return start


@pytest.fixture
def resend(deliver: Callable[[], Any]) -> Callable[[Client], Any]:
    def ask(client: Client) -> Any:
        with deliver():
            return client.post(RESEND)

    return ask


@pytest.fixture
def next_codes(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``next_codes("111111", "222222")``: the codes the next sendings
    carry, in order, where a test needs to know two codes differ."""
    from paraph.accounts.services import codes as one_time_codes

    def choose(*codes: str) -> None:
        queue = list(codes)
        monkeypatch.setattr(one_time_codes, "code_new", lambda: queue.pop(0))

    return choose

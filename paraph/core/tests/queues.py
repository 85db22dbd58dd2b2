"""A task queue that cannot be reached, for the tests of what happens
when Redis is down: every enqueue raises redis's own ``ConnectionError``
until the test brings the queue back; then it keeps what is enqueued (with
``run_after``) instead of running it, like ``kept_tasks``."""

from __future__ import annotations

from typing import Any

import pytest
from django_tasks.backends.dummy import DummyBackend
from redis.exceptions import ConnectionError as RedisConnectionError


class UnreachableQueueBackend(DummyBackend):
    reachable = False
    refused = 0

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        if not self.reachable:
            type(self).refused += 1
            raise RedisConnectionError(
                "Error 111 connecting to 127.0.0.1:6379. Connection refused."
            )
        return super().enqueue(task, args, kwargs)


@pytest.fixture
def unreachable_queue(settings: Any) -> Any:
    """The task backend, unreachable: ``unreachable_queue.reachable = True``
    brings it back; ``unreachable_queue.results`` holds what was enqueued
    since; ``run_all()`` runs them (and what they enqueue) in this process."""
    settings.TASKS = {
        "default": {"BACKEND": "paraph.core.tests.queues.UnreachableQueueBackend", "QUEUES": []}
    }
    from django_tasks import task_backends

    backend = task_backends["default"]
    UnreachableQueueBackend.refused = 0
    yield backend
    UnreachableQueueBackend.reachable = False


@pytest.fixture
def kept_queue(unreachable_queue: Any) -> Any:
    """The same backend, reachable: it keeps what is enqueued, for ``run_all``."""
    unreachable_queue.reachable = True
    return unreachable_queue


def run_all(backend: Any, deliver: Any) -> list[Any]:
    """Run every kept task, oldest first, and those they enqueue once their
    transaction commits (``deliver`` is the fixture); their return values."""
    outcomes = []
    while backend.results:
        result = backend.results.pop(0)
        with deliver():
            outcomes.append(result.task.call(*result.args, **result.kwargs))
    return outcomes

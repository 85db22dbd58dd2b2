"""The database is the truth about work to do; the task queue only wakes
workers up (a transactional outbox, ADR 22).

A piece of work (an outgoing message, a webhook delivery, a bulk send) is
a row written in the transaction of the change that caused it. After
commit its task is enqueued with :func:`enqueue_on_commit`, which never
raises: when the queue cannot be reached the change stays committed, the
row stays due, and the sweeper (:func:`work_sweep`, ``paraph work-sweep``,
the task ``work_sweep_task``) enqueues it again later.

A worker that takes a row claims it with a lease (``lease_until``): while
the lease lasts, nobody else takes it; when the worker died, the lease
ends and the row is due again. Each app says how to find its due rows by
registering a sweep (:func:`sweep_register`, from its ``AppConfig.ready``),
so this module, on the lowest floor, imports none of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# A service that creates something a client may ask for again (a contract, a
# bulk send) sends this inside its transaction, with ``subject`` the new
# row: the API's idempotency keys note it there, so a request whose process
# died after the commit is answered with what it made, never makes it twice.
resource_created = Signal()

_SWEEPS: dict[str, Callable[[dt.datetime], int]] = {}


class Requeue(models.TextChoices):
    """What a staff member's "requeue" of a message or a webhook delivery did."""

    REQUEUED = "requeued", _("requeued")
    WOKEN = "woken", _("woken up again")
    WAITING = "waiting", _("already waiting or being sent")
    DONE = "done", _("already delivered")
    REFUSED = "refused", _("cannot be sent again")


def requeue(
    *,
    rows: models.QuerySet[Any],
    pk: int,
    delivered: str,
    given_up: str,
    reopened: str,
    stuck: Callable[[Any, dt.datetime], bool],
    record: Callable[[Any, str], None],
    wake: Callable[[Any], None],
    refused: Callable[[Any], bool] = lambda row: False,
) -> str:
    """A staff member's "requeue" of one row of outgoing work (a message, a
    webhook delivery), the same for every kind: the row, locked, is left
    alone when it was ``delivered`` (or is gone), when it is waiting or in
    a live worker's hands (not ``stuck(row, now)``), or when it was
    ``given_up`` and cannot be sent again (``refused(row)``); a row given up
    goes back to ``reopened``, due now (the sweeper leaves it to this
    wake-up for a lease); then ``record(row, was)`` (the audit event, with
    the status it had) and ``wake(row)`` (its task, after commit). A
    second requeue, before or after the worker ran, does nothing: the
    worker claims the row before acting. Returns a :class:`Requeue` value."""
    now = timezone.now()
    with transaction.atomic():
        row = rows.select_for_update().filter(pk=pk).first()
        if row is None or row.status == delivered:
            return Requeue.DONE
        failed = row.status == given_up
        if failed and refused(row):
            return Requeue.REFUSED
        if not failed and not stuck(row, now):
            return Requeue.WAITING
        was = row.status
        if failed:
            row.status = reopened
            row.next_attempt_at = now
            row.save(update_fields=["status", "next_attempt_at"])
        record(row, was)
        wake(row)
    return Requeue.REQUEUED if failed else Requeue.WOKEN


def lease_until(seconds: float, *, now: dt.datetime | None = None) -> dt.datetime:
    """The end of a lease of ``seconds`` taken now."""
    return (now or timezone.now()) + dt.timedelta(seconds=seconds)


# Above every other task on a backend that orders by priority (the database
# queue): a worker serving several queues takes these first.
INTERACTIVE_PRIORITY = 50


def task_interactive(task: Any) -> Any:
    """``task`` on the interactive queue (settings ``TASK_INTERACTIVE_QUEUE``,
    ADR 25), for work a person waits for on a page (a log-in code): it has
    workers of its own, so bulk work never delays it. Unchanged when the
    configured backend has no such queue (a test's own queue list, the
    immediate backend)."""
    from django.conf import settings

    backend = task.get_backend()
    name = settings.TASK_INTERACTIVE_QUEUE
    if backend.queues and name not in backend.queues:
        return task
    priority = INTERACTIVE_PRIORITY if backend.supports_priority else None
    return task.using(queue_name=name, priority=priority)


def enqueue_safely(task: Any, *args: Any, run_after: dt.datetime | None = None) -> bool:
    """Enqueue ``task(*args)``; False (and a warning in the log) when the
    queue refused or could not be reached. The caller's row stays due and
    the sweeper enqueues it again: a failure here is never the user's."""
    try:
        if run_after is not None:
            task.using(run_after=run_after).enqueue(*args)
        else:
            task.enqueue(*args)
    except Exception as exc:
        logger.warning(
            "could not enqueue %s%r (%s: %s); the sweeper will take it up",
            getattr(task, "name", task),
            args,
            type(exc).__name__,
            exc,
        )
        return False
    return True


def enqueue_on_commit(task: Any, *args: Any, run_after: dt.datetime | None = None) -> None:
    """Enqueue ``task(*args)`` once the current transaction commits (at
    once outside one), with :func:`enqueue_safely`: nothing leaves if it
    rolls back, and a queue that is down does not undo what committed."""
    transaction.on_commit(lambda: enqueue_safely(task, *args, run_after=run_after))


def sweep_register(name: str, sweep: Callable[[dt.datetime], int]) -> None:
    """Make ``sweep(now)`` part of :func:`work_sweep`; it enqueues every row
    of its kind that is due and has no live lease, and returns how many."""
    _SWEEPS[name] = sweep


def work_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Enqueue again every piece of work that is due and not in a live
    worker's hands: what lost its job (the queue was down, a worker died).
    Safe to run at any time and from several places at once: every task
    claims its row before acting, so a second wake-up does nothing. Returns
    how many rows each sweep woke up. One failing sweep does not stop the
    others."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for name, sweep in sorted(_SWEEPS.items()):
        try:
            counts[name] = sweep(now)
        except Exception:
            logger.exception("the %s sweep failed", name)
            counts[name] = -1
    return counts

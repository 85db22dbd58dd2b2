"""Mandate housekeeping, run by the task worker or from cron through
``paraph mandates-housekeeping`` (idempotent: run it as often as wanted)."""

from __future__ import annotations

from django_tasks import task

from paraph.mandates.services import mandates_housekeeping


@task()
def mandates_housekeeping_task() -> dict[str, int]:
    """Expire the mandates whose year is over (their keys retired), then
    send the reminders due 30 and 7 days before the end."""
    expired, reminded = mandates_housekeeping()
    return {"expired": expired, "reminded": reminded}

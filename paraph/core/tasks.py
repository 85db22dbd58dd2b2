"""Core tasks, run by the task worker (or from cron through ``paraph work-sweep``)."""

from __future__ import annotations

from django_tasks import task

from paraph.core.outbox import work_sweep


@task()
def work_sweep_task() -> dict[str, int]:
    """Enqueue again the work that is due and in no live worker's hands
    (every minute or so, from a schedule); returns how many of each kind."""
    return work_sweep()

"""Core tasks, run by the task worker (or from cron through ``paraph work-sweep``)."""

from __future__ import annotations

from django_tasks import task

from paraph.core.outbox import work_sweep
from paraph.core.taskresults import task_results_prune


@task()
def work_sweep_task() -> dict[str, int]:
    """Enqueue again the work that is due and in no live worker's hands
    (every minute or so, from a schedule); returns how many of each kind."""
    return work_sweep()


@task()
def task_results_prune_task() -> int:
    """Delete the database queue's tasks that finished days ago (daily,
    from a schedule); returns how many."""
    return task_results_prune()

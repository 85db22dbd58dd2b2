"""The task a schedule enqueues: it runs one scheduled job and records how
it went (paraph.scheduling.services)."""

from __future__ import annotations

from django_tasks import task

from paraph.scheduling.services import scheduled_job_run


@task()
def scheduled_job_run_task(name: str) -> str:
    return scheduled_job_run(name)

"""Tasks for the schedule's tests."""

from django_tasks import task

CALLS: list[int] = []


@task()
def probe_task() -> str:
    CALLS.append(1)
    return "probed"


@task()
def failing_task() -> str:
    raise RuntimeError("the probe failed")

"""The database queue keeps a finished task's row for
``TASK_RESULTS_KEEP_DAYS``, then the daily job deletes it; tasks waiting or
running, and those finished lately, stay."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from paraph.core.tasks import task_results_prune_task
from paraph.scheduling.jobs import JOBS

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.TASK_RESULTS_KEEP_DAYS = 7


def _task(status: str, finished_days_ago: float | None) -> str:
    """A real row of the queue (the work sweeper enqueued), then moved to
    ``status`` as a worker would."""
    from paraph.core.tasks import work_sweep_task

    result = work_sweep_task.enqueue()
    finished = (
        None
        if finished_days_ago is None
        else timezone.now() - datetime.timedelta(days=finished_days_ago)
    )
    DBTaskResult.objects.filter(id=result.id).update(status=status, finished_at=finished)
    return str(result.id)


def test_tasks_finished_days_ago_are_deleted_the_others_stay(database_queue):
    old_done = _task(TaskResultStatus.SUCCESSFUL, 8)
    old_failed = _task(TaskResultStatus.FAILED, 30)
    recent = _task(TaskResultStatus.SUCCESSFUL, 6)
    waiting = _task(TaskResultStatus.READY, None)
    running = _task(TaskResultStatus.RUNNING, None)

    assert task_results_prune_task.call() == 2

    left = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert {recent, waiting, running} <= left
    assert not {old_done, old_failed} & left
    assert task_results_prune_task.call() == 0


def test_a_long_backlog_is_deleted_in_batches(database_queue, monkeypatch):
    monkeypatch.setattr("paraph.core.taskresults.BATCH", 3)
    for _ in range(7):
        _task(TaskResultStatus.SUCCESSFUL, 10)
    assert task_results_prune_task.call() == 7
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).exists()


def test_the_job_runs_every_day():
    job = next(j for j in JOBS if j.task.endswith("task_results_prune_task"))
    assert job.cron.split()[2:] == ["*", "*", "*"]


def test_the_command_says_how_many_it_deleted(database_queue, capsys):
    from django.core.management import call_command

    _task(TaskResultStatus.SUCCESSFUL, 9)
    call_command("task-results-prune")
    assert capsys.readouterr().out.strip() == "1 finished tasks deleted"

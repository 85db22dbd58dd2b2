"""The database queue's finished tasks, deleted after a few days.

django-tasks-db keeps the row of every task it ran (its arguments, its return
value or error). A million contracts a day are millions of tasks a day: kept
forever, the table would grow without end. Its own ``prune_db_task_results``
command selects by backend name, which every row shares; this goes through
an index on (status, finished_at) instead, a batch at a time."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

BATCH = 5000


def task_results_prune() -> int:
    """Delete the tasks that finished (successfully or not) more than
    ``TASK_RESULTS_KEEP_DAYS`` ago, whatever the queue backend now in use
    (rows left by the database queue stay until then); returns how many."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    before = timezone.now() - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=before
    ).order_by()
    deleted = 0
    while ids := list(finished.values_list("id", flat=True)[:BATCH]):
        DBTaskResult.objects.filter(id__in=ids).delete()
        deleted += len(ids)
    return deleted

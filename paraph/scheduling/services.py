"""Running scheduled jobs exactly once per fire time, however many workers
run (ADR 20): every worker ticks, each tick claims the jobs whose fire
time came with one conditional UPDATE, and only the worker whose UPDATE
changed the row enqueues the job."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from paraph.audit.services import audit_record
from paraph.scheduling.jobs import JOBS, Job
from paraph.scheduling.models import ScheduledJob

log = logging.getLogger(__name__)


def _fire_times(job: Job, now: datetime) -> tuple[datetime, datetime]:
    """The job's newest fire time at or before ``now``, and the next one."""
    moment = now.astimezone(UTC)
    # croniter's get_prev is strictly before its start: start at the next minute
    next_minute = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    last_fire = croniter(job.cron, next_minute).get_prev(datetime)
    return last_fire, croniter(job.cron, moment).get_next(datetime)


def schedule_claim(job: Job, now: datetime) -> datetime | None:
    """Claim the job's newest fire time; the fire time when this caller won
    it, None when it was claimed before (by any worker)."""
    fire, next_fire = _fire_times(job, now)
    ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_fire_at": next_fire})
    won = (
        ScheduledJob.objects.filter(name=job.name)
        .filter(Q(last_fire_at__isnull=True) | Q(last_fire_at__lt=fire))
        .update(last_fire_at=fire, next_fire_at=next_fire)
    )
    return fire if won else None


@dataclass(frozen=True)
class Tick:
    enqueued: tuple[str, ...]
    failed: tuple[str, ...]


def schedule_tick(now: datetime | None = None) -> Tick:
    """Enqueue every job whose fire time came and that no worker claimed
    yet. A job that cannot be enqueued (the queue is down) is given back,
    so the next tick, here or on another worker, tries again."""
    now = now or timezone.now()
    enqueued, failed = [], []
    for job in JOBS:
        fire = schedule_claim(job, now)
        if fire is None:
            continue
        try:
            from paraph.scheduling.tasks import scheduled_job_run_task

            scheduled_job_run_task.enqueue(job.name)
        except Exception as exc:
            log.warning("scheduled job %s could not be enqueued: %s", job.name, exc)
            ScheduledJob.objects.filter(name=job.name, last_fire_at=fire).update(
                last_fire_at=None, last_error=f"not enqueued: {exc}"[:2000]
            )
            failed.append(job.name)
        else:
            enqueued.append(job.name)
    return Tick(tuple(enqueued), tuple(failed))


def scheduled_job_run(name: str) -> str:
    """Run the job now (in the worker) and record how it went: last
    started/finished, its result or its error, failures in a row (a failure
    is also an audit event)."""
    job = next((j for j in JOBS if j.name == name), None)
    if job is None:
        raise ValueError(f"no scheduled job named {name!r}")
    ScheduledJob.objects.update_or_create(name=name, defaults={"last_started_at": timezone.now()})
    try:
        result = import_string(job.task).func()
    except Exception as exc:
        with transaction.atomic():
            row = ScheduledJob.objects.select_for_update().get(name=name)
            row.last_finished_at = timezone.now()
            row.last_error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
            row.failures += 1
            row.runs += 1
            row.save()
            audit_record(
                name="scheduling.job.failed",
                data={"job": name, "error": row.last_error, "failures": row.failures},
            )
        raise
    with transaction.atomic():
        row = ScheduledJob.objects.select_for_update().get(name=name)
        row.last_finished_at = timezone.now()
        row.last_result = str(result)[:300]
        row.last_error = ""
        row.failures = 0
        row.runs += 1
        row.save()
    return str(result)

"""Scheduled jobs run from the workers themselves, each fire time exactly
once however many workers tick (ADR 20)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from paraph.audit.models import AuditEvent
from paraph.contracts.models import ContractStatus
from paraph.scheduling import services
from paraph.scheduling.jobs import JOBS, Job
from paraph.scheduling.models import ScheduledJob
from paraph.scheduling.services import schedule_claim, schedule_tick, scheduled_job_run

pytestmark = pytest.mark.django_db

MINUTELY = Job("probe", "paraph.scheduling.tests.probe.probe_task", "* * * * *")
HOURLY = Job("probe-hourly", "paraph.scheduling.tests.probe.probe_task", "7 * * * *")
AT = datetime(2031, 5, 6, 10, 0, 30, tzinfo=UTC)


def test_a_fire_time_is_claimed_once():
    assert schedule_claim(MINUTELY, AT) == AT.replace(second=0)
    assert schedule_claim(MINUTELY, AT + timedelta(seconds=20)) is None, "same minute"
    assert schedule_claim(MINUTELY, AT + timedelta(minutes=1)) == AT.replace(minute=1, second=0)

    assert schedule_claim(HOURLY, AT) == AT.replace(hour=9, minute=7, second=0)
    assert schedule_claim(HOURLY, AT.replace(minute=6)) is None
    assert schedule_claim(HOURLY, AT.replace(minute=7)) == AT.replace(minute=7, second=0)
    row = ScheduledJob.objects.get(name="probe-hourly")
    assert row.next_fire_at == AT.replace(hour=11, minute=7, second=0)


def test_every_job_names_a_task_that_exists():
    from django.utils.module_loading import import_string

    for job in JOBS:
        assert callable(import_string(job.task).func), job.task


def test_a_tick_enqueues_each_due_job_once_and_the_job_records_its_run(monkeypatch, settings):
    from paraph.scheduling.tests import probe

    probe.CALLS.clear()
    monkeypatch.setattr(services, "JOBS", (MINUTELY,))
    # tasks run at once in the test settings: the tick runs the job too
    first = schedule_tick(AT)
    again = schedule_tick(AT + timedelta(seconds=15))

    assert first.enqueued == ("probe",) and again.enqueued == ()
    assert probe.CALLS == [1]
    row = ScheduledJob.objects.get(name="probe")
    assert (row.runs, row.failures, row.last_result, row.last_error) == (1, 0, "probed", "")


def test_a_failing_job_is_recorded_and_audited(monkeypatch):
    failing = Job("probe-fails", "paraph.scheduling.tests.probe.failing_task", "* * * * *")
    monkeypatch.setattr(services, "JOBS", (failing,))

    with pytest.raises(RuntimeError):
        scheduled_job_run("probe-fails")

    row = ScheduledJob.objects.get(name="probe-fails")
    assert row.failures == 1 and "the probe failed" in row.last_error
    assert AuditEvent.objects.filter(name="scheduling.job.failed").count() == 1


def test_a_job_that_cannot_be_enqueued_is_given_back_for_the_next_tick(monkeypatch):
    monkeypatch.setattr(services, "JOBS", (MINUTELY,))
    from paraph.scheduling import tasks

    class Down:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("the queue is down")

    monkeypatch.setattr(tasks, "scheduled_job_run_task", Down())
    tick = schedule_tick(AT)
    assert tick.failed == ("probe",)
    assert ScheduledJob.objects.get(name="probe").last_fire_at is None
    assert "the queue is down" in ScheduledJob.objects.get(name="probe").last_error

    monkeypatch.undo()
    monkeypatch.setattr(services, "JOBS", (MINUTELY,))
    assert schedule_tick(AT + timedelta(seconds=15)).enqueued == ("probe",)


@pytest.mark.redis  # the PostgreSQL run: SQLite lets one writer at a time anyway
@pytest.mark.django_db(transaction=True)
def test_many_workers_ticking_at_once_enqueue_each_job_once(monkeypatch):
    monkeypatch.setattr(services, "JOBS", (MINUTELY, HOURLY))
    from paraph.scheduling import tasks

    enqueued: list[str] = []

    class Queue:
        def enqueue(self, name):
            enqueued.append(name)

    monkeypatch.setattr(tasks, "scheduled_job_run_task", Queue())
    ScheduledJob.objects.create(name="probe")
    ScheduledJob.objects.create(name="probe-hourly")
    start = threading.Barrier(8)

    def worker() -> None:
        try:
            start.wait()
            schedule_tick(AT)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(enqueued) == ["probe", "probe-hourly"]


def test_a_contract_past_its_deadline_is_archived_by_the_schedule_alone(
    make_contract, time_machine
):
    """Without anyone running `paraph contracts-expire`: the worker's tick."""
    contract = make_contract()
    time_machine.move_to(contract.deadline + timedelta(minutes=6), tick=False)

    schedule_tick()

    contract.refresh_from_db()
    assert contract.status == ContractStatus.NOT_SIGNED
    assert ScheduledJob.objects.get(name="contracts-expire").runs == 1


@pytest.mark.django_db(transaction=True)
def test_paraph_worker_runs_the_schedule_without_cron(settings, make_contract, time_machine):
    """`make run`'s worker (the database queue): a contract past its
    deadline is archived, the audit log sealed, with no command typed."""
    from django_tasks_db.models import DBTaskResult

    from paraph.__main__ import main
    from paraph.audit.models import AuditCheckpoint
    from paraph.core.tests.test_worker import signal_handlers_kept

    contract = make_contract()
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.SCHEDULE_TICK_SECONDS = 3600  # the first tick, at start, is the one tested
    time_machine.move_to(contract.deadline + timedelta(minutes=6), tick=True)

    with signal_handlers_kept():
        main(["paraph", "worker", "--batch", "--no-startup-delay", "-v0"])

    contract.refresh_from_db()
    assert contract.status == ContractStatus.NOT_SIGNED
    assert AuditCheckpoint.objects.exists()
    runs = dict(ScheduledJob.objects.values_list("name", "runs"))
    assert runs == {job.name: 1 for job in JOBS}, runs
    assert not ScheduledJob.objects.exclude(last_error="").exists()
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()

"""Contract tasks, run by the task worker (or from cron through
``paraph contracts-expire``)."""

from __future__ import annotations

from django_tasks import task

from paraph.contracts.archive import contracts_archive_renew_due
from paraph.contracts.services import batch_process, contracts_expire_due


@task()
def contracts_expire_task() -> int:
    """Archive the contracts whose signing deadline passed (the law on
    temporary work: never signed after the start of work); returns how many."""
    return contracts_expire_due()


@task()
def batch_process_task(batch_id: int) -> str:
    """Make the contracts of a bulk send."""
    batch = batch_process(batch_id=batch_id)
    return "skipped" if batch is None else f"{batch.succeeded}/{batch.total}"


@task()
def contracts_archive_renew_task() -> int:
    """Give every signed contract that needs it a new document time-stamp
    (archive renewal); returns how many were renewed."""
    return contracts_archive_renew_due().renewed

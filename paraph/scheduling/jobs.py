"""What runs on a schedule, from the task worker itself (no cron needed).

Each job names a django-tasks task by its dotted path and a cron expression
(UTC, croniter's syntax). The cron commands (``paraph contracts-expire`` …)
stay for those who prefer cron; running both is harmless: every job is
idempotent."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks task that takes no argument
    cron: str  # when, in UTC


JOBS: tuple[Job, ...] = (
    # the outbox sweeper: due messages, webhook deliveries, batches and
    # idempotency keys in no live worker's hands are taken up again
    Job("work-sweep", "paraph.core.tasks.work_sweep_task", "* * * * *"),
    Job("audit-checkpoint", "paraph.audit.tasks.audit_checkpoint_task", "* * * * *"),
    Job("webhooks-retry", "paraph.senders.tasks.webhook_deliveries_retry_due_task", "* * * * *"),
    # a contract past its signing deadline is archived as not signed
    Job("contracts-expire", "paraph.contracts.tasks.contracts_expire_task", "*/5 * * * *"),
    Job("mandates-housekeeping", "paraph.mandates.tasks.mandates_housekeeping_task", "7 * * * *"),
    Job("signing-purge", "paraph.signing.tasks.prepared_eid_signatures_purge_task", "13 * * * *"),
    # publishes a new CRL when the current one is a day old
    Job("signing-crl", "paraph.signing.tasks.signing_crl_refresh_task", "23 * * * *"),
    Job("archive-renew", "paraph.contracts.tasks.contracts_archive_renew_task", "17 3 * * *"),
    # the database queue's tasks finished more than PARAPH_TASK_RESULTS_KEEP_DAYS ago
    Job("task-results-prune", "paraph.core.tasks.task_results_prune_task", "41 4 * * *"),
)

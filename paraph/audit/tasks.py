"""The audit log's checkpoint, run by the task worker at short intervals
(or from cron through ``paraph audit-checkpoint``; idempotent)."""

from __future__ import annotations

from django_tasks import task

from paraph.audit.services import audit_checkpoint


@task()
def audit_checkpoint_task() -> int:
    """Seal the events that arrived since the last checkpoint; returns the
    size of the newest checkpoint made (0 when nothing was new)."""
    checkpoint = audit_checkpoint()
    return checkpoint.size if checkpoint is not None else 0

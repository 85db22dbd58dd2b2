"""RQ's worker as ``paraph worker`` runs it (``--worker-class``): it looks
for a free scheduler lock every few seconds instead of every ten minutes.

RQ's scheduler (``--with-scheduler``) moves deferred jobs (a message's
retry) to their queue when due; one scheduler per queue holds a lock in
Redis. A worker killed with SIGKILL leaves its lock until it expires (about
a minute), and RQ's worker only tries again at its maintenance, every ten
minutes, while it sleeps in a blocking read of up to seven: a retry due
meanwhile waited minutes (issue 11). Only imported by the worker process,
after the settings (RQ's key prefix)."""

from __future__ import annotations

from typing import Any

from rq import Worker as RqWorker

# How often an idle worker wakes, cleans RQ's registries and, when no
# scheduler of its own runs, tries to take the scheduler lock.
MAINTENANCE_SECONDS = 10


class Worker(RqWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["maintenance_interval"] = MAINTENANCE_SECONDS
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        # The blocking read returns at least this often, so the maintenance
        # above runs on an idle worker too.
        return min(super().dequeue_timeout, MAINTENANCE_SECONDS)

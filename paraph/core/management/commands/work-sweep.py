"""``paraph work-sweep``: enqueue again every piece of work that is due and
in no live worker's hands (queued messages, webhook deliveries, bulk sends
to resume, idempotency keys to forget).

Safe to run as often as wanted and from several machines: every task claims
its row before acting. Run it from cron every minute
(``* * * * * paraph work-sweep``) or schedule the task ``work_sweep_task``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.core.outbox import work_sweep


class Command(BaseCommand):
    help = "Enqueue again the work that is due and has no live worker (run it every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = work_sweep()
        for name, count in counts.items():
            shown = "failed (see the log)" if count < 0 else str(count)
            self.stdout.write(f"{name}: {shown}")
        if any(count < 0 for count in counts.values()):
            raise SystemExit(1)

"""``paraph task-results-prune``: delete the database queue's tasks that
finished more than ``PARAPH_TASK_RESULTS_KEEP_DAYS`` days ago.

Safe to run from several machines at once. Run it from cron once a day
(``41 4 * * * paraph task-results-prune``) or let the workers' schedule run
``task_results_prune_task``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.core.taskresults import task_results_prune


class Command(BaseCommand):
    help = "Delete the database queue's tasks that finished days ago (run it daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{task_results_prune()} finished tasks deleted")

"""``paraph webhooks-retry``: send the webhook retries that are due.

The task queues in production (Redis, database) defer retries themselves;
this catches retries a queue lost, and serves queues that cannot defer.
Safe to run as often as wanted (``* * * * * paraph webhooks-retry``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.senders.services import webhook_deliveries_retry_due


class Command(BaseCommand):
    help = "Send the webhook deliveries whose retry is due (run it from cron, every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = webhook_deliveries_retry_due()
        self.stdout.write(f"{count} webhook delivery(ies) queued")

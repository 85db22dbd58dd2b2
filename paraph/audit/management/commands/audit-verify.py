from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paraph.audit.services import audit_verify


class Command(BaseCommand):
    help = (
        "Check the audit log: every checkpoint's seal and time-stamp and its link to the "
        "previous one, and every event against its hash and its place in the sealed tree; "
        "name the first event that was changed, removed, inserted or reordered."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        found = audit_verify()
        if found.broken is not None:
            where = f"event {found.broken.event_id}" if found.broken.event_id else "the log"
            raise CommandError(f"audit log broken at {where}: {found.broken.reason}")
        self.stdout.write(
            f"audit log intact: {found.events} events, {found.checkpoints} sealed checkpoint(s) "
            f"covering {found.covered}; {found.pending} newer event(s) await the next checkpoint"
        )

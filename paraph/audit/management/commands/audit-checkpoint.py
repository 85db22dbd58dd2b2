from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paraph.audit.services import AuditTampered, audit_checkpoint


class Command(BaseCommand):
    help = (
        "Seal the audit log's Merkle tree now (a checkpoint: its size and root, sealed with "
        "Paraph's key and time-stamped). Run every minute or so; safe to run on many nodes."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = audit_checkpoint()
        except AuditTampered as exc:
            raise CommandError(f"no checkpoint made: {exc}; run paraph audit-verify") from exc
        if checkpoint is None:
            self.stdout.write("nothing new to seal")
            return
        self.stdout.write(
            f"checkpoint sealed: {checkpoint.size} events, root {checkpoint.root}, "
            f"time-stamped {checkpoint.sealed_at.isoformat()}"
        )

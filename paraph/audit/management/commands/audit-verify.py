from typing import Any

from django.core.management.base import BaseCommand, CommandError

from paraph.audit.models import AuditEvent
from paraph.audit.services import audit_verify_chain


class Command(BaseCommand):
    help = "Check that the audit log's hash chain is intact; name the first event that breaks it."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit_verify_chain()
        if broken is not None:
            raise CommandError(f"audit chain broken at event {broken.event_id}: {broken.reason}")
        count = AuditEvent.objects.count()
        self.stdout.write(f"audit chain intact: {count} events")

"""``paraph demo``: demo data for the sandbox (idempotent)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod

DEMO_PEOPLE = [
    {
        "email": "anne.martin@demo.paraph.be",
        "first_name": "Anne",
        "last_name": "Martin",
        "phone": "+32470123456",
        "national_number": "85073003328",
        "language": "fr",
    },
    {
        "email": "jan.peeters@demo.paraph.be",
        "first_name": "Jan",
        "last_name": "Peeters",
        "phone": "+32470654321",
        "national_number": "90020199713",
        "language": "nl",
    },
]
DEMO_AGENT = {
    "email": "agent@demo.paraph.be",
    "first_name": "Camille",
    "last_name": "Agent",
    "phone": "+32470000111",
}
DEMO_AGENT_PASSWORD = "demo-agent-password"


class Command(BaseCommand):
    help = "Create the demo people and a contact-centre agent (sandbox only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SANDBOX:
            raise CommandError("demo data exists only in sandbox mode (PARAPH_SANDBOX=true)")
        now = timezone.now()
        for data in DEMO_PEOPLE:
            Person.objects.get_or_create(
                email=data["email"],
                defaults={
                    **data,
                    "assurance_level": AssuranceLevel.HIGH,
                    "registration_method": RegistrationMethod.DEMO,
                    "registered_at": now,
                    "email_verified_at": now,
                    "phone_verified_at": now,
                },
            )
        agent, created = Person.objects.get_or_create(
            email=DEMO_AGENT["email"],
            defaults={
                **DEMO_AGENT,
                "is_staff": True,
                "is_superuser": True,
                "registration_method": RegistrationMethod.DEMO,
                "phone_verified_at": now,
                "email_verified_at": now,
            },
        )
        if created:
            agent.set_password(DEMO_AGENT_PASSWORD)
            agent.save(update_fields=["password"])
        self.stdout.write(
            "Demo people: log in with their phone number, read the code in the sandbox inbox:"
        )
        for data in DEMO_PEOPLE:
            self.stdout.write(f"  {data['first_name']} {data['last_name']}: {data['phone']}")
        self.stdout.write(
            f"Back office (/backoffice/): {DEMO_AGENT['email']} / {DEMO_AGENT_PASSWORD}, then the SMS code"
        )

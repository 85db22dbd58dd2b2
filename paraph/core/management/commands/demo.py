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
        # Check digits corrected (…713 failed the mod-97 check): registration validates it.
        "national_number": "90020199704",
        "language": "nl",
    },
]
# The customer file (paraph.identity.CustomerRecord) for the demo: the two
# demo people, two people of the sandbox itsme who have not registered yet:
# Marie (found by her national number) and Pieter (no national number in
# the file: found by his address or his client reference 12/3456-789), and
# Sanne, the sandbox IDnow's Dutch passport holder (IDnow proves no Belgian
# national number: found by her client reference 40/5060-708). Léa, the
# sandbox itsme's fifth identity, is deliberately not in the file (three
# wrong tries send her to the contact centre, RG-5; or she registers as a
# new customer).
DEMO_CUSTOMERS: list[dict[str, Any]] = [
    {
        "external_id": "C-1001",
        "national_number": "85073003328",
        "first_name": "Anne",
        "last_name": "Martin",
        "birth_date": "1985-07-30",
        "street": "Rue de la Loi",
        "house_number": "16",
        "box": "3",
        "postal_code": "1000",
        "municipality": "Bruxelles",
        "references": ("10/2030-405",),
    },
    {
        "external_id": "C-1002",
        "national_number": "90020199704",
        "first_name": "Jan",
        "last_name": "Peeters",
        "birth_date": "1990-02-01",
        "street": "Meir",
        "house_number": "50",
        "postal_code": "2000",
        "municipality": "Antwerpen",
        "references": ("20.3040.506",),
    },
    {
        "external_id": "C-1003",
        "national_number": "90021400227",
        "first_name": "Marie",
        "last_name": "Dubois",
        "birth_date": "1990-02-14",
        "street": "Rue Haute",
        "house_number": "120",
        "postal_code": "1000",
        "municipality": "Bruxelles",
        "references": ("30/4050-607",),
    },
    {
        "external_id": "C-1004",
        "national_number": "",
        "first_name": "Pieter",
        "last_name": "Claes",
        "birth_date": "1988-04-12",
        "street": "Kerkstraat",
        "house_number": "12",
        "box": "3",
        "postal_code": "9000",
        "municipality": "Gent",
        "references": ("12/3456-789",),
    },
    {
        # paraph.identity.providers.idnow_sandbox.DEMO_IDENTITY
        "external_id": "C-2001",
        "national_number": "",
        "first_name": "Sanne",
        "last_name": "de Vries",
        "birth_date": "1991-04-18",
        "references": ("40/5060-708",),
    },
]
# How to try each registration path in the sandbox (printed by the command).
DEMO_PATHS = (
    "Register at /register/ (codes and e-mails land in the sandbox inbox, /sandbox/inbox/):",
    "  itsme, found by national number: Marie Dubois.",
    "  itsme, found by address: Pieter Claes (type 'bte 3' and 'Gand' if you like).",
    "  itsme, found by client reference: Pieter Claes, 123456789 or 12.3456.789.",
    "  itsme, not in the file: Léa Wouters (new customer; or three wrong"
    " references: the contact centre).",
    "  IDnow (sandbox): Sanne de Vries, Dutch passport, then reference 405060708.",
    "  eID card (virtual reader, PIN 1234): register as Marie Dubois (found by"
    " national number) or Pieter Claes (then his address or client reference);"
    " Anne Martin and Jan Peeters are registered: log in with the card, or change"
    " phone at /register/new-phone/.",
)
DEMO_AGENT = {
    "email": "agent@demo.paraph.be",
    "first_name": "Camille",
    "last_name": "Agent",
    "phone": "+32470000111",
}
DEMO_AGENT_PASSWORD = "demo-agent-password"


_UNIQUE = ("email", "phone", "national_number")


def _demo_person(data: dict[str, Any]) -> tuple[Person, bool]:
    """A demo person, found by any of their unique details (e-mail, phone,
    national number: the demo people may have changed the others since), or
    made anew when none of them is held by anyone. What they changed is
    kept: every start of ``make run`` works, whatever the demo people did."""
    for name in _UNIQUE:
        if data.get(name):
            found = Person.objects.filter(**{name: data[name]}).first()
            if found is not None:
                return found, False
    return Person.objects.create(**data), True


class Command(BaseCommand):
    help = "Create the demo people and a contact-centre agent (sandbox only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SANDBOX:
            raise CommandError("demo data exists only in sandbox mode (PARAPH_SANDBOX=true)")
        now = timezone.now()
        for data in DEMO_PEOPLE:
            _demo_person(
                {
                    **data,
                    "assurance_level": AssuranceLevel.HIGH,
                    "registration_method": RegistrationMethod.DEMO,
                    "registered_at": now,
                    "email_verified_at": now,
                    "phone_verified_at": now,
                }
            )
        self._customers()
        agent, created = _demo_person(
            {
                **DEMO_AGENT,
                "is_staff": True,
                "is_superuser": True,
                "registration_method": RegistrationMethod.DEMO,
                "phone_verified_at": now,
                "email_verified_at": now,
            }
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
        self._demo_sender(now)

    def _demo_sender(self, now: Any) -> None:
        """A sender whose back office the demo agent uses, an API key (shown
        once, when it is made) and a contract sent to Anne Martin."""
        import datetime as dt

        from paraph.contracts.models import Contract
        from paraph.contracts.samplepdf import sample_contract_pdf
        from paraph.contracts.services import ContractData, RecipientData, contract_create
        from paraph.senders.models import Sender
        from paraph.senders.services import api_key_create, sender_create, sender_member_add

        staff, _created = _demo_person(DEMO_AGENT)
        sender = Sender.objects.filter(enterprise_number="0123456749").first()
        if sender is None:
            sender = sender_create(
                name="Intérim Demo",
                enterprise_number="0123.456.749",
                contact_email="hr@interim-demo.paraph.be",
            )
            sender_member_add(sender=sender, person=staff, role="admin")
            _key, token = api_key_create(
                sender=sender,
                name="Demo HR system",
                scopes=["contracts:read", "contracts:write", "webhooks:manage"],
                actor=staff,
            )
            self.stdout.write(f"Demo sender API key (shown once): {token}")
        anne, _created = _demo_person(DEMO_PEOPLE[0])
        if not Contract.objects.filter(sender=sender, recipient=anne).exists():
            start = (now + dt.timedelta(days=3)).replace(hour=7, minute=0, second=0, microsecond=0)
            contract_create(
                sender=sender,
                data=ContractData(
                    title="Contrat de travail intérimaire — Magasinier",
                    recipient=RecipientData(
                        first_name=anne.first_name,
                        last_name=anne.last_name,
                        email=anne.email,
                        phone=anne.phone,
                    ),
                    start_of_work=start,
                    external_reference="DEMO-0001",
                ),
                pdf=sample_contract_pdf(
                    title="Contrat de travail intérimaire",
                    lines=[
                        "Entre Intérim Demo SA (BCE 0123.456.749) et Anne Martin.",
                        "Fonction : magasinier. Lieu : Anderlecht.",
                        f"Début du travail : {start:%d/%m/%Y}, 08:00.",
                        "Rémunération horaire brute : 16,50 EUR.",
                        "Ce contrat est signé au plus tard au début du travail.",
                    ],
                ),
                actor=staff,
            )
        self.stdout.write(
            f"Sender back office (/sender/): {staff.first_name} {staff.last_name}, "
            f"log in with {DEMO_AGENT['phone']} and the SMS code; API docs at /api/docs"
        )
        for line in DEMO_PATHS:
            self.stdout.write(line)

    def _customers(self) -> None:
        import datetime as dt

        from paraph.identity.services import CustomerData, customer_record_upsert

        for row in DEMO_CUSTOMERS:
            values = dict(row)
            birth = values.pop("birth_date")
            record, _outcome = customer_record_upsert(
                data=CustomerData(**values, birth_date=dt.date.fromisoformat(birth))
            )
            person = Person.objects.filter(national_number=row["national_number"] or None).first()
            if person is not None and record.person_id is None:
                record.person = person
                record.save(update_fields=["person"])

"""``paraph demo``: demo data for the sandbox (idempotent). In the web app,
the top floor: it uses every app, and nothing imports it."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
from paraph.core.demo import (
    DEMO_AGENT,
    DEMO_AGENT_PASSWORD,
    DEMO_CUSTOMERS,
    DEMO_PATHS,
    DEMO_PEOPLE,
)

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
            method = data.get("registration_method", RegistrationMethod.DEMO)
            person, created = _demo_person(
                {
                    **data,
                    "assurance_level": AssuranceLevel.HIGH,
                    "registration_method": method,
                    "registered_at": now,
                    "email_verified_at": now,
                    "phone_verified_at": now,
                }
            )
            if not created and person.registration_method == RegistrationMethod.DEMO != method:
                # A database from before the demo people had a sandbox
                # registration method (the demo company needs one).
                person.registration_method = method
                person.save(update_fields=["registration_method"])
        self._customers()
        self._companies()
        self._demo_company()
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

    def _companies(self) -> None:
        """The sample of the KBO open data (``paraph/companies/demo/kbo/``),
        imported when the company register is still empty."""
        from paraph.companies.demo import DEMO_KBO_DIR
        from paraph.companies.selectors import kbo_dataset_current
        from paraph.companies.services import kbo_import

        if kbo_dataset_current() is None:
            record = kbo_import(directory=DEMO_KBO_DIR)
            self.stdout.write(
                f"Demo company register: {record.counts['enterprise']} enterprises "
                "(a sample of the KBO open data)"
            )

    def _demo_company(self) -> None:
        """The demo company registered on Paraph, with its representative
        and a user who may sign, made once; afterwards left as the demo
        people made it (another representative, users removed...)."""
        from paraph.companies.demo import DEMO_COMPANY, DEMO_NEW_REPRESENTATIVE
        from paraph.companies.models import RegisteredCompany
        from paraph.companies.services import (
            CompanyRefused,
            company_register,
            company_user_set_signer,
            invitation_accept,
            invitation_create,
            person_may_register_companies,
        )

        company = RegisteredCompany.objects.filter(number=DEMO_COMPANY["number"]).first()
        if company is None:
            representative = Person.objects.filter(
                national_number=DEMO_COMPANY["representative"]
            ).first()
            if representative is None or not person_may_register_companies(representative):
                self.stdout.write("Demo company: not registered (its representative is missing)")
                return
            try:
                company, _correction = company_register(
                    person=representative,
                    number=DEMO_COMPANY["number"],
                    language=representative.language,
                )
                for national_number in DEMO_COMPANY["users"]:
                    user = Person.objects.filter(national_number=national_number).first()
                    if user is None or user == representative:
                        continue
                    _invitation, token = invitation_create(
                        company=company,
                        person=representative,
                        email=user.email,
                        national_number=national_number,
                    )
                    member = invitation_accept(token=token, person=user)
                    company_user_set_signer(
                        company=company, person=representative, user_id=member.pk, can_sign=True
                    )
            except CompanyRefused as refusal:
                self.stdout.write(f"Demo company: {refusal.message}")
                if company is None:
                    return
        users = ", ".join(
            member.person.get_full_name() for member in company.users.select_related("person")
        )
        self.stdout.write(
            f"Demo company: {company}, digital representative "
            f"{company.representative.get_full_name()}"
            + (f", users {users}" if users else "")
            + " (log in, then choose for whom you act; /company/)."
        )
        self.stdout.write(
            "  Change its representative at /company/representative/ (confirm with the "
            f"sandbox itsme), designating {DEMO_NEW_REPRESENTATIVE['name']}, "
            f"{DEMO_NEW_REPRESENTATIVE['email']}, {DEMO_NEW_REPRESENTATIVE['national_number']};"
            " she registers with itsme and opens the link from the sandbox inbox."
        )

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

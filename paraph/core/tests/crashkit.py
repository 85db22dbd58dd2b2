"""Commands the crash tests run in processes of their own, against the
SQLite database of a throw-away data folder (the settings come from the
environment the test gives them):

    python -m paraph.core.tests.crashkit batch N      a bulk send of N contracts
    python -m paraph.core.tests.crashkit emails N     N e-mails queued
    python -m paraph.core.tests.crashkit apikey       a sender and its API key (printed)
    python -m paraph.core.tests.crashkit office       the same, and a logged-in session of one
                                                      of its staff (printed: key, then cookie=session)
    python -m paraph.core.tests.crashkit state        what the database holds, as JSON
"""

from __future__ import annotations

import json
import sys

import django


def _batch(count: int) -> None:
    from paraph.contracts.services import BulkEntry, batch_create
    from paraph.contracts.tests.fixtures import contract_fields
    from paraph.senders.services import sender_create
    from paraph.signing.tests.pdfs import contract_pdf

    sender = sender_create(
        name="Crash Test Interim",
        enterprise_number="0403.170.701",
        contact_email="office@crash-interim.example.be",
    )
    pdf = contract_pdf(pages=1, title="Contrat")
    entries = [
        BulkEntry(
            data=contract_fields(
                recipient={"email": f"r{i:03d}@example.be", "phone": f"0470{100000 + i}"}
            ),
            pdf=pdf,
        )
        for i in range(count)
    ]
    batch = batch_create(sender=sender, entries=entries, source="api")
    print(batch.pk)


def _apikey() -> None:
    from paraph.senders.services import api_key_create, sender_create

    sender = sender_create(
        name="Crash Test Interim",
        enterprise_number="0403.170.701",
        contact_email="office@crash-interim.example.be",
    )
    _key, token = api_key_create(
        sender=sender, name="crash test", scopes=["contracts:write", "contracts:read"], actor=None
    )
    print(token)


def _office() -> None:
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod
    from paraph.senders.models import Sender
    from paraph.senders.services import sender_member_add

    _apikey()
    staff = Person.objects.create_user(
        "sam@crash-interim.example.be",
        first_name="Sam",
        last_name="Staff",
        phone="+32470999001",
        phone_verified_at=timezone.now(),
        language="en",
        assurance_level=AssuranceLevel.LOW,
        registration_method=RegistrationMethod.BACKOFFICE,
    )
    sender_member_add(sender=Sender.objects.get(), person=staff, role="admin")
    client = Client()
    client.force_login(staff)
    print(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")


def _emails(count: int) -> None:
    from paraph.notifications.services import email_send

    for i in range(count):
        email_send(
            to=f"m{i:03d}@example.be",
            template="test_message",
            context={"name": f"M{i}"},
            language="en",
        )


def _state() -> None:
    from django.db.models import Count

    from paraph.contracts.models import BulkBatch, BulkItem, Contract
    from paraph.notifications.models import OutboundMessage

    print(
        json.dumps(
            {
                "batches": list(
                    BulkBatch.objects.values("status", "total", "processed", "succeeded", "failed")
                ),
                "items": dict(
                    BulkItem.objects.values_list("status").annotate(n=Count("pk")).order_by()
                ),
                "contracts": list(Contract.objects.values_list("recipient_email", flat=True)),
                "messages": dict(
                    OutboundMessage.objects.values_list("status").annotate(n=Count("pk")).order_by()
                ),
                "message_ids": {
                    m.message_id_header: m.to
                    for m in OutboundMessage.objects.filter(channel="email")
                },
                "attempts": list(OutboundMessage.objects.values_list("attempts", flat=True)),
            }
        )
    )


def main(argv: list[str]) -> None:
    django.setup()
    command = argv[1]
    if command == "batch":
        _batch(int(argv[2]))
    elif command == "emails":
        _emails(int(argv[2]))
    elif command == "apikey":
        _apikey()
    elif command == "office":
        _office()
    elif command == "state":
        _state()
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)

"""Commands the queue tests run in processes of their own, against the
SQLite database of a throw-away site (settings from the environment):

    python -m paraph.notifications.tests.queuekit person PHONE   a person who may log in
    python -m paraph.notifications.tests.queuekit login PHONE    ask for a log-in code, as
                                                                 the log-in page does
"""

from __future__ import annotations

import sys

import django


def _person(phone: str) -> None:
    from django.utils import timezone

    from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod

    Person.objects.create_user(
        f"waiting.{phone[1:]}@example.be",
        first_name="Anne",
        last_name="Waiting",
        phone=phone,
        phone_verified_at=timezone.now(),
        language="en",
        assurance_level=AssuranceLevel.LOW,
        registration_method=RegistrationMethod.BACKOFFICE,
    )


def _login(phone: str) -> None:
    from django.test import Client

    response = Client(HTTP_HOST="127.0.0.1").post("/account/login/", {"identifier": phone})
    if response.status_code != 302 or "/login/code/" not in response["Location"]:
        raise SystemExit(f"the log-in page answered {response.status_code}")


def main(argv: list[str]) -> None:
    django.setup()
    command, phone = argv[1], argv[2]
    if command == "person":
        _person(phone)
    elif command == "login":
        _login(phone)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)

"""``paraph bootstrap-admin``: the first back-office agent, on a new
installation, with a verified phone so the back office's log-in (password,
then an SMS code) works at once; audited. It runs once: later agents are
made in the back office.

    paraph bootstrap-admin --email ops@example.be --phone +32470123456 \\
        --first-name Camille --last-name Dupont
    printf '%s\\n' "$PASSWORD" | paraph bootstrap-admin ... --password-stdin
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from paraph.accounts.models import Language
from paraph.accounts.services import AgentBootstrapRefused, agent_bootstrap


class Command(BaseCommand):
    help = (
        "Create the first back-office agent (a superuser with a verified phone); "
        "refused once any agent exists. The password is asked for, or read from "
        "standard input with --password-stdin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="the agent's e-mail address")
        parser.add_argument(
            "--phone", required=True, help="the agent's mobile number (log-in codes by SMS)"
        )
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument(
            "--language", default=Language.FR, choices=Language.values, help="default: fr"
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )

    def _password(self, from_stdin: bool) -> str:
        if from_stdin or not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("no password on standard input: nothing was changed")
            return password
        password = getpass.getpass("Password of the new agent: ")
        if password != getpass.getpass("The same password again: "):
            raise CommandError("the two passwords differ: nothing was changed")
        return password

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options["password_stdin"])
        try:
            agent = agent_bootstrap(
                email=options["email"],
                phone=options["phone"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                password=password,
                language=options["language"],
            )
        except AgentBootstrapRefused as exc:
            raise CommandError(f"bootstrap-admin refused: {exc}") from exc
        self.stdout.write(
            f"Back-office agent {agent.email} created (phone {agent.phone}, verified). "
            "Log in at /backoffice/ with this e-mail, the password, then the SMS code."
        )

"""``paraph audit-prove CONTRACT``: the audit events about a contract with
their inclusion proofs in the newest sealed checkpoint of the audit log,
and that checkpoint's statement and seal, as JSON: a third party checks
them offline (RFC 9162 proofs; the seal is a detached CMS signature over
the statement, ``openssl cms -verify``). CONTRACT is the contract's public
id (as in its links and the API)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from paraph.audit.selectors import audit_prove
from paraph.contracts.models import Contract


class Command(BaseCommand):
    help = "Print a contract's audit events with their Merkle inclusion proofs (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("contract", help="the contract's public id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            contract = Contract.objects.get(public_id=options["contract"])
        except (Contract.DoesNotExist, ValidationError, ValueError) as exc:
            raise CommandError(f"no contract {options['contract']!r}") from exc
        self.stdout.write(json.dumps(audit_prove(contract), indent=2, ensure_ascii=False))

"""Every change to a person: one function, one transaction, one audit event."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from paraph.accounts.models import Language, Person
from paraph.audit.services import audit_record


def person_set_language(
    *, person: Person, language: str, request: HttpRequest | None = None
) -> Person:
    """Remember the language a person chose for pages and messages."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    if person.language == language:
        return person
    with transaction.atomic():
        old = person.language
        person.language = language
        person.save(update_fields=["language"])
        audit_record(
            name="accounts.person.language_changed",
            actor=person,
            subject=person,
            data={"old": old, "new": language},
            request=request,
        )
    return person

"""Reads about people and their log-ins that views and services share."""

from __future__ import annotations

import math

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from paraph.accounts.hashing import binding_hash
from paraph.accounts.models import OneTimeCode, Person
from paraph.audit.models import AuditEvent

LOGIN_EVENTS = ("accounts.login.succeeded", "accounts.staff.login_succeeded")


def code_get_by_binding(*, binding_token: str, purpose: str) -> OneTimeCode | None:
    """The attempt that ``binding_token`` (from the session) names, if any."""
    if not binding_token:
        return None
    return (
        OneTimeCode.objects.select_related("person")
        .filter(binding_hash=binding_hash(binding_token), purpose=purpose)
        .first()
    )


def code_resend_wait(*, binding_token: str, purpose: str) -> int:
    """Seconds before a new code may be asked for this attempt (0: now)."""
    code_obj = code_get_by_binding(binding_token=binding_token, purpose=purpose)
    if code_obj is None:
        return 0
    elapsed = (timezone.now() - code_obj.last_sent_at).total_seconds()
    return max(0, math.ceil(settings.CODE_RESEND_COOLDOWN_SECONDS - elapsed))


def person_recent_logins(*, person: Person, limit: int = 10) -> QuerySet[AuditEvent]:
    """The person's last log-ins, newest first, from the audit log."""
    return AuditEvent.objects.filter(
        subject_type=Person._meta.label_lower,
        subject_id=str(person.pk),
        name__in=LOGIN_EVENTS,
    ).order_by("-id")[:limit]

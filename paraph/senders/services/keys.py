"""API keys: made with their scopes (the secret shown once, only its HMAC
kept), revoked, and authenticated on each request."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.senders.models import (
    ApiKey,
    ApiScope,
    Sender,
)
from paraph.senders.services.common import (
    API_KEY_PREFIX,
    LAST_USED_RESOLUTION,
)

_HMAC_SALT = "paraph.senders.ApiKey"


# --- API keys -------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    return salted_hmac(_HMAC_SALT, secret, algorithm="sha256").hexdigest()


def _scopes_clean(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in ApiScope.values]
    if unknown:
        raise ValidationError(
            {"scopes": ValidationError(gettext("Unknown scope: %s") % ", ".join(unknown))}
        )
    if not chosen:
        raise ValidationError(
            {"scopes": ValidationError(gettext("Choose at least one scope."), code="required")}
        )
    return chosen


def api_key_create(
    *,
    sender: Sender,
    name: str,
    scopes: Iterable[str],
    actor: Person | None,
    context: Context = SYSTEM,
) -> tuple[ApiKey, str]:
    """A new API key for ``sender``; returns the row and the whole key,
    which is shown once and never again.

    Only an HMAC-SHA256 of the secret part, keyed with the secret key, is
    stored. Not argon2: the secret is 256 random bits, so there is nothing
    for a slow hash to protect against guessing, while a slow hash would
    cost every API request tens of milliseconds of CPU (and hand an attacker
    a cheap way to load the servers). The key of the HMAC means a copy of
    the database alone cannot even check a guess. Changing the secret key
    therefore invalidates every API key: senders make new ones."""
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError(
            {"name": ValidationError(gettext("Give the key a name."), code="required")}
        )
    chosen = _scopes_clean(scopes)
    alphabet = "abcdefghijkmnopqrstuvwxyz23456789"
    with transaction.atomic():
        for _attempt in range(5):
            prefix = "".join(secrets.choice(alphabet) for _ in range(ApiKey.PREFIX_LENGTH))
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        secret = secrets.token_urlsafe(32)
        key = ApiKey.objects.create(
            sender=sender,
            name=name,
            prefix=prefix,
            secret_hash=_secret_hash(secret),
            scopes=chosen,
            created_by=actor,
        )
        audit_record(
            name="senders.apikey.created",
            actor=actor,
            subject=key,
            data={"sender": sender.pk, "prefix": key.display_prefix, "scopes": chosen},
            context=context,
        )
    return key, f"{API_KEY_PREFIX}{prefix}.{secret}"


def api_key_revoke(*, key: ApiKey, actor: Person | None, context: Context = SYSTEM) -> ApiKey:
    """Revoke ``key``: it stops working at once. Revoking twice does nothing."""
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            name="senders.apikey.revoked",
            actor=actor,
            subject=locked,
            data={"sender": locked.sender_id, "prefix": locked.display_prefix},
            context=context,
        )
    return locked


def api_key_authenticate(*, token: str) -> ApiKey | None:
    """The active key of an active sender that ``token`` is, or None. The
    comparison takes the same time whatever the secret; ``last_used_at`` is
    refreshed at most once a minute."""
    token = (token or "").strip()
    if not token.startswith(API_KEY_PREFIX) or "." not in token or len(token) > 200:
        return None
    prefix, _dot, secret = token[len(API_KEY_PREFIX) :].partition(".")
    key = (
        ApiKey.objects.select_related("sender")
        .filter(prefix=prefix, revoked_at__isnull=True, sender__is_active=True)
        .first()
    )
    expected = key.secret_hash if key is not None else _secret_hash("no such key")
    if not constant_time_compare(_secret_hash(secret), expected) or key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key

"""Every write about senders, their API keys and their webhooks: one
function, one transaction, one audit event per state change."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from paraph.accounts.models import Language, Person
from paraph.audit.services import audit_record
from paraph.core.belgium import enterprise_number_normalize
from paraph.core.context import SYSTEM, Context
from paraph.core.outbox import enqueue_on_commit, enqueue_safely, requeue
from paraph.core.sealing import seal
from paraph.senders.models import (
    PING_EVENT,
    ApiKey,
    ApiScope,
    DeliveryStatus,
    Sender,
    SenderMembership,
    SenderRole,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "paraph_"
_HMAC_SALT = "paraph.senders.ApiKey"
# last_used_at is written at most this often per key: not one write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

# A failed delivery is tried again after each of these delays, then given up.
WEBHOOK_RETRY_DELAYS: tuple[dt.timedelta, ...] = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
WEBHOOK_MAX_ATTEMPTS = len(WEBHOOK_RETRY_DELAYS) + 1


class SenderError(Exception):
    """A refused change; ``code`` names the reason, the message says it in words."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


# --- Senders and their staff -------------------------------------------------


def webhook_secret_generate() -> str:
    """A new webhook signing secret (256 random bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def sender_create(
    *,
    name: str,
    enterprise_number: str,
    contact_email: str,
    language: str = "fr",
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> Sender:
    """A new sender organisation, with a fresh webhook signing secret.
    Refuses (``ValidationError`` by field) an invalid or already registered
    enterprise number and an invalid contact address."""
    name = (name or "").strip()
    errors: dict[str, ValidationError] = {}
    if not name:
        errors["name"] = ValidationError(gettext("Enter the organisation's name."), code="required")
    try:
        number = enterprise_number_normalize(enterprise_number)
    except ValidationError as exc:
        errors["enterprise_number"] = exc
        number = ""
    try:
        validate_email(contact_email)
    except ValidationError:
        errors["contact_email"] = ValidationError(
            gettext("Enter an e-mail address like name@example.be."), code="invalid"
        )
    if number and Sender.objects.filter(enterprise_number=number).exists():
        errors["enterprise_number"] = ValidationError(
            gettext("A sender with this enterprise number already exists."), code="taken"
        )
    if language not in Language.values:
        errors["language"] = ValidationError(
            gettext("Choose French, Dutch, German or English."), code="invalid"
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sender = Sender.objects.create(
            name=name,
            enterprise_number=number,
            contact_email=contact_email.strip(),
            language=language,
            webhook_secret_sealed=seal({"secret": webhook_secret_generate()}),
        )
        audit_record(
            name="senders.sender.created",
            actor=actor,
            subject=sender,
            data={"enterprise_number": number, "contact_email": sender.contact_email},
            context=context,
        )
    return sender


def sender_member_add(
    *,
    sender: Sender,
    person: Person,
    role: str = SenderRole.STAFF,
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> SenderMembership:
    """Give ``person`` access to ``sender``'s back office with ``role``
    (or change their role). They log in with the usual SMS code."""
    if role not in SenderRole.values:
        raise ValueError(f"unknown sender role {role!r}")
    with transaction.atomic():
        membership, created = SenderMembership.objects.select_for_update().get_or_create(
            sender=sender, person=person, defaults={"role": role}
        )
        old_role = None if created else membership.role
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        if created or old_role != role:
            audit_record(
                name="senders.member.added",
                actor=actor,
                subject=membership,
                data={"sender": sender.pk, "person": person.pk, "role": role, "old_role": old_role},
                context=context,
            )
    return membership


def sender_member_remove(
    *, membership: SenderMembership, actor: Person | None, context: Context = SYSTEM
) -> None:
    with transaction.atomic():
        audit_record(
            name="senders.member.removed",
            actor=actor,
            subject=membership.sender,
            data={"person": membership.person_id, "role": membership.role},
            context=context,
        )
        membership.delete()


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


# --- Webhook endpoints ------------------------------------------------------------

_url_validator = URLValidator(schemes=["http", "https"])


def _is_private(address: str) -> bool:
    """Not an address of the public internet: private, loopback, link-local,
    shared (RFC 6598, where clouds put their metadata services), reserved,
    documentation or multicast; IPv4 addresses inside IPv6 ones included."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def webhook_url_clean(url: str) -> str:
    """``url`` when Paraph may deliver webhooks to it: an https:// address
    (http:// is accepted only in sandbox mode, for a local receiver), no
    user name or password in it, and outside sandbox mode not a loopback
    or private network address (Paraph must not become a way into its own
    network)."""
    url = (url or "").strip()
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise ValidationError(
            {
                "url": ValidationError(
                    gettext("Enter a full address, like https://hr.example.be/paraph."),
                    code="invalid",
                )
            }
        ) from exc
    parts = urlsplit(url)
    if parts.scheme != "https" and not settings.WEBHOOK_ALLOW_LOCAL_ENDPOINTS:
        raise ValidationError(
            {"url": ValidationError(gettext("The address must start with https://."), code="https")}
        )
    if parts.username or parts.password:
        raise ValidationError(
            {
                "url": ValidationError(
                    gettext("The address must not contain a user name or password."),
                    code="credentials",
                )
            }
        )
    host = (parts.hostname or "").lower()
    if not settings.WEBHOOK_ALLOW_LOCAL_ENDPOINTS:
        try:
            private = _is_private(host)
        except ValueError:
            private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        if private:
            raise ValidationError(
                {
                    "url": ValidationError(
                        gettext("The address must be reachable on the internet."), code="private"
                    )
                }
            )
    return url


@dataclass(frozen=True)
class WebhookDestination:
    """Where a delivery connects: the endpoint's URL with its host name
    replaced by the address that was checked (so a second DNS answer cannot
    send the request elsewhere), the Host header and the TLS server name of
    the original host."""

    url: str
    host: str
    tls_server_name: str | None


def webhook_destination_resolve(url: str) -> WebhookDestination:
    """Resolved again at each delivery: outside sandbox mode every address
    of the host must be on the public internet, and the delivery connects to
    the one checked. Raises :class:`SenderError` (``private`` or
    ``unresolved``) otherwise."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if settings.WEBHOOK_ALLOW_LOCAL_ENDPOINTS:
        return WebhookDestination(url=url, host=parts.netloc, tls_server_name=None)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise SenderError(f"the host {host} cannot be resolved: {exc}", code="unresolved") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or any(_is_private(a) for a in addresses):
        raise SenderError("refused: the address resolves to a private network", code="private")
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return WebhookDestination(
        url=urlunsplit(parts._replace(netloc=netloc)),
        host=parts.netloc,
        tls_server_name=host if parts.scheme == "https" else None,
    )


def _events_clean(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown:
        raise ValidationError(
            {"events": ValidationError(gettext("Unknown event: %s") % ", ".join(unknown))}
        )
    if not chosen:
        raise ValidationError(
            {"events": ValidationError(gettext("Choose at least one event."), code="required")}
        )
    return chosen


def _label(actor: Person | None, api_key: ApiKey | None) -> str:
    if actor is None and api_key is not None:
        return f"API key {api_key.display_prefix} ({api_key.name})"[:200]
    return ""


def webhook_endpoint_create(
    *,
    sender: Sender,
    url: str,
    events: Iterable[str],
    description: str = "",
    actor: Person | None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> WebhookEndpoint:
    """A new endpoint that receives ``events`` of ``sender``'s contracts."""
    clean_url = webhook_url_clean(url)
    chosen = _events_clean(events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            sender=sender, url=clean_url, events=chosen, description=description.strip()[:200]
        )
        audit_record(
            name="senders.webhook.created",
            actor=actor,
            subject=endpoint,
            data={"sender": sender.pk, "url": clean_url, "events": chosen},
            context=context,
            actor_label=_label(actor, api_key),
        )
    return endpoint


def webhook_endpoint_set_active(
    *,
    endpoint: WebhookEndpoint,
    active: bool,
    actor: Person | None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> WebhookEndpoint:
    """Enable or disable an endpoint; a disabled one receives nothing new
    (deliveries already made can still be replayed once it is enabled)."""
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit_record(
            name="senders.webhook.enabled" if active else "senders.webhook.disabled",
            actor=actor,
            subject=locked,
            data={"sender": locked.sender_id, "url": locked.url},
            context=context,
            actor_label=_label(actor, api_key),
        )
    return locked


def webhook_secret_rotate(
    *, sender: Sender, actor: Person | None, context: Context = SYSTEM
) -> str:
    """Give ``sender`` a new webhook signing secret (returned); deliveries
    from now on are signed with it."""
    secret = webhook_secret_generate()
    with transaction.atomic():
        Sender.objects.filter(pk=sender.pk).update(webhook_secret_sealed=seal({"secret": secret}))
        sender.refresh_from_db(fields=["webhook_secret_sealed"])
        audit_record(
            name="senders.webhook.secret_rotated", actor=actor, subject=sender, context=context
        )
    return secret


# --- Webhook deliveries ------------------------------------------------------------


def _enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    """Wake a worker for the delivery once the transaction commits; when the
    queue cannot be reached, or cannot defer, the sweeper
    (:func:`webhook_deliveries_retry_due`) sends it when due."""
    from paraph.senders.tasks import webhook_deliver

    if run_after is None:
        enqueue_on_commit(webhook_deliver, delivery_id)
    elif webhook_deliver.get_backend().supports_defer:
        enqueue_on_commit(webhook_deliver, delivery_id, run_after=run_after)


def _payload(*, event: str, event_id: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event,
            "created": timezone.now().isoformat().replace("+00:00", "Z"),
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def webhook_event_emit(
    *, sender_id: int, event: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of the sender that
    subscribed to it, in the caller's transaction: nothing leaves unless
    it commits, and each delivery then runs in the ``webhooks`` queue, so
    a slow or dead endpoint delays nothing else. Not audited: the change
    that caused the event is."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(sender_id=sender_id, is_active=True)
        if e.wants(event)
    ]
    if not endpoints:
        return []
    event_id = f"evt_{secrets.token_hex(12)}"
    body = _payload(event=event, event_id=event_id, data=data)
    deliveries = []
    with transaction.atomic():
        for endpoint in endpoints:
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, event=event, event_id=event_id, body=body
            )
            _enqueue(delivery.pk)
            deliveries.append(delivery)
    return deliveries


def webhook_endpoint_ping(
    *, endpoint: WebhookEndpoint, actor: Person | None, context: Context = SYSTEM
) -> WebhookDelivery:
    """Send a ``ping`` event to ``endpoint`` (the back office's "test" button)."""
    event_id = f"evt_{secrets.token_hex(12)}"
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=PING_EVENT,
            event_id=event_id,
            body=_payload(
                event=PING_EVENT,
                event_id=event_id,
                data={
                    "sender": str(endpoint.sender.public_id),
                    "endpoint": str(endpoint.public_id),
                },
            ),
        )
        audit_record(
            name="senders.webhook.pinged",
            actor=actor,
            subject=endpoint,
            data={"delivery": delivery.pk},
            context=context,
        )
        _enqueue(delivery.pk)
    return delivery


def webhook_delivery_replay(
    *,
    delivery: WebhookDelivery,
    actor: Person | None,
    api_key: ApiKey | None = None,
    context: Context = SYSTEM,
) -> WebhookDelivery:
    """Send a delivery's payload again (same event id, so the receiver can
    recognise a duplicate), as a new delivery in the log. Refuses an
    endpoint that was disabled (:class:`SenderError` ``disabled``)."""
    if not WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, is_active=True).exists():
        raise SenderError(
            gettext("This endpoint is disabled: enable it before replaying."), code="disabled"
        )
    with transaction.atomic():
        replay = WebhookDelivery.objects.create(
            endpoint_id=delivery.endpoint_id,
            event=delivery.event,
            event_id=delivery.event_id,
            body=delivery.body,
            replay_of=delivery,
        )
        audit_record(
            name="senders.webhook.replayed",
            actor=actor,
            subject=replay,
            data={"replay_of": delivery.pk, "event": delivery.event},
            context=context,
            actor_label=_label(actor, api_key),
        )
        _enqueue(replay.pk)
    return replay


def _lease_start(now: dt.datetime) -> dt.datetime:
    """An attempt that started before this has no live worker any more: the
    lease (``last_attempt_at`` + ``WORK_LEASE_SECONDS``) ended."""
    return now - dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)


def webhook_delivery_claim(*, delivery_id: int) -> WebhookDelivery | None:
    """Take a delivery for one attempt (at most one worker at a time), or
    None when it was delivered, given up, not due yet or in the hands of a
    worker whose lease still runs. A delivery whose worker died during the
    attempt is taken again once the lease ended; it is sent with the same
    ``Paraph-Delivery`` and ``Paraph-Event-Id``, so a receiver that got the
    first one recognises the copy."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=DeliveryStatus.PENDING)
            | Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.DELIVERING, last_attempt_at__lt=_lease_start(now))
        )
        .update(
            status=DeliveryStatus.DELIVERING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=None,
        )
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint__sender").get(pk=delivery_id)


def webhook_delivery_record(
    *,
    delivery: WebhookDelivery,
    ok: bool,
    response_status: int | None,
    error: str,
    duration_ms: int,
) -> WebhookDelivery:
    """Note the outcome of an attempt: delivered; or retried after the next
    delay of :data:`WEBHOOK_RETRY_DELAYS`; or, after the last one, failed,
    with one ``senders.webhook.failed`` audit event."""
    now = timezone.now()
    delivery.response_status = response_status
    delivery.error = error[:300]
    delivery.duration_ms = duration_ms
    fields = ["status", "response_status", "error", "duration_ms", "next_attempt_at"]
    with transaction.atomic():
        if ok:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.save(update_fields=[*fields, "delivered_at"])
            return delivery
        if delivery.attempts < WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + WEBHOOK_RETRY_DELAYS[delivery.attempts - 1]
            delivery.save(update_fields=fields)
            _enqueue(delivery.pk, run_after=delivery.next_attempt_at)
            return delivery
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.save(update_fields=fields)
        audit_record(
            name="senders.webhook.failed",
            subject=delivery,
            data={
                "endpoint": delivery.endpoint_id,
                "event": delivery.event,
                "attempts": delivery.attempts,
                "error": delivery.error,
            },
        )
    logger.warning(
        "webhook delivery %s to endpoint %s given up after %s attempts: %s",
        delivery.pk,
        delivery.endpoint_id,
        delivery.attempts,
        delivery.error,
    )
    return delivery


def webhook_deliveries_retry_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Enqueue every delivery that is due and in no live worker's hands:
    retries that are due (for task backends that cannot defer a task, and
    retries lost with a queue), pending ones whose task was lost (the queue
    was down when they were made; after a lease, so one waiting in a long
    queue is not enqueued at every sweep), and those whose worker died
    during the attempt (its lease ended). Returns how many were enqueued
    (each one is claimed, so running this twice sends nothing twice)."""
    from paraph.senders.tasks import webhook_deliver

    now = now or timezone.now()
    lease_start = _lease_start(now)
    due = list(
        WebhookDelivery.objects.filter(
            Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
            # (a requeued one is due from its requeue: next_attempt_at)
            | Q(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=lease_start),
                status=DeliveryStatus.PENDING,
                created_at__lte=lease_start,
            )
            | Q(status=DeliveryStatus.DELIVERING, last_attempt_at__lt=lease_start)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(enqueue_safely(webhook_deliver, delivery_id) for delivery_id in due)


def webhook_delivery_stuck(delivery: WebhookDelivery, now: dt.datetime) -> bool:
    """Pending or due for its retry for longer than a lease (its task was
    lost), or "being sent" by a worker whose lease ended."""
    lease_start = _lease_start(now)
    if delivery.status == DeliveryStatus.DELIVERING:
        return delivery.last_attempt_at is not None and delivery.last_attempt_at < lease_start
    if delivery.status == DeliveryStatus.RETRYING:
        return delivery.next_attempt_at is not None and delivery.next_attempt_at <= lease_start
    due = delivery.next_attempt_at or delivery.created_at
    return delivery.status == DeliveryStatus.PENDING and due <= lease_start


def webhook_delivery_requeue(*, delivery_id: int, actor: Person | None) -> str:
    """A staff member's "requeue" (the back office's page of outgoing work),
    as :func:`~paraph.notifications.services.message_requeue` does for a
    message: a delivery that was given up goes back to pending for one more
    attempt, and one that is stuck (its task lost, its worker dead, its
    retry overdue by a lease) is woken up again; one
    ``senders.webhook.requeued`` audit event naming ``actor`` either way.
    Idempotent (:func:`~paraph.core.outbox.requeue`): a delivery already
    pending, waiting for its retry, being delivered or delivered is left
    alone, and a wake-up of one that is also queued posts it once (the
    worker claims it). Returns a :class:`~paraph.core.outbox.Requeue` value."""

    def record(delivery: WebhookDelivery, was: str) -> None:
        audit_record(
            name="senders.webhook.requeued",
            actor=actor,
            subject=delivery,
            data={
                "endpoint": delivery.endpoint_id,
                "event": delivery.event,
                "attempts": delivery.attempts,
                "was": was,
                "error": delivery.error,
            },
        )

    return requeue(
        rows=WebhookDelivery.objects.all(),
        pk=delivery_id,
        delivered=DeliveryStatus.SUCCEEDED,
        given_up=DeliveryStatus.FAILED,
        reopened=DeliveryStatus.PENDING,
        stuck=webhook_delivery_stuck,
        record=record,
        wake=lambda delivery: _enqueue(delivery.pk),
    )


def webhook_deliveries_sweep(now: dt.datetime) -> int:
    """The outbox sweep of webhook deliveries (``paraph work-sweep``)."""
    return webhook_deliveries_retry_due(now=now)

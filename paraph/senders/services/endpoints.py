"""Webhook endpoints: the URL checked (https, no private or loopback
address unless allowed, the address pinned at delivery), added, switched
on and off, and the sender's secret rotated."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.sealing import seal
from paraph.senders.models import (
    ApiKey,
    Sender,
    WebhookEndpoint,
    WebhookEvent,
)
from paraph.senders.services.common import (
    SenderError,
    actor_label,
)
from paraph.senders.services.staff import (
    webhook_secret_generate,
)

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
            actor_label=actor_label(actor, api_key),
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
            actor_label=actor_label(actor, api_key),
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

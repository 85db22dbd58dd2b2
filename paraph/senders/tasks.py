"""Delivering webhooks (runs in the task worker, queue ``webhooks``)."""

from __future__ import annotations

import time

import httpx
from django.conf import settings
from django_tasks import task

from paraph.senders.services.common import SenderError
from paraph.senders.services.deliveries import (
    webhook_deliveries_retry_due,
    webhook_delivery_claim,
    webhook_delivery_record,
)
from paraph.senders.services.endpoints import webhook_destination_resolve
from paraph.senders.signatures import HEADER, signature_header

USER_AGENT = "Paraph-Webhooks/1"


@task(queue_name="webhooks")
def webhook_deliver(delivery_id: int) -> str:
    """One attempt: POST the payload, signed, with a time-out of
    ``WEBHOOK_TIMEOUT_SECONDS`` (connecting, sending, waiting for the
    answer); any 2xx answer is a success, anything else is retried. The
    answer's body is never read. A delivery that is not due, already
    delivered, or in another worker's hands is left alone."""
    delivery = webhook_delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    body = delivery.body.encode()
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        destination = webhook_destination_resolve(endpoint.url)
    except SenderError as exc:
        error = str(exc)
    else:
        headers = {
            "Host": destination.host,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Paraph-Event": delivery.event,
            "Paraph-Event-Id": delivery.event_id,
            "Paraph-Delivery": str(delivery.public_id),
            HEADER: signature_header(secret=endpoint.sender.webhook_secret, body=body),
        }
        # the address checked, with the host's own name for TLS (SNI and
        # the certificate check)
        extensions = (
            {"sni_hostname": destination.tls_server_name} if destination.tls_server_name else {}
        )
        try:
            with (
                httpx.Client(
                    timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS), follow_redirects=False
                ) as client,
                client.stream(
                    "POST", destination.url, content=body, headers=headers, extensions=extensions
                ) as response,
            ):
                status = response.status_code
        except httpx.TimeoutException:
            error = f"no answer within {settings.WEBHOOK_TIMEOUT_SECONDS} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error = f"HTTP {status}"
    delivery = webhook_delivery_record(
        delivery=delivery,
        ok=ok,
        response_status=status,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return str(delivery.status)


@task()
def webhook_deliveries_retry_due_task() -> int:
    """Send the retries that are due (for queues that cannot defer a task)."""
    return webhook_deliveries_retry_due()

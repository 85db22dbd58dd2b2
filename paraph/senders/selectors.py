"""Every read of the senders app that views and the API share: a sender's
webhook endpoints and their deliveries, always within that sender (another
sender's endpoint is ``DoesNotExist``, exactly like one that does not exist)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from paraph.senders.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list_for_sender(*, sender_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(sender_id=sender_id)


def webhook_endpoint_get_for_sender(*, sender_id: int, public_id: str) -> WebhookEndpoint:
    """The sender's endpoint ``public_id``; ``WebhookEndpoint.DoesNotExist``
    for another sender's, an unknown one or an id that is not one."""
    try:
        return WebhookEndpoint.objects.get(sender_id=sender_id, public_id=public_id)
    except (ValidationError, ValueError):
        raise WebhookEndpoint.DoesNotExist from None


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    return endpoint.deliveries.select_related("replay_of").order_by("-created_at", "-pk")


def webhook_delivery_get_for_sender(*, sender_id: int, public_id: str) -> WebhookDelivery:
    """The sender's delivery ``public_id`` (with its endpoint);
    ``WebhookDelivery.DoesNotExist`` otherwise, as above."""
    try:
        return WebhookDelivery.objects.select_related("endpoint").get(
            endpoint__sender_id=sender_id, public_id=public_id
        )
    except (ValidationError, ValueError):
        raise WebhookDelivery.DoesNotExist from None

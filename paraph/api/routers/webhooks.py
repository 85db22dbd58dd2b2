"""A sender's webhook endpoints, their delivery log, and a delivery sent
again."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from paraph.api.common import (
    api_key_scoped,
    json_response,
)
from paraph.api.problems import Problem
from paraph.api.schemas import (
    DeliveryOut,
    WebhookIn,
    WebhookOut,
    delivery_out,
    webhook_out,
)
from paraph.core.context import Context
from paraph.senders.models import ApiKey, ApiScope, WebhookDelivery, WebhookEndpoint
from paraph.senders.selectors import (
    webhook_delivery_get_for_sender,
    webhook_delivery_list,
    webhook_endpoint_get_for_sender,
    webhook_endpoint_list_for_sender,
)
from paraph.senders.services import (
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
)

router = Router()

# The delivery log an endpoint answers with: the newest.
DELIVERIES_SHOWN = 100


def _endpoint(key: ApiKey, endpoint_id: str) -> WebhookEndpoint:
    try:
        return webhook_endpoint_get_for_sender(sender_id=key.sender_id, public_id=endpoint_id)
    except WebhookEndpoint.DoesNotExist:
        raise Problem(404, "not_found", "No webhook endpoint with this id.") from None


@router.get(
    "/webhooks", response=list[WebhookOut], summary="List webhook endpoints", tags=["webhooks"]
)
def webhooks_list(request: HttpRequest) -> HttpResponse:
    key = api_key_scoped(request, ApiScope.WEBHOOKS_MANAGE)
    return json_response(
        [webhook_out(e) for e in webhook_endpoint_list_for_sender(sender_id=key.sender_id)]
    )


@router.post(
    "/webhooks", response={201: WebhookOut}, summary="Add a webhook endpoint", tags=["webhooks"]
)
def webhooks_create(request: HttpRequest, payload: WebhookIn) -> HttpResponse:
    """An https:// URL and the events it receives: contract.sent,
    contract.opened, contract.signed, contract.refused, contract.expired,
    contract.revoked. Needs `webhooks:manage`."""
    key = api_key_scoped(request, ApiScope.WEBHOOKS_MANAGE)
    endpoint = webhook_endpoint_create(
        sender=key.sender,
        url=payload.url,
        events=payload.events,
        description=payload.description,
        actor=None,
        api_key=key,
        context=Context.from_request(request),
    )
    return json_response(webhook_out(endpoint), status=201)


@router.delete(
    "/webhooks/{endpoint_id}",
    response=WebhookOut,
    summary="Disable a webhook endpoint",
    tags=["webhooks"],
)
def webhooks_disable(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    key = api_key_scoped(request, ApiScope.WEBHOOKS_MANAGE)
    endpoint = webhook_endpoint_set_active(
        endpoint=_endpoint(key, endpoint_id),
        active=False,
        actor=None,
        api_key=key,
        context=Context.from_request(request),
    )
    return json_response(webhook_out(endpoint))


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response=list[DeliveryOut],
    summary="An endpoint's delivery log (newest first, the last 100)",
    tags=["webhooks"],
)
def webhooks_deliveries(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    key = api_key_scoped(request, ApiScope.WEBHOOKS_MANAGE)
    endpoint = _endpoint(key, endpoint_id)
    deliveries = webhook_delivery_list(endpoint=endpoint)[:DELIVERIES_SHOWN]
    return json_response([delivery_out(d) for d in deliveries])


@router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    response={202: DeliveryOut},
    summary="Send a delivery again",
    tags=["webhooks"],
)
def webhooks_replay(request: HttpRequest, delivery_id: str) -> HttpResponse:
    key = api_key_scoped(request, ApiScope.WEBHOOKS_MANAGE)
    try:
        delivery = webhook_delivery_get_for_sender(sender_id=key.sender_id, public_id=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise Problem(404, "not_found", "No delivery with this id.") from None
    replay = webhook_delivery_replay(
        delivery=delivery, actor=None, api_key=key, context=Context.from_request(request)
    )
    replay.refresh_from_db()
    return json_response(delivery_out(replay), status=202)

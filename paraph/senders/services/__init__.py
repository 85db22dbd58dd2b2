"""Every write about senders, their API keys and their webhooks: one
function, one transaction, one audit event per state change. One module
per concern: ``staff`` (senders and their members), ``keys`` (API keys),
``endpoints`` (webhook endpoints), ``deliveries`` (webhook deliveries),
over ``common`` (what they share)."""

from paraph.senders.services.common import (
    API_KEY_PREFIX,
    LAST_USED_RESOLUTION,
    WEBHOOK_MAX_ATTEMPTS,
    WEBHOOK_RETRY_DELAYS,
    SenderError,
    actor_label,
)
from paraph.senders.services.deliveries import (
    webhook_deliveries_retry_due,
    webhook_deliveries_sweep,
    webhook_delivery_claim,
    webhook_delivery_record,
    webhook_delivery_replay,
    webhook_delivery_requeue,
    webhook_delivery_stuck,
    webhook_endpoint_ping,
    webhook_event_emit,
)
from paraph.senders.services.endpoints import (
    WebhookDestination,
    webhook_destination_resolve,
    webhook_endpoint_create,
    webhook_endpoint_set_active,
    webhook_secret_rotate,
    webhook_url_clean,
)
from paraph.senders.services.keys import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
)
from paraph.senders.services.staff import (
    sender_create,
    sender_member_add,
    sender_member_remove,
    webhook_secret_generate,
)

__all__ = [
    "API_KEY_PREFIX",
    "LAST_USED_RESOLUTION",
    "WEBHOOK_MAX_ATTEMPTS",
    "WEBHOOK_RETRY_DELAYS",
    "SenderError",
    "WebhookDestination",
    "actor_label",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "sender_create",
    "sender_member_add",
    "sender_member_remove",
    "webhook_deliveries_retry_due",
    "webhook_deliveries_sweep",
    "webhook_delivery_claim",
    "webhook_delivery_record",
    "webhook_delivery_replay",
    "webhook_delivery_requeue",
    "webhook_delivery_stuck",
    "webhook_destination_resolve",
    "webhook_endpoint_create",
    "webhook_endpoint_ping",
    "webhook_endpoint_set_active",
    "webhook_event_emit",
    "webhook_secret_generate",
    "webhook_secret_rotate",
    "webhook_url_clean",
]

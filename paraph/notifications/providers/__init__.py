"""SMS gateways behind one small Protocol, chosen by ``PARAPH_SMS_GATEWAY``."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SmsDeliveryError(Exception):
    """The gateway did not accept the message; the text says why, without secrets."""


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, reference: str = "") -> str:
        """Hand one SMS to the gateway; return the gateway's message id.
        ``reference`` is the same at every attempt for one message (an
        idempotency key for gateways that honour one), so a copy sent again
        after a worker died mid-send is recognisable.
        Raise :class:`SmsDeliveryError` when it refuses or cannot be reached."""
        ...


GATEWAYS = {
    "sandbox": "paraph.notifications.providers.sandbox.SandboxSmsGateway",
    "http": "paraph.notifications.providers.http.HttpSmsGateway",
}


def get_sms_gateway() -> SmsGateway:
    path = GATEWAYS.get(settings.SMS_GATEWAY, settings.SMS_GATEWAY)
    gateway: SmsGateway = import_string(path)()
    return gateway

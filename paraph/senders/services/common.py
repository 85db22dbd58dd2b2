"""What the senders' services share: the settings of API keys and webhook
retries, the refusal :class:`SenderError`, and how an actor is named in
the audit log."""

from __future__ import annotations

import datetime as dt

from paraph.accounts.models import Person
from paraph.senders.models import (
    ApiKey,
)

API_KEY_PREFIX = "paraph_"


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


def actor_label(actor: Person | None, api_key: ApiKey | None) -> str:
    if actor is None and api_key is not None:
        return f"API key {api_key.display_prefix} ({api_key.name})"[:200]
    return ""

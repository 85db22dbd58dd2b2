"""Polling IDnow for results whose webhook is late (runs in the task worker).

Each identification started at the real IDnow gets a chain of polls:
after 2 minutes, then twice as long each time, at most an hour apart,
for about three days. The chain stops as soon as the result is final
(the webhook may well have brought it first).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from paraph.core.outbox import enqueue_safely
from paraph.identity.models import IdnowIdentification
from paraph.identity.providers.idnow.checks import (
    IdnowPayload,
)
from paraph.identity.providers.idnow.client import IdnowClient, IdnowError
from paraph.identity.providers.idnow.services import (
    FINAL,
    idnow_result_apply,
)

logger = logging.getLogger(__name__)

FIRST_DELAY = dt.timedelta(minutes=2)
LONGEST_DELAY = dt.timedelta(hours=1)
MAX_POLLS = 80  # 2+4+8+16+32 minutes, then hourly: about three days


def poll_delay(attempt: int) -> dt.timedelta:
    """The wait before poll number ``attempt`` (0 for the first)."""
    return min(FIRST_DELAY * (2 ** min(attempt, 10)), LONGEST_DELAY)


def idnow_poll_once(*, transaction_number: str) -> str:
    """Fetch the result from IDnow and apply it. Returns "final" when there
    is nothing left to wait for, "waiting" when the result is not final,
    or "error" when IDnow could not answer (logged, nothing changed)."""
    identification = IdnowIdentification.objects.filter(
        transaction_number=transaction_number, sandbox=False
    ).first()
    if identification is None or identification.status in FINAL:
        return "final"
    try:
        data = IdnowClient().get(transaction_number)
        payload = IdnowPayload.parse(data)
    except (IdnowError, ValueError) as exc:
        logger.warning("IDnow poll of %s failed: %s", transaction_number, exc)
        return "error"
    if payload.transaction_number != transaction_number:
        logger.warning("IDnow poll of %s answered for another transaction", transaction_number)
        return "error"
    if payload.result in ("CREATED", "STARTED"):
        return "waiting"
    idnow_result_apply(payload=payload, source="poll")
    return "final" if payload.result in FINAL else "waiting"


def idnow_poll_schedule(*, transaction_number: str, attempt: int) -> bool:
    """Queue poll number ``attempt``; False when the task backend cannot
    run tasks later (the immediate backend of the tests), the chain is
    over, or the queue cannot be reached (logged; IDnow's own call-back
    still brings the result, and the page never fails for it)."""
    backend = idnow_poll.get_backend()
    if attempt >= MAX_POLLS or not backend.supports_defer:
        return False
    run_after = timezone.now() + poll_delay(attempt)
    return enqueue_safely(idnow_poll, transaction_number, attempt, run_after=run_after)


@task()
def idnow_poll(transaction_number: str, attempt: int) -> str:
    """One poll, then the next one, later, unless the result is final."""
    outcome = idnow_poll_once(transaction_number=transaction_number)
    if outcome != "final":
        idnow_poll_schedule(transaction_number=transaction_number, attempt=attempt + 1)
    return outcome

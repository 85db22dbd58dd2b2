"""Sending e-mail and SMS: every message is queued in the caller's
transaction and delivered by a task once that transaction commits.

The row is the truth (ADR 22): it keeps the sealed context until the
message is sent, so the sweeper can enqueue it again when its task was
lost (the queue was down). A worker claims a message with a lease before
sending it; a message that was sent (or given up) is never sent again.
When the worker dies while sending, the message is taken up again once the
lease ends: it is then sent a second time only if the first attempt had
reached the provider before the crash, with the same ``Message-ID`` (or
SMS reference), so that copy is recognisable. A failed attempt is retried
after 1, 5 and 30 minutes, then given up.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from paraph.audit.services import audit_record
from paraph.core.context import Context
from paraph.core.outbox import (
    enqueue_on_commit,
    enqueue_safely,
    lease_until,
    requeue,
    task_interactive,
)
from paraph.core.sealing import seal
from paraph.notifications.addresses import phone_e164
from paraph.notifications.models import Channel, OutboundMessage, SmsPurpose

logger = logging.getLogger(__name__)

RETRY_DELAYS: tuple[dt.timedelta, ...] = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Purposes that carry a code: the content is secret whatever the caller says.
CODE_PURPOSES = frozenset({SmsPurpose.LOGIN_CODE, SmsPurpose.PHONE_VERIFICATION})


class SmsNotAllowed(Exception):
    """The SMS would reach a phone, or serve a purpose, that the person did
    not agree to (RG-7). Nothing was queued."""


def _check_language(language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown message language {language!r}")


def sms_check_allowed(*, person: Any, to: str, purpose: str) -> None:
    """Refuse, with :class:`SmsNotAllowed`, an SMS to a person that RG-7
    forbids: the phone receives log-in codes, and any other message only
    when the person consented (``consent_phone_other_uses``); it must be the
    person's verified phone, except for the code that verifies a new number.
    Without a ``person`` there is nobody's consent to check."""
    if purpose not in SmsPurpose.values:
        raise ValueError(f"unknown SMS purpose {purpose!r}")
    if person is None or purpose == SmsPurpose.PHONE_VERIFICATION:
        return
    if not person.phone or person.phone_verified_at is None:
        raise SmsNotAllowed(f"person {person.pk} has no verified phone number")
    if (phone_e164(to) or to) != (phone_e164(person.phone) or person.phone):
        raise SmsNotAllowed(f"an SMS for person {person.pk} goes only to their verified phone")
    if purpose == SmsPurpose.NOTIFICATION and not person.consent_phone_other_uses:
        raise SmsNotAllowed(
            f"person {person.pk} did not consent to messages other than log-in codes "
            "on their phone (RG-7); send an e-mail instead"
        )


def _queue(
    *,
    channel: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    person: Any,
    secret: bool,
    purpose: str = "",
    interactive: bool = False,
) -> OutboundMessage:
    _check_language(language)
    sealed = seal(context)
    with transaction.atomic():
        message = OutboundMessage.objects.create(
            channel=channel,
            to=to,
            template=template,
            language=language,
            person=person,
            secret=secret,
            purpose=purpose,
            interactive=interactive,
            sealed_context=sealed,
        )
        enqueue_on_commit(message_task(message), message.pk)
    return message


def message_task(message: OutboundMessage) -> Any:
    """The delivery task of ``message``, on its queue: the interactive one
    for a code a person waits for (ADR 25), ``notifications`` otherwise."""
    from paraph.notifications.tasks import deliver_message

    return task_interactive(deliver_message) if message.interactive else deliver_message


def email_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    person: Any = None,
    secret: bool = False,
    interactive: bool = False,
) -> OutboundMessage:
    """Queue the e-mail rendered from ``notifications/email/<template>*``
    in ``language``; it leaves once the caller's transaction commits.

    ``context`` may hold secrets (codes, link tokens): it travels sealed
    and is never stored in clear; values must be JSON-able. Pass
    ``secret=True`` when it does: then only the subject is kept for the
    person to read again, never the body. Pass ``interactive=True`` for a
    code that someone waits for on a page: it goes by the interactive
    queue, never behind bulk work (ADR 25). Refuses an unknown language."""
    return _queue(
        channel=Channel.EMAIL,
        to=to,
        template=template,
        context=context,
        language=language,
        person=person,
        secret=secret,
        interactive=interactive,
    )


def sms_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    person: Any = None,
    secret: bool = False,
    purpose: str = SmsPurpose.NOTIFICATION,
) -> OutboundMessage:
    """Queue the SMS rendered from ``notifications/sms/<template>.txt``.

    ``purpose`` says why the phone is used: ``"login_code"`` (a log-in
    code), ``"phone_verification"`` (the code that checks a new number) or
    ``"notification"`` (anything else). With a ``person``, the SMS goes only
    to their verified phone, and a notification only with their consent
    (RG-7); otherwise :class:`SmsNotAllowed` is raised and nothing is
    queued. Code purposes are always secret (the text is never kept) and
    interactive (the interactive queue, ADR 25)."""
    sms_check_allowed(person=person, to=to, purpose=purpose)
    return _queue(
        channel=Channel.SMS,
        to=to,
        template=template,
        context=context,
        language=language,
        person=person,
        secret=secret or purpose in CODE_PURPOSES,
        purpose=purpose,
        interactive=purpose in CODE_PURPOSES,
    )


def _claimable(now: dt.datetime) -> Q:
    """Queued, or "sending" by a worker whose lease ended (it died)."""
    return Q(status=OutboundMessage.Status.QUEUED) | Q(
        status=OutboundMessage.Status.SENDING, lease_until__lt=now
    )


def message_claim(*, message_id: int) -> OutboundMessage | None:
    """Take a message for one delivery attempt, with a lease of
    ``WORK_LEASE_SECONDS``; None when it was already sent, given up, or is
    in the hands of a worker whose lease still runs: a second task for the
    same message does nothing. A message whose worker died while sending
    is taken again once the lease ended."""
    now = timezone.now()
    claimed = (
        OutboundMessage.objects.filter(pk=message_id)
        .filter(_claimable(now))
        .update(
            status=OutboundMessage.Status.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=None,
            lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now),
        )
    )
    if not claimed:
        return None
    return OutboundMessage.objects.select_related("person").get(pk=message_id)


def messages_sweep(now: dt.datetime) -> int:
    """Enqueue again every message that is due and in no live worker's
    hands: queued ones whose task was lost (never enqueued, or a retry the
    queue forgot; only once their task is a lease overdue, so a message
    waiting in a long queue is not enqueued again at every sweep) and
    "sending" ones whose worker died (lease ended). A worker that died
    on its last allowed attempt does not get another one: that message is
    given up. Returns how many tasks were enqueued."""
    for message in OutboundMessage.objects.filter(
        status=OutboundMessage.Status.SENDING, lease_until__lt=now, attempts__gte=MAX_ATTEMPTS
    ).select_related("person"):
        message_record_failure(
            message=message, error="the worker stopped while sending", permanent=True
        )
    # A queued message is woken only when its task should have run a lease
    # ago: one waiting in a long queue is not enqueued twice every sweep.
    grace = now - dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)
    due = list(
        OutboundMessage.objects.filter(
            Q(status=OutboundMessage.Status.SENDING, lease_until__lt=now)
            | Q(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=grace),
                status=OutboundMessage.Status.QUEUED,
                created_at__lte=grace,
            )
        )
        .order_by("pk")
        .values_list("pk", "interactive")[:1000]
    )
    return sum(_wake(message_id, interactive=interactive) for message_id, interactive in due)


def _wake(message_id: int, *, interactive: bool) -> bool:
    task = message_task(OutboundMessage(pk=message_id, interactive=interactive))
    return enqueue_safely(task, message_id)


def message_record_sent(
    *, message: OutboundMessage, subject: str, text: str, provider_id: str = ""
) -> OutboundMessage:
    """Mark a claimed message sent and keep what the person may read again:
    subject and text of an ordinary message; of a secret one, the e-mail
    subject only (never a code or a link token)."""
    message.status = OutboundMessage.Status.SENT
    message.sent_at = timezone.now()
    message.error = ""
    message.provider_id = provider_id[:100]
    message.subject = subject[:300] if message.channel == Channel.EMAIL else ""
    message.body_text = "" if message.secret else text
    message.sealed_context = ""
    message.lease_until = None
    with transaction.atomic():
        message.save(
            update_fields=[
                "status",
                "sent_at",
                "error",
                "provider_id",
                "subject",
                "body_text",
                "sealed_context",
                "lease_until",
            ]
        )
    return message


def message_record_failure(
    *, message: OutboundMessage, error: str, permanent: bool = False
) -> OutboundMessage:
    """Note a failed attempt. A passing failure is retried after the next
    delay of :data:`RETRY_DELAYS`; after the last one, or when ``permanent``
    (a refusal, a broken template), the message is given up: status failed
    and one ``notifications.message.failed`` audit event. ``error`` must
    not contain the message's content."""
    from paraph.notifications.tasks import deliver_message

    message.error = error[:300]
    message.lease_until = None
    can_defer = deliver_message.get_backend().supports_defer
    retry = not permanent and message.attempts < MAX_ATTEMPTS and can_defer
    with transaction.atomic():
        if retry:
            run_after = timezone.now() + RETRY_DELAYS[message.attempts - 1]
            message.status = OutboundMessage.Status.QUEUED
            message.next_attempt_at = run_after
            message.save(update_fields=["status", "next_attempt_at", "error", "lease_until"])
            enqueue_on_commit(message_task(message), message.pk, run_after=run_after)
            logger.warning(
                "message %s (%s) attempt %s failed, retry at %s: %s",
                message.pk,
                message.channel,
                message.attempts,
                run_after.isoformat(),
                message.error,
            )
            return message
        if not permanent and not can_defer:
            logger.warning(
                "the task backend cannot defer tasks: message %s not retried", message.pk
            )
        message.status = OutboundMessage.Status.FAILED
        message.next_attempt_at = None
        # A message given up keeps its (sealed) context, so the back office
        # can requeue it (ADR 25); a code's is erased: it is never sent again,
        # the person asks for a new one.
        if message.interactive:
            message.sealed_context = ""
        message.save(
            update_fields=["status", "next_attempt_at", "error", "lease_until", "sealed_context"]
        )
        audit_record(
            name="notifications.message.failed",
            subject=message,
            data={
                "channel": message.channel,
                "template": message.template,
                "attempts": message.attempts,
                "error": message.error,
            },
        )
    logger.warning(
        "message %s (%s) given up after %s attempt(s): %s",
        message.pk,
        message.channel,
        message.attempts,
        message.error,
    )
    return message


def message_stuck(message: OutboundMessage, now: dt.datetime) -> bool:
    """Queued for longer than a lease past when it was due, or "sending" by
    a worker whose lease ended: its task was lost or its worker died."""
    grace = now - dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)
    if message.status == OutboundMessage.Status.SENDING:
        return message.lease_until is not None and message.lease_until < now
    due = message.next_attempt_at or message.created_at
    return message.status == OutboundMessage.Status.QUEUED and due <= grace


def message_requeue(*, message_id: int, context: Context) -> str:
    """A staff member's "requeue" (the back office's page of outgoing work):
    a message that was given up is queued again for one more attempt, and
    one that is stuck (its task lost, its worker dead) is woken up again;
    one ``notifications.message.requeued`` audit event naming ``actor``
    either way (the context's actor, with the address the click came from).
    Idempotent (:func:`~paraph.core.outbox.requeue`): a message already
    waiting, being sent or sent is left alone, and a wake-up of one
    that is also queued sends it once (the worker claims it). A code that
    was given up is refused: its content was erased, and the person asks
    for a new one. Returns a :class:`~paraph.core.outbox.Requeue` value."""

    def record(message: OutboundMessage, was: str) -> None:
        audit_record(
            name="notifications.message.requeued",
            subject=message,
            data={
                "channel": message.channel,
                "template": message.template,
                "attempts": message.attempts,
                "was": was,
                "error": message.error,
            },
            context=context,
        )

    return requeue(
        rows=OutboundMessage.objects.all(),
        pk=message_id,
        delivered=OutboundMessage.Status.SENT,
        given_up=OutboundMessage.Status.FAILED,
        reopened=OutboundMessage.Status.QUEUED,
        stuck=message_stuck,
        refused=lambda message: not message.sealed_context,
        record=record,
        wake=lambda message: enqueue_on_commit(message_task(message), message.pk),
    )

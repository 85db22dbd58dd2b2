"""The mandate signed: with a one-time code sent by SMS or e-mail (then
sealed by Paraph, the code's verification kept as evidence), or with the
eID card in the card's one flow (prepared, then checked, finished and
recorded in one service)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import CodeChannel, CodePurpose, Person
from paraph.accounts.services import (
    CodeCheck,
    CodeOutcome,
    CodeResend,
    ResendOutcome,
    code_issue,
    code_resend,
    code_verify,
    code_would_match,
)
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.storage import files_removed_on_failure
from paraph.mandates.models import Mandate, MandateSignMethod, MandateStatus
from paraph.mandates.selectors import mandate_pdf_checked
from paraph.mandates.services.common import MandateError, mandate_locked, mandate_refreshed
from paraph.signing.exceptions import SigningError
from paraph.signing.services import (
    EidSigningRequest,
    eid_signature_complete,
    eid_signature_prepare,
    eid_signature_record,
    seal_apply,
)

# --- Signing it with a one-time code ----------------------------------------------


def _destination(person: Person, channel: str) -> str:
    """The person's verified address or phone for ``channel``; refuses one
    not verified (a code never goes anywhere else)."""
    if channel == CodeChannel.EMAIL and person.email and person.email_verified_at:
        return person.email
    if channel == CodeChannel.SMS and person.phone and person.phone_verified_at:
        return person.phone
    if channel not in CodeChannel.values:
        raise ValueError(f"unknown code channel {channel!r}")
    raise MandateError(
        gettext("Your e-mail address is not verified: choose the SMS instead.")
        if channel == CodeChannel.EMAIL
        else gettext("Your mobile phone is not verified: choose the e-mail instead."),
        code="no_destination",
    )


def mandate_code_channels(person: Person) -> list[str]:
    """The channels a code to sign a mandate can use for ``person``."""
    channels = []
    for channel in (CodeChannel.SMS, CodeChannel.EMAIL):
        try:
            _destination(person, channel)
        except MandateError:
            continue
        channels.append(str(channel))
    return channels


def _pending(mandate: Mandate) -> None:
    if mandate.status != MandateStatus.PENDING:
        raise MandateError(
            gettext("This mandate is no longer waiting for a signature. Start again."),
            code="state",
        )


def mandate_code_send(*, mandate: Mandate, channel: str, context: Context = SYSTEM) -> str:
    """Send a one-time code to sign ``mandate`` by ``channel`` (``sms`` or
    ``email``, the person's choice), only to their verified phone or
    address. Returns the attempt's binding token: keep it in the session
    (the code works only there). Raises :class:`MandateError` and
    ``CodeRateLimited`` (too many codes to that destination)."""
    _pending(mandate)
    person = mandate.person
    destination = _destination(person, channel)
    _code, token = code_issue(
        purpose=CodePurpose.MANDATE_SIGN,
        channel=channel,
        destination=destination,
        person=person,
        language=person.language,
        context=context,
        audit_name="mandates.mandate.code_sent",
    )
    return token


def mandate_code_resend(
    *,
    mandate: Mandate,
    binding_token: str,
    channel: str,
    context: Context = SYSTEM,
) -> CodeResend:
    """A new code for the same attempt (cool-down and limits of
    ``code_resend``); the previous code stops working."""
    if mandate.status != MandateStatus.PENDING:
        return CodeResend(ResendOutcome.USED)
    try:
        destination = _destination(mandate.person, channel)
    except MandateError:
        return CodeResend(ResendOutcome.UNKNOWN)
    return code_resend(
        binding_token=binding_token,
        purpose=CodePurpose.MANDATE_SIGN,
        destination=destination,
        language=mandate.person.language,
        context=context,
        audit_name="mandates.mandate.code_sent",
    )


def _signed(
    locked: Mandate,
    *,
    method: str,
    pdf: bytes,
    at: datetime,
    evidence: dict[str, Any],
    signed_key: str,
    context: Context,
    written: list[str],
) -> None:
    """Record ``locked`` as signed by ``method`` with its signed (or sealed)
    ``pdf`` (stored, its name appended to ``written``: removed if the
    transaction fails) and the ``evidence``, completed with the address,
    the browser and both hashes (the signed one under ``signed_key``); one
    audit event."""
    locked.status = MandateStatus.SIGNED
    locked.signed_with = method
    locked.signed_pdf.save("signed.pdf", ContentFile(pdf), save=False)
    written.append(locked.signed_pdf.name)
    locked.signed_sha256 = hashlib.sha256(pdf).hexdigest()
    locked.signed_at = at
    locked.evidence = {
        "method": str(method),
        **evidence,
        "ip": context.ip,
        "user_agent": context.user_agent,
        "document_sha256": locked.document_sha256,
        signed_key: locked.signed_sha256,
    }
    locked.save(
        update_fields=[
            "status",
            "signed_with",
            "signed_pdf",
            "signed_sha256",
            "signed_at",
            "evidence",
        ]
    )
    audit_record(
        name="mandates.mandate.signed",
        actor=locked.person,
        subject=locked,
        data={"reference": locked.reference, **locked.evidence},
        context=context,
    )


def mandate_sign_with_code(
    *, mandate: Mandate, binding_token: str, value: str, context: Context = SYSTEM
) -> CodeCheck:
    """Check the code the person typed; when it is right, the mandate PDF is
    sealed by Paraph, the verification recorded as evidence (channel,
    masked destination, times, IP address, browser) and the mandate is
    ``signed``. Returns the code check: only ``ok`` changed the mandate. A
    code of another session, another person or another purpose is
    ``unknown``. Raises :class:`MandateError` (``state``, ``unavailable``:
    nothing changed, the code still works).

    The seal (a signature with a time-stamp: an outside service) is made
    before the transaction that uses the code and signs the mandate, never
    inside it, when the code looks right; the transaction then decides, as
    for any code (a code used meanwhile, or wrong after all, leaves the
    seal unused)."""
    _pending(mandate)
    sealed: bytes | None = None
    if code_would_match(
        binding_token=binding_token,
        purpose=CodePurpose.MANDATE_SIGN,
        value=value,
        person_id=mandate.person_id,
    ):
        try:
            sealed = seal_apply(
                document=mandate_pdf_checked(mandate, signed=False),
                document_ref=f"mandate:{mandate.reference}",
                language=mandate.language,
                context=context,
            )
        except SigningError as exc:
            raise MandateError(
                gettext(
                    "Paraph could not seal your mandate just now. Your code still works: "
                    "try again in a minute."
                ),
                code="unavailable",
            ) from exc
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        locked = mandate_locked(mandate)
        _pending(locked)
        check = code_verify(
            binding_token=binding_token,
            purpose=CodePurpose.MANDATE_SIGN,
            value=value,
            context=context,
        )
        code = check.code
        if check.outcome == CodeOutcome.OK and (code is None or code.person_id != locked.person_id):
            check = CodeCheck(CodeOutcome.UNKNOWN, 0)
        if check.outcome != CodeOutcome.OK or code is None:
            audit_record(
                name="mandates.mandate.code_failed",
                actor=locked.person,
                subject=locked,
                data={"outcome": str(check.outcome), "tries_left": check.tries_left},
                context=context,
            )
            return check
        if sealed is None:
            # Right now, not a moment ago (a new code sent in between): the
            # code is left unused (the transaction is undone) and the person
            # tries again, which seals first.
            raise MandateError(
                gettext(
                    "Paraph could not seal your mandate just now. Your code still works: "
                    "try again in a minute."
                ),
                code="unavailable",
            )
        now = timezone.now()
        method = (
            MandateSignMethod.SMS_CODE
            if code.channel == CodeChannel.SMS
            else MandateSignMethod.EMAIL_CODE
        )
        _signed(
            locked,
            method=method,
            pdf=sealed,
            at=now,
            evidence={
                "channel": code.channel,
                "to": code.destination_masked,
                "code_sent_at": code.last_sent_at.isoformat(),
                "verified_at": now.isoformat(),
            },
            signed_key="sealed_sha256",
            context=context,
            written=written,
        )
    mandate_refreshed(mandate, locked)
    return check


# --- Signing it with the eID card ---------------------------------------------------


def _eid_ref(mandate: Mandate) -> str:
    return f"mandate:{mandate.reference}"


def mandate_eid_prepare(
    *, mandate: Mandate, certificate: bytes, context: Context = SYSTEM
) -> EidSigningRequest:
    """Step 1 of signing ``mandate`` with the eID card: the card's signing
    certificate checked for the person (``CertificateRejected``: not
    theirs, expired, revoked, no signing certificate...) and the hash the
    card must sign. Refuses (``state``) a mandate not pending."""
    _pending(mandate)
    return eid_signature_prepare(
        person=mandate.person,
        document=mandate_pdf_checked(mandate, signed=False),
        document_ref=_eid_ref(mandate),
        certificate=certificate,
        context=context,
    )


def mandate_sign_with_eid(
    *,
    mandate: Mandate,
    prepared_id: str,
    signature_value: bytes,
    evidence: dict[str, Any] | None = None,
    context: Context = SYSTEM,
) -> Mandate:
    """Step 2: the card's signature put in the mandate PDF; the mandate is
    ``signed`` (method ``eid``), ``evidence`` (the certificate checked)
    kept with the IP address and browser. The signed PDF is made outside
    any transaction (the time-stamp authority and OCSP answer then); the
    mandate signed, the prepared signature used up and the audit events
    happen in one transaction, or none. Raises what
    ``eid_signature_complete`` raises (nothing changes then) and
    :class:`MandateError` ``state``."""
    _pending(mandate)
    signed = eid_signature_complete(
        person=mandate.person,
        prepared_id=prepared_id,
        document_ref=_eid_ref(mandate),
        signature_value=signature_value,
    )
    with files_removed_on_failure(default_storage) as written, transaction.atomic():
        locked = mandate_locked(mandate)
        _pending(locked)
        eid_signature_record(
            person=locked.person,
            prepared_id=prepared_id,
            document_ref=_eid_ref(locked),
            signed=signed,
            context=context,
        )
        now = timezone.now()
        _signed(
            locked,
            method=MandateSignMethod.EID,
            pdf=signed,
            at=now,
            evidence={
                **(evidence or {}),
                "prepared_id": prepared_id,
                "signed_at": now.isoformat(),
            },
            signed_key="signed_sha256",
            context=context,
            written=written,
        )
    return mandate_refreshed(mandate, locked)

"""Every write about contracts: one function per transition, each in one
transaction with the contract's row locked, writing one
:class:`~paraph.contracts.models.ContractEvent` (the evidence) and one audit
event, and telling the sender's webhooks once the transaction commits.

The states (FLOWS.md, "Contract"; docs/contracts.md)::

    created ─send─▶ sent ─open─▶ opened ─sign─▶ signed
    created | sent | opened ─revoke─▶ revoked          (sender; until signed)
    created | sent | opened ─deadline─▶ not_signed     (archived, sender told)
    sent | opened ─refuse─▶ refused                    (the recipient declines)
    created | sent | opened ─re-offer─▶ superseded     (a new version is sent)

What the adminbox calls, in order: :func:`access_link_resolve` and
:func:`access_link_use` (the links of the e-mail), :func:`contract_open`
when the person views the contract, :func:`contract_check_signable` and
:func:`contract_signing_input` before asking the signing engine for a
signature, and :func:`contract_sign_record` with the signed PDF it returns.
:func:`recipient_alias_add` and :func:`contracts_move` serve the merging of
two adminboxes (ES-12).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from paraph.accounts.models import (
    AssuranceLevel,
    Language,
    NotificationChannel,
    Person,
    RegistrationMethod,
)
from paraph.audit.services import audit_record
from paraph.contracts.documents import contract_document_read
from paraph.contracts.inputs import BRUSSELS, ContractIn
from paraph.contracts.models import (
    SIGNABLE,
    TRANSITIONS,
    AccessLink,
    BatchStatus,
    BulkBatch,
    BulkItem,
    BulkItemStatus,
    Contract,
    ContractEvent,
    ContractStatus,
    LinkPurpose,
    RecipientAlias,
    SigningMethod,
)
from paraph.contracts.selectors import adminbox_is_active, recipient_find
from paraph.core.belgium import national_number_normalize, phone_normalize
from paraph.core.http import client_ip, user_agent
from paraph.core.moments import utc_iso
from paraph.core.outbox import enqueue_on_commit, enqueue_safely, lease_until, resource_created
from paraph.core.ratelimit import ratelimit_hit
from paraph.core.storage import DocumentUnavailable
from paraph.notifications.models import SmsPurpose
from paraph.notifications.services import (
    SmsNotAllowed,
    email_send,
    sms_check_allowed,
    sms_send,
)
from paraph.senders.models import ApiKey, Sender, WebhookEvent
from paraph.senders.services import webhook_event_emit
from paraph.signing import engine
from paraph.signing.exceptions import DocumentRejected, SigningError

logger = logging.getLogger(__name__)

# The empty signature field Paraph's seal prepares for the recipient.
SIGNATURE_FIELD = "Paraph-Recipient"
_LINK_SALT = "paraph.contracts.AccessLink"

# Which webhook a transition sends.
_WEBHOOKS = {
    ContractStatus.SENT: WebhookEvent.CONTRACT_SENT,
    ContractStatus.OPENED: WebhookEvent.CONTRACT_OPENED,
    ContractStatus.SIGNED: WebhookEvent.CONTRACT_SIGNED,
    ContractStatus.REFUSED: WebhookEvent.CONTRACT_REFUSED,
    ContractStatus.NOT_SIGNED: WebhookEvent.CONTRACT_EXPIRED,
    ContractStatus.REVOKED: WebhookEvent.CONTRACT_REVOKED,
}
# The audit event and the evidence event of each transition.
_NAMES = {
    ContractStatus.SENT: ("contracts.contract.sent", "sent"),
    ContractStatus.OPENED: ("contracts.contract.opened", "opened"),
    ContractStatus.SIGNED: ("contracts.contract.signed", "signed"),
    ContractStatus.REFUSED: ("contracts.contract.refused", "refused"),
    ContractStatus.REVOKED: ("contracts.contract.revoked", "revoked"),
    ContractStatus.NOT_SIGNED: ("contracts.contract.expired", "expired"),
    ContractStatus.SUPERSEDED: ("contracts.contract.superseded", "superseded"),
}
# Closed contracts the sender may still re-offer as a new version: the old
# one keeps its status (what happened to it stays true) and points to it.
REOFFERABLE_CLOSED = frozenset({ContractStatus.REFUSED, ContractStatus.NOT_SIGNED})
# The transitions whose webhook carries the reason given (``data.reason``).
_WEBHOOK_REASONS = frozenset({ContractStatus.REFUSED, ContractStatus.REVOKED})


# --- Errors -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, named as in the API's JSON
    (``recipient.phone``, ``pdf``, ``signature.box``)."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class ContractError(Exception):
    """A refused request; ``code`` is stable (for programs and tests), the
    message is for people."""

    code = "contract_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ContractInvalid(ContractError):
    """The request's data is wrong: ``errors`` lists every problem found.
    Nothing was written."""

    code = "invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class ContractStateError(ContractError):
    """The contract's state does not allow this (``already_signed``,
    ``final``, ``not_sent``...); nothing changed."""

    code = "state"


class ContractNotSignable(ContractStateError):
    """The recipient cannot sign this contract (now): ``already_signed``,
    ``deadline_passed``, ``revoked``, ``superseded``, ``not_signed``,
    ``refused``, ``not_sent``, ``wrong_person``, ``other_national_number``."""

    code = "not_signable"


class ContractAccessDenied(ContractError):
    """The person is not this contract's recipient (show a 404)."""

    code = "not_found"


class ContractUnavailable(ContractError):
    """A service Paraph needs (its seal, the time-stamp authority) did not
    answer; nothing was written, try again later."""

    code = "unavailable"


class AccessLinkInvalid(ContractError):
    """A link that is ``unknown``, ``expired``, ``used`` (an activation link
    works once), ``merged`` (an activation link of a merged adminbox) or for
    another ``purpose``."""

    code = "link_invalid"


# --- Inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientData:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    national_number: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class SignaturePlacement:
    """``page`` counts from 1 (None: the last page); ``box`` in PDF points."""

    page: int | None = None
    box: tuple[float, float, float, float] | None = None

    def engine_placement(self) -> engine.Placement:
        return engine.Placement(
            page=self.page - 1 if self.page else -1,
            box=tuple(self.box) if self.box else None,  # type: ignore[arg-type]
        )


@dataclass
class ContractData:
    """What :func:`contract_create` needs, parsed from a :class:`ContractIn`."""

    title: str
    recipient: RecipientData
    start_of_work: dt.datetime
    deadline: dt.datetime | None = None
    placement: SignaturePlacement | None = None
    external_reference: str = ""
    errors: list[FieldError] = field(default_factory=list)

    @classmethod
    def from_input(cls, data: ContractIn) -> ContractData:
        r = data.recipient
        return cls(
            title=data.title,
            recipient=RecipientData(
                first_name=r.first_name,
                last_name=r.last_name,
                email=r.email,
                phone=r.phone,
                national_number=r.national_number or None,
                language=r.language,
            ),
            start_of_work=data.start_of_work,
            deadline=data.signing_deadline,
            placement=SignaturePlacement(page=data.signature.page, box=data.signature.box)
            if data.signature
            else None,
            external_reference=data.external_reference,
        )


def pdf_from_base64(value: str, *, field_name: str = "pdf_base64") -> bytes:
    """The bytes of a base64 PDF, or :class:`ContractInvalid`."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ContractInvalid(
            [FieldError(field_name, "base64", gettext("This is not valid base64."))]
        ) from exc


# --- Small helpers --------------------------------------------------------------------


def _actor_label(actor: Person | None, api_key: ApiKey | None) -> str:
    if actor is not None:
        return str(actor)[:200]
    if api_key is not None:
        return f"API key {api_key.display_prefix} ({api_key.name})"[:200]
    return "Paraph"


def _event(
    contract: Contract,
    name: str,
    *,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
) -> ContractEvent:
    return ContractEvent.objects.create(
        contract=contract,
        name=name,
        actor=actor,
        actor_label=_actor_label(actor, api_key),
        ip=client_ip(request),
        user_agent=user_agent(request),
        data=data or {},
    )


def _audit(
    name: str,
    contract: Contract,
    *,
    actor: Person | None,
    api_key: ApiKey | None,
    request: HttpRequest | None,
    data: dict[str, Any] | None = None,
) -> None:
    audit_record(
        name=name,
        actor=actor,
        subject=contract,
        data={"contract": str(contract.public_id), "sender": contract.sender_id, **(data or {})},
        request=request,
        actor_label=_actor_label(actor, api_key) if actor is None else "",
    )


def contract_webhook_data(contract: Contract) -> dict[str, Any]:
    """What a webhook says about a contract (never the documents)."""
    return {
        "contract": {
            "id": str(contract.public_id),
            "status": contract.status,
            "title": contract.title,
            "version": contract.version,
            "external_reference": contract.external_reference,
            "recipient_email": contract.recipient_email,
            "signing_deadline": utc_iso(contract.deadline),
            "signed_at": utc_iso(contract.signed_at),
            "signed_sha256": contract.signed_sha256 or None,
            "signing_method": contract.signing_method or None,
        }
    }


def _lock(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().select_related("sender").get(pk=contract.pk)


def _transition(
    contract: Contract,
    new: str,
    *,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
    extra_fields: tuple[str, ...] = (),
) -> Contract:
    """Move a locked ``contract`` to ``new``: the row, one evidence event,
    one audit event and the webhook, in the caller's transaction. Refuses a
    move FLOWS.md does not allow (:class:`ContractStateError`)."""
    old = contract.status
    if new not in TRANSITIONS.get(old, frozenset()):
        raise ContractStateError(
            f"a {old} contract cannot become {new}",
            code="already_signed" if old == ContractStatus.SIGNED else "final",
        )
    now = timezone.now()
    contract.status = new
    contract.status_changed_at = now
    fields = ["status", "status_changed_at", *extra_fields]
    stamp = {
        ContractStatus.SENT: "sent_at",
        ContractStatus.OPENED: "opened_at",
        ContractStatus.SIGNED: "signed_at",
    }.get(ContractStatus(new))
    if stamp:
        setattr(contract, stamp, now)
        fields.append(stamp)
    if new in (
        ContractStatus.SIGNED,
        ContractStatus.REFUSED,
        ContractStatus.REVOKED,
        ContractStatus.NOT_SIGNED,
        ContractStatus.SUPERSEDED,
    ):
        contract.closed_at = now
        fields.append("closed_at")
    contract.save(update_fields=fields)
    audit_name, event_name = _NAMES[ContractStatus(new)]
    details = {"from": old, **(data or {})}
    _event(contract, event_name, actor=actor, api_key=api_key, request=request, data=details)
    _audit(audit_name, contract, actor=actor, api_key=api_key, request=request, data=details)
    webhook = _WEBHOOKS.get(ContractStatus(new))
    if webhook is not None:
        payload = contract_webhook_data(contract)
        if new in _WEBHOOK_REASONS:
            payload["reason"] = details.get("reason", "")
        webhook_event_emit(sender_id=contract.sender_id, event=webhook, data=payload)
    return contract


@contextmanager
def _files_removed_on_failure() -> Iterator[list[str]]:
    """Files written in the block are deleted when it fails: a contract is
    stored whole, or not at all."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                default_storage.delete(name)
            # An object store raises its own errors, not OSError.
            except Exception:  # pragma: no cover - logged, the error that matters is re-raised
                logger.exception("could not remove %s after a failed write", name)
        raise


def _save_file(
    contract: Contract, field_name: str, name: str, data: bytes, written: list[str]
) -> None:
    getattr(contract, field_name).save(name, ContentFile(data), save=False)
    written.append(getattr(contract, field_name).name)


# --- Checking a contract's data ------------------------------------------------------


_PDF_MESSAGES = {
    "empty": lambda: gettext("The file is empty."),
    "not_pdf": lambda: gettext("The file is not a PDF."),
    "truncated": lambda: gettext(
        "The PDF is incomplete (it was cut off while being copied or uploaded)."
    ),
    "damaged": lambda: gettext("The PDF is damaged and cannot be read."),
    "encrypted": lambda: gettext(
        "The PDF is protected by a password or encrypted: upload an unprotected copy."
    ),
    "locked": lambda: gettext(
        "The PDF is certified by its author with “no changes allowed”: it cannot be signed. "
        "Ask its author for a copy that is not certified."
    ),
    "certified": lambda: gettext(
        "The PDF is certified by its author, which forbids adding the recipient's signature "
        "field. Ask its author for a copy that is not certified."
    ),
    "field_name": lambda: gettext(
        "The PDF already has a signature field with the name Paraph needs. Print it to a new "
        "PDF and upload that copy."
    ),
    "already_signed": lambda: gettext(
        "The PDF already carries a signature: send the document before anyone signs it."
    ),
    "placement": lambda: gettext(
        "The signature cannot go there: the page does not exist or the box is outside the page."
    ),
    "page_tree": lambda: gettext(
        "The PDF's list of pages is broken (a page is missing, listed twice or not counted). "
        "Print it to a new PDF and upload that copy."
    ),
    "malformed": lambda: gettext(
        "The PDF does not follow the PDF standard (it refers to parts it does not contain): "
        "its signatures could not be checked reliably. Print it to a new PDF and upload "
        "that copy."
    ),
    "unverifiable": lambda: gettext(
        "Paraph's seal on this PDF could not be checked afterwards, so nothing was sent. "
        "Print it to a new PDF and upload that copy."
    ),
}


def _too_large(size: int) -> FieldError:
    limit = settings.SIGNING_MAX_PDF_BYTES
    return FieldError(
        "pdf",
        "too_large",
        gettext("The file is %(size).1f MB; the limit is %(limit).0f MB.")
        % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024},
    )


def _pdf_error(exc: DocumentRejected, size: int) -> ContractInvalid:
    if exc.code == "too_large":
        return ContractInvalid([_too_large(size)])
    message = _PDF_MESSAGES.get(exc.code, _PDF_MESSAGES["damaged"])()
    field_name = "signature" if exc.code == "placement" else "pdf"
    return ContractInvalid([FieldError(field_name, exc.code, message)])


def _text_fields_check(
    *,
    title: Any,
    first_name: Any,
    last_name: Any,
    email: Any,
    phone: Any,
    national_number: Any,
) -> tuple[str, str, str | None, list[FieldError]]:
    """The e-mail address, phone (E.164) and national number normalised, and
    the problems of the contract's text fields. A value that is not text is
    left to the caller (the model of the request says what is wrong)."""
    errors: list[FieldError] = []
    clean_email = ""
    if isinstance(email, str):
        clean_email = Person.objects.normalize_email(email.strip())
        try:
            validate_email(clean_email)
        except ValidationError:
            errors.append(
                FieldError(
                    "recipient.email",
                    "invalid",
                    gettext("Enter an e-mail address like name@example.be."),
                )
            )
    clean_phone = ""
    if isinstance(phone, str):
        try:
            clean_phone = phone_normalize(phone)
        except ValidationError as exc:
            errors.append(
                FieldError("recipient.phone", exc.code or "invalid", str(exc.messages[0]))
            )
    clean_number = None
    if isinstance(national_number, str) and national_number:
        try:
            clean_number = national_number_normalize(national_number)
        except ValidationError as exc:
            errors.append(
                FieldError("recipient.national_number", exc.code or "invalid", str(exc.messages[0]))
            )
    for name, value, message in (
        ("title", title, gettext("Give the contract a title.")),
        ("recipient.first_name", first_name, gettext("Give the recipient's first name.")),
        ("recipient.last_name", last_name, gettext("Give the recipient's last name.")),
    ):
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(FieldError(name, "required", message))
    return clean_email, clean_phone, clean_number, errors


def contract_body_problems(body: Any) -> list[FieldError]:
    """The problems of a request's text fields that its model did not
    accept (another field had the wrong type, or was missing): reported
    with the model's, so a sender sees every error at once."""
    if not isinstance(body, dict):
        return []
    recipient = body.get("recipient")
    recipient = recipient if isinstance(recipient, dict) else {}
    return _text_fields_check(
        title=body.get("title"),
        first_name=recipient.get("first_name"),
        last_name=recipient.get("last_name"),
        email=recipient.get("email"),
        phone=recipient.get("phone"),
        national_number=recipient.get("national_number"),
    )[3]


def _check_fields(
    data: ContractData, *, now: dt.datetime
) -> tuple[RecipientData, dt.datetime, dt.datetime, list[FieldError]]:
    """The recipient's data normalised, the start of work and the deadline
    (time-zone aware), and every problem."""
    errors = list(data.errors)
    r = data.recipient
    email, phone, national_number, text_errors = _text_fields_check(
        title=data.title,
        first_name=r.first_name,
        last_name=r.last_name,
        email=r.email,
        phone=r.phone,
        national_number=r.national_number,
    )
    errors.extend(text_errors)
    if data.placement is not None and data.placement.box is not None:
        try:
            data.placement.engine_placement()
        except ValueError:
            errors.append(
                FieldError(
                    "signature.box",
                    "too_small",
                    gettext("The signature box must be at least %(w)d x %(h)d points.")
                    % {"w": engine.MIN_BOX_WIDTH, "h": engine.MIN_BOX_HEIGHT},
                )
            )
    start = data.start_of_work
    if start.tzinfo is None:
        start = start.replace(tzinfo=BRUSSELS)
    deadline = data.deadline or start
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=BRUSSELS)
    if deadline <= now:
        errors.append(
            FieldError(
                "signing_deadline" if data.deadline else "start_of_work",
                "past",
                gettext("The signing deadline has already passed: choose a later moment."),
            )
        )
    elif deadline > start:
        errors.append(
            FieldError(
                "signing_deadline",
                "after_start",
                gettext(
                    "The contract must be signed before work starts: the deadline cannot be "
                    "after the start of work."
                ),
            )
        )
    language = r.language if r.language in Language.values else None
    clean = RecipientData(
        first_name=r.first_name.strip(),
        last_name=r.last_name.strip(),
        email=email,
        phone=phone,
        national_number=national_number,
        language=language,
    )
    return clean, start, deadline, errors


def _recipient_conflicts(
    recipient: RecipientData, *, sender: Sender
) -> tuple[Person | None, list[FieldError]]:
    """The person the contract reaches (None: a new one) and RG-3's refusals:
    an e-mail address is strictly personal, so a national number that
    belongs to someone with another address, or an address whose person has
    another national number, is refused.

    Only to a sender that already sent a contract to that person (issue 14):
    to any other, the refusal would tell whether a national number or an
    address belongs to someone. Their contract is made as for an unknown
    number, and RG-3 holds when signing: a person whose national number is
    not the contract's cannot sign it (:func:`_not_signable_reason`)."""
    person = recipient_find(email=recipient.email)
    nn = recipient.national_number
    if not nn:
        return person, []

    def knows(someone: Person) -> bool:
        return Contract.objects.filter(sender=sender, recipient=someone).exists()

    holder = Person.objects.filter(national_number=nn).first()
    if holder is not None and (person is None or holder.pk != person.pk) and knows(holder):
        return person, [
            FieldError(
                "recipient.national_number",
                "belongs_to_another_address",
                gettext(
                    "This national register number belongs to a person registered with "
                    "another e-mail address. An e-mail address is strictly personal: send the "
                    "contract to that person's own address."
                ),
            )
        ]
    if (
        person is not None
        and person.national_number
        and person.national_number != nn
        and knows(person)
    ):
        return person, [
            FieldError(
                "recipient.email",
                "belongs_to_another_person",
                gettext(
                    "This e-mail address belongs to a person with another national register "
                    "number. An e-mail address is strictly personal: check the address."
                ),
            )
        ]
    return person, []


def _recipient_get_or_create(
    recipient: RecipientData, *, sender: Sender, request: HttpRequest | None
) -> tuple[Person, bool]:
    """The recipient, created when the address is new to Paraph: names,
    e-mail and phone from the contract, nothing verified yet (activating the
    adminbox proves them, ES-4). In the caller's transaction."""
    person, errors = _recipient_conflicts(recipient, sender=sender)
    if errors:
        raise ContractInvalid(errors)
    if person is not None:
        return person, False
    phone = recipient.phone
    if phone and Person.objects.filter(phone=phone).exists():
        # Someone else's phone: the contract keeps it, the new person does not
        # (activation asks this person for their own, and verifies it).
        phone = ""

    def create(phone: str) -> Person:
        with transaction.atomic():
            return Person.objects.create_user(
                recipient.email,
                first_name=recipient.first_name,
                last_name=recipient.last_name,
                phone=phone,
                language=recipient.language or settings.LANGUAGE_CODE,
                assurance_level=AssuranceLevel.NONE,
                registration_method=RegistrationMethod.ADMINBOX,
            )

    try:
        person = create(phone)
    except IntegrityError:
        # Another request (or worker of the same batch) created this person
        # a moment ago; or gave this phone to someone else: as above.
        found = recipient_find(email=recipient.email)
        if found is not None:
            return found, False
        if not phone:
            raise
        phone = ""
        person = create(phone)
    audit_record(
        name="contracts.recipient.created",
        subject=person,
        data={"registration_method": RegistrationMethod.ADMINBOX, "has_phone": bool(phone)},
        request=request,
    )
    return person, True


def _document_prepare(
    *, pdf: bytes, placement: SignaturePlacement | None, language: str, ref: str
) -> tuple[bytes, bool, str]:
    """The document the recipient will sign: by default ``pdf`` certified by
    Paraph's seal with an empty signature field for the recipient at the
    sender's placement (any later change to the document then shows in
    every validator); the PDF itself when ``CONTRACT_SEAL`` is off. Either
    way the signing engine reads it first: a damaged, encrypted, truncated
    or oversized file, a broken page tree or a file that only a lenient
    reader reads is refused here, with a precise reason; so is a sealed
    document that Paraph's own validator does not accept."""
    if not pdf:
        raise ContractInvalid([FieldError("pdf", "empty", _PDF_MESSAGES["empty"]())])
    if len(pdf) > settings.SIGNING_MAX_PDF_BYTES:
        raise ContractInvalid([_too_large(len(pdf))])
    from paraph.signing.services import seal_apply

    where = (placement or SignaturePlacement()).engine_placement()
    try:
        engine.check_readable(pdf, max_bytes=settings.SIGNING_MAX_PDF_BYTES)
        if settings.CONTRACT_SEAL:
            state = engine.signing_state(pdf, max_bytes=settings.SIGNING_MAX_PDF_BYTES)
            field = _free_field_name(SIGNATURE_FIELD, state.field_names)
            sealed = seal_apply(
                document=pdf,
                document_ref=ref,
                # a certification must be the first signature: on a PDF the
                # sender had signed already, the seal is an approval signature
                certify=state.signatures == 0,
                language=language,
                slots=(engine.SignatureSlot(field_name=field, placement=where),),
            )
            _sealed_check(sealed, ref=ref)
            return sealed, True, field
        return pdf, False, ""
    except DocumentRejected as exc:
        raise _pdf_error(exc, len(pdf)) from exc
    except SigningError as exc:
        logger.warning("contract %s: the seal could not be applied: %s", ref, exc)
        raise ContractUnavailable(
            gettext(
                "Paraph's seal is unavailable for a moment. Nothing was sent: try again later."
            ),
            code="seal_unavailable",
        ) from exc


def _free_field_name(wanted: str, taken: frozenset[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… when the PDF already has a
    field of that name."""
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    return name


def _sealed_check(sealed: bytes, *, ref: str) -> None:
    """Refuse a sealed document that Paraph's validator (as the reports
    use it) does not read strictly and find valid: its report would fail
    once the recipient signed. A seal that is intact but not trusted is
    Paraph's configuration, not the sender's PDF (:class:`SigningError`)."""
    from paraph.signing.selectors import signature_report

    report = signature_report(sealed)
    # The seal is the newest signature (document time-stamps may follow it);
    # signatures the sender's PDF carried before must stay intact, whoever
    # made them (a certificate Paraph does not know is the sender's affair,
    # not a broken document).
    entries = list(report.signatures)
    at = max((n for n, e in enumerate(entries) if e.kind == "signature"), default=None)
    seal = entries[at] if at is not None else None
    earlier = entries[:at] if at is not None else []
    later = entries[at + 1 :] if at is not None else []
    if (
        seal is not None
        and seal.valid
        and all(e.valid for e in later)
        and not report.notes
        and all(e.intact and e.changes_allowed is not False for e in earlier)
    ):
        return
    problems = [p for s in report.signatures for p in s.problems]
    logger.warning("contract %s: the sealed document does not validate: %s", ref, problems)
    if report.notes or seal is None or any(not s.intact for s in report.signatures):
        raise ContractInvalid([FieldError("pdf", "unverifiable", _PDF_MESSAGES["unverifiable"]())])
    if any(s.changes_allowed is False for s in earlier):
        raise ContractInvalid([FieldError("pdf", "certified", _PDF_MESSAGES["certified"]())])
    raise SigningError(f"Paraph's validator does not accept its own seal: {problems}")


# --- Access links ----------------------------------------------------------------


def _link_hash(token: str) -> str:
    return salted_hmac(_LINK_SALT, token, algorithm="sha256").hexdigest()


def access_link_url(purpose: str, token: str) -> str:
    """The full address of a link sent by e-mail, under ``BASE_URL``."""
    name = {
        LinkPurpose.ACTIVATE: "adminbox:activate",
        LinkPurpose.OPEN_CONTRACT: "adminbox:contract_link",
    }[LinkPurpose(purpose)]
    return f"{settings.BASE_URL}{reverse(name, args=[token])}"


def link_create(
    *,
    person: Person,
    purpose: str,
    contract: Contract | None,
    expires_at: dt.datetime,
    other_person: Person | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    AccessLink.objects.create(
        token_hash=_link_hash(token),
        purpose=purpose,
        person=person,
        contract=contract,
        other_person=other_person,
        expires_at=expires_at,
    )
    return token


def access_link_create(*, person: Person, purpose: str, contract: Contract | None = None) -> str:
    """A new link token for ``person`` (e.g. to send an activation link
    again); valid ``CONTRACT_LINK_DAYS``. The token itself is never stored."""
    if purpose not in LinkPurpose.values:
        raise ValueError(f"unknown link purpose {purpose!r}")
    if purpose == LinkPurpose.OPEN_CONTRACT and contract is None:
        raise ValueError("a contract link needs its contract")
    expires_at = timezone.now() + dt.timedelta(days=settings.CONTRACT_LINK_DAYS)
    with transaction.atomic():
        return link_create(person=person, purpose=purpose, contract=contract, expires_at=expires_at)


def access_link_resolve(*, token: str, purpose: str) -> AccessLink:
    """The link ``token`` names, for ``purpose``; raises
    :class:`AccessLinkInvalid` (``unknown``, ``merged``: an activation link
    of an adminbox since merged into another, ``expired``, ``used``) — the
    adminbox shows each with its own words. Changes nothing."""
    if not token or len(token) > 100:
        raise AccessLinkInvalid("unknown link", code="unknown")
    link = (
        AccessLink.objects.select_related("person", "contract")
        .filter(token_hash=_link_hash(token), purpose=purpose)
        .first()
    )
    if link is None:
        raise AccessLinkInvalid("unknown link", code="unknown")
    if purpose == LinkPurpose.ACTIVATE and link.other_person_id is not None:
        raise AccessLinkInvalid("this adminbox was merged into another", code="merged")
    if link.single_use and link.used_at is not None:
        raise AccessLinkInvalid("this link was already used", code="used")
    if timezone.now() >= link.expires_at:
        raise AccessLinkInvalid("this link has expired", code="expired")
    return link


def access_link_use(*, link: AccessLink, request: HttpRequest | None = None) -> AccessLink:
    """Record that ``link`` was followed (an activation link then stops
    working). Raises :class:`AccessLinkInvalid` ``used`` when a second
    request used the same activation link a moment before."""
    with transaction.atomic():
        locked = AccessLink.objects.select_for_update().get(pk=link.pk)
        if locked.single_use and locked.used_at is not None:
            raise AccessLinkInvalid("this link was already used", code="used")
        now = timezone.now()
        fields = ["use_count"]
        if locked.used_at is None:
            locked.used_at = now
            fields.append("used_at")
        locked.use_count += 1
        locked.save(update_fields=fields)
        if locked.contract_id is not None:
            _event(
                locked.contract,  # type: ignore[arg-type]
                "link_used",
                actor=locked.person,
                request=request,
                data={"purpose": locked.purpose},
            )
        audit_record(
            name="contracts.link.used",
            actor=locked.person,
            subject=locked.contract or locked.person,
            data={"purpose": locked.purpose, "times": locked.use_count},
            request=request,
        )
    return locked


# Short links (ES-9): 10 characters of a 32-letter alphabet without look-alikes
# (no 0/o, no 1/l), 50 bits. A short link is no credential: it leads to
# the contract page, which needs the person logged in; its route is rate-limited.
SHORT_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
SHORT_LENGTH = 10
# Per client address: follows in a window, and unknown codes in a longer one.
SHORT_RATE = (60, 600)
SHORT_FAILURE_RATE = (20, 3600)


class ShortLinkRateLimited(ContractError):
    """Too many short links followed (or guessed) from one address."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many short links followed", code="rate_limited")
        self.retry_after = retry_after


def short_link_url(code: str) -> str:
    return f"{settings.BASE_URL}{reverse('adminbox:short', args=[code])}"


def short_link_create(*, person: Person, contract: Contract, expires_at: dt.datetime) -> str:
    """A short link to ``contract`` for an SMS; only its HMAC is stored."""
    code = "".join(secrets.choice(SHORT_ALPHABET) for _ in range(SHORT_LENGTH))
    AccessLink.objects.create(
        token_hash=_link_hash(code),
        purpose=LinkPurpose.SHORT_CONTRACT,
        person=person,
        contract=contract,
        expires_at=expires_at,
    )
    return code


def short_link_follow(*, code: str, request: HttpRequest | None = None) -> AccessLink:
    """The short link ``code`` names, recorded as followed; raises
    :class:`ShortLinkRateLimited` when its client followed too many links,
    or guessed too many wrong ones, and :class:`AccessLinkInvalid` for an
    unknown or expired code."""
    ip = client_ip(request) or "unknown"
    limit, window = SHORT_RATE
    verdict = ratelimit_hit(scope="contracts.short.ip", key=ip, limit=limit, window_seconds=window)
    if not verdict.allowed:
        raise ShortLinkRateLimited(verdict.retry_after)
    code = (code or "").strip().lower()
    try:
        if len(code) != SHORT_LENGTH:
            raise AccessLinkInvalid("unknown link", code="unknown")
        link = access_link_resolve(token=code, purpose=LinkPurpose.SHORT_CONTRACT)
    except AccessLinkInvalid:
        limit, window = SHORT_FAILURE_RATE
        failures = ratelimit_hit(
            scope="contracts.short.fail", key=ip, limit=limit, window_seconds=window
        )
        if not failures.allowed:
            raise ShortLinkRateLimited(failures.retry_after) from None
        raise
    return access_link_use(link=link, request=request)


# --- Sending ---------------------------------------------------------------------------


def _format_moment(value: dt.datetime, language: str) -> str:
    with translation.override(language):
        local = timezone.localtime(value, BRUSSELS)
        return "{}, {}".format(
            formats.date_format(local, "DATE_FORMAT"), formats.time_format(local, "H:i")
        )


def _sms_announce(person: Person) -> bool:
    """Whether a new contract is announced to ``person`` by SMS (ES-9):
    their adminbox is active, they chose SMS, their phone is verified, and
    RG-7 allows a notification on it (they consented); otherwise by
    e-mail."""
    if person.notification_channel != NotificationChannel.SMS or not adminbox_is_active(person):
        return False
    try:
        sms_check_allowed(person=person, to=person.phone, purpose=SmsPurpose.NOTIFICATION)
    except SmsNotAllowed:
        return False
    return True


def _preferences_url() -> str:
    """Where a person identifies another address of theirs (ES-12)."""
    return f"{settings.BASE_URL}{reverse('adminbox:preferences')}"


def _send_locked(
    contract: Contract,
    *,
    actor: Person | None,
    api_key: ApiKey | None,
    request: HttpRequest | None,
) -> Contract:
    person = contract.recipient
    expires_at = timezone.now() + dt.timedelta(days=settings.CONTRACT_LINK_DAYS)
    language = person.language if person.language in Language.values else settings.LANGUAGE_CODE
    superseded = contract.supersedes_id is not None
    if _sms_announce(person):
        # ES-9: one SMS with a short link to the contract behind log-in.
        code = short_link_create(person=person, contract=contract, expires_at=expires_at)
        message = sms_send(
            to=person.phone,
            template="contract_new",
            context={
                "sender": contract.sender.name,
                "title": contract.title,
                "deadline": _format_moment(contract.deadline, language),
                "url": short_link_url(code),
                "new_version": superseded,
            },
            language=language,
            person=person,
            secret=True,
            purpose=SmsPurpose.NOTIFICATION,
        )
        return _transition(
            contract,
            ContractStatus.SENT,
            actor=actor,
            api_key=api_key,
            request=request,
            data={
                "to": person.phone,
                "channel": "sms",
                "links": [LinkPurpose.SHORT_CONTRACT.value],
                "message": message.pk,
            },
        )
    contract_token = link_create(
        person=person,
        purpose=LinkPurpose.OPEN_CONTRACT,
        contract=contract,
        expires_at=expires_at,
    )
    links = [LinkPurpose.OPEN_CONTRACT.value]
    activate_url = ""
    if not adminbox_is_active(person):
        # ES-3: the address has no active adminbox yet: one link activates it,
        # the other leads to the contract (through activation first, ES-4).
        activate_url = access_link_url(
            LinkPurpose.ACTIVATE,
            link_create(
                person=person,
                purpose=LinkPurpose.ACTIVATE,
                contract=contract,
                expires_at=expires_at,
            ),
        )
        links.insert(0, LinkPurpose.ACTIVATE.value)
    message = email_send(
        to=contract.recipient_email,
        template="contract_new",
        context={
            "name": contract.recipient_name,
            "sender": contract.sender.name,
            "title": contract.title,
            "deadline": _format_moment(contract.deadline, language),
            "activate_url": activate_url,
            "contract_url": access_link_url(LinkPurpose.OPEN_CONTRACT, contract_token),
            # A new address may be a second adminbox of someone (ES-12).
            "identify_url": _preferences_url() if activate_url else "",
            "new_version": superseded,
        },
        language=language,
        person=person,
        secret=True,  # the links are personal
    )
    return _transition(
        contract,
        ContractStatus.SENT,
        actor=actor,
        api_key=api_key,
        request=request,
        data={
            "to": contract.recipient_email,
            "channel": "email",
            "links": links,
            "message": message.pk,
        },
    )


def contract_send(
    *,
    contract: Contract,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
) -> Contract:
    """Send a created contract to its recipient: the e-mail (ES-2, ES-3)
    with the contract's link, and the activation link when the recipient's
    adminbox is not active yet. Refuses any other state."""
    with transaction.atomic():
        locked = _lock(contract)
        if locked.status != ContractStatus.CREATED:
            raise ContractStateError(
                f"a {locked.status} contract cannot be sent", code="not_created"
            )
        if locked.deadline_passed():
            raise ContractStateError(
                gettext("The signing deadline has passed: the contract can no longer be sent."),
                code="deadline_passed",
            )
        return _send_locked(locked, actor=actor, api_key=api_key, request=request)


# --- Creating ----------------------------------------------------------------------------


def contract_create(
    *,
    sender: Sender,
    data: ContractData,
    pdf: bytes,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    batch: BulkBatch | None = None,
    bulk_item: BulkItem | None = None,
    request: HttpRequest | None = None,
    send: bool = True,
    _supersedes: Contract | None = None,
) -> Contract:
    """A new contract from ``sender`` (by a staff member ``actor`` or an
    ``api_key``), sent at once unless ``send`` is False.

    Every problem with the data is reported at once
    (:class:`ContractInvalid`, nothing written): an invalid address, phone
    or national number; a deadline that passed or falls after the start of
    work (the law on temporary work: signed before work starts; the
    deadline defaults to the start of work); RG-3 (an e-mail address is
    strictly personal); a PDF that is not a readable, unprotected PDF of at
    most ``SIGNING_MAX_PDF_BYTES``; a signature placement outside the
    document. A recipient new to Paraph gets an account (registration
    method "adminbox", nothing verified yet).

    With a ``bulk_item`` (of ``batch``), the item is marked created in the
    same transaction, so a batch resumed after a crash never makes its
    contract twice: :class:`BulkItemTaken` when it was already made."""
    now = timezone.now()
    recipient, start, deadline, errors = _check_fields(data, now=now)
    known: Person | None = None
    if not errors:
        known, conflicts = _recipient_conflicts(recipient, sender=sender)
        errors.extend(conflicts)
    if errors:
        raise ContractInvalid(errors)
    language = recipient.language or settings.LANGUAGE_CODE
    if known is not None and known.language in Language.values:
        language = known.language
    contract = Contract(
        sender=sender,
        title=data.title.strip(),
        external_reference=(data.external_reference or "").strip(),
        recipient_first_name=recipient.first_name,
        recipient_last_name=recipient.last_name,
        recipient_email=recipient.email,
        recipient_phone=recipient.phone,
        recipient_national_number=recipient.national_number,
        start_of_work=start,
        deadline=deadline,
        placement_page=(data.placement.page - 1)
        if data.placement is not None and data.placement.page
        else -1,
        placement_box=list(data.placement.box)
        if data.placement is not None and data.placement.box
        else None,
        created_by=actor,
        api_key=api_key,
        batch=batch,
        original_sha256=hashlib.sha256(pdf).hexdigest(),
        original_size=len(pdf),
    )
    # The costly part (sealing: a signature and a time-stamp) before any write
    # and outside any lock; a refused PDF leaves nothing behind.
    document, sealed, signature_field = _document_prepare(
        pdf=pdf, placement=data.placement, language=language, ref=contract.document_ref
    )
    contract.sealed = sealed
    contract.signature_field = signature_field
    contract.document_sha256 = hashlib.sha256(document).hexdigest()
    with _files_removed_on_failure() as written, transaction.atomic():
        if bulk_item is not None:
            _bulk_item_take(bulk_item)
        person, created = _recipient_get_or_create(recipient, sender=sender, request=request)
        contract.recipient = person
        contract.language = person.language
        if _supersedes is not None:
            old = _lock(_supersedes)
            _reoffer_check(old)
            contract.supersedes = old
            contract.version = old.version + 1
        _save_file(contract, "original_pdf", "original.pdf", pdf, written)
        _save_file(contract, "document_pdf", "document.pdf", document, written)
        contract.save()
        details = {
            "original_sha256": contract.original_sha256,
            "document_sha256": contract.document_sha256,
            "sealed": sealed,
            "recipient_created": created,
            "version": contract.version,
        }
        _event(contract, "created", actor=actor, api_key=api_key, request=request, data=details)
        _audit(
            "contracts.contract.created",
            contract,
            actor=actor,
            api_key=api_key,
            request=request,
            data=details,
        )
        if _supersedes is not None and old.status in REOFFERABLE_CLOSED:
            # Refused or not signed in time: that stays true; the history says
            # which version followed.
            reoffered = {"superseded_by": str(contract.public_id), "version": contract.version}
            _event(old, "reoffered", actor=actor, api_key=api_key, request=request, data=reoffered)
            _audit(
                "contracts.contract.reoffered",
                old,
                actor=actor,
                api_key=api_key,
                request=request,
                data=reoffered,
            )
        elif _supersedes is not None:
            _transition(
                old,
                ContractStatus.SUPERSEDED,
                actor=actor,
                api_key=api_key,
                request=request,
                data={"superseded_by": str(contract.public_id)},
            )
        if send:
            _send_locked(contract, actor=actor, api_key=api_key, request=request)
        if bulk_item is not None:
            _bulk_item_done(bulk_item, contract=contract, errors=[])
        else:
            resource_created.send(sender=Contract, subject=contract)
    return contract


def _reoffer_check(contract: Contract) -> None:
    """Refuse to re-offer ``contract`` (:class:`ContractStateError`) when it
    is signed, revoked or already replaced by a newer version."""
    if contract.status in REOFFERABLE_CLOSED:
        if Contract.objects.filter(supersedes=contract).exists():
            raise ContractStateError(
                gettext("A new version of this contract was already sent."), code="final"
            )
        return
    if ContractStatus.SUPERSEDED not in TRANSITIONS.get(contract.status, frozenset()):
        raise ContractStateError(
            gettext("This contract can no longer be replaced (it is %(status)s).")
            % {"status": contract.get_status_display()},
            code="already_signed" if contract.status == ContractStatus.SIGNED else "final",
        )


def contract_can_reoffer(contract: Contract) -> bool:
    """Whether the sender may still re-offer ``contract`` as a new version."""
    try:
        _reoffer_check(contract)
    except ContractStateError:
        return False
    return True


def contract_reoffer(
    *,
    contract: Contract,
    pdf: bytes,
    title: str | None = None,
    start_of_work: dt.datetime | None = None,
    deadline: dt.datetime | None = None,
    placement: SignaturePlacement | None = None,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
) -> Contract:
    """Replace ``contract`` by a new version (a changed PDF, and what else
    is given), sent to the same recipient; the old one becomes
    ``superseded`` and can no longer be signed. A refused contract, or one
    not signed in time, keeps its status and gets a ``reoffered`` event
    naming the new version. Refuses a contract that is signed, revoked or
    already replaced (:class:`ContractStateError`)."""
    _reoffer_check(contract)
    start = start_of_work or contract.start_of_work
    if deadline is None:
        deadline = start if start_of_work is not None else contract.deadline
    data = ContractData(
        title=title or contract.title,
        recipient=RecipientData(
            first_name=contract.recipient_first_name,
            last_name=contract.recipient_last_name,
            email=contract.recipient_email,
            phone=contract.recipient_phone,
            national_number=contract.recipient_national_number,
        ),
        start_of_work=start,
        deadline=deadline,
        placement=placement
        or SignaturePlacement(
            page=contract.placement_page + 1 if contract.placement_page >= 0 else None,
            box=tuple(contract.placement_box) if contract.placement_box else None,
        ),
        external_reference=contract.external_reference,
    )
    return contract_create(
        sender=contract.sender,
        data=data,
        pdf=pdf,
        actor=actor,
        api_key=api_key,
        request=request,
        _supersedes=contract,
    )


# --- The recipient's side (called by the adminbox) ------------------------------------


def _expire_locked(contract: Contract, *, request: HttpRequest | None = None) -> Contract:
    _transition(
        contract,
        ContractStatus.NOT_SIGNED,
        request=request,
        data={"deadline": contract.deadline.isoformat()},
    )
    email_send(
        to=contract.sender.contact_email,
        template="contract_not_signed",
        context={
            "sender": contract.sender.name,
            "title": contract.title,
            "recipient": contract.recipient_name,
            "reference": contract.external_reference,
            "contract_id": str(contract.public_id),
            "deadline": _format_moment(contract.deadline, _sender_language(contract.sender)),
        },
        language=_sender_language(contract.sender),
    )
    return contract


def _sender_language(sender: Sender) -> str:
    """The language of the messages to a sender's contact address."""
    return sender.language if sender.language in Language.values else settings.LANGUAGE_CODE


def contract_open(
    *, contract: Contract, person: Person, request: HttpRequest | None = None
) -> Contract:
    """The recipient opens (views) the contract: ``sent`` becomes
    ``opened`` (once; later views change nothing). A contract whose deadline
    passed is archived as ``not_signed`` there and then. Refuses anyone but
    the recipient (:class:`ContractAccessDenied`: show a 404)."""
    with transaction.atomic():
        locked = _lock(contract)
        if locked.recipient_id != person.pk:
            raise ContractAccessDenied("not this person's contract")
        if locked.status in SIGNABLE and locked.deadline_passed():
            return _expire_locked(locked, request=request)
        if locked.status == ContractStatus.SENT:
            return _transition(locked, ContractStatus.OPENED, actor=person, request=request)
        return locked


def _not_signable_reason(contract: Contract, person: Person | None) -> ContractNotSignable | None:
    if person is not None and contract.recipient_id != person.pk:
        return ContractNotSignable("not this person's contract", code="wrong_person")
    if (
        person is not None
        and contract.recipient_national_number
        and person.national_number
        and person.national_number != contract.recipient_national_number
    ):
        # RG-3, when the sender could not be told at creation (see
        # _recipient_conflicts): this contract names someone else.
        return ContractNotSignable(
            gettext(
                "This contract names another national register number than yours: "
                "you cannot sign it. Ask the sender to check it."
            ),
            code="other_national_number",
        )
    words = {
        ContractStatus.CREATED: ("not_sent", gettext("This contract has not been sent yet.")),
        ContractStatus.SIGNED: ("already_signed", gettext("This contract is already signed.")),
        ContractStatus.REVOKED: (
            "revoked",
            gettext("The sender withdrew this contract: it can no longer be signed."),
        ),
        ContractStatus.SUPERSEDED: (
            "superseded",
            gettext("A new version replaces this contract: sign the new version instead."),
        ),
        ContractStatus.NOT_SIGNED: (
            "not_signed",
            gettext("The deadline to sign this contract has passed."),
        ),
        ContractStatus.REFUSED: ("refused", gettext("You refused this contract.")),
    }
    if contract.status in words:
        code, message = words[ContractStatus(contract.status)]
        return ContractNotSignable(message, code=code)
    if contract.deadline_passed():
        return ContractNotSignable(
            gettext("The deadline to sign this contract has passed."), code="deadline_passed"
        )
    return None


def contract_check_signable(*, contract: Contract, person: Person) -> None:
    """Raise :class:`ContractNotSignable` (with a message for the person)
    unless ``person`` may sign ``contract`` now. Call it before preparing a
    signature; :func:`contract_sign_record` checks again under the lock."""
    reason = _not_signable_reason(contract, person)
    if reason is not None:
        raise reason


@dataclass(frozen=True)
class SigningInput:
    """What the signing engine's services need to sign this contract:
    ``document`` (the sealed PDF), ``document_ref``, and either the empty
    ``field_name`` the seal prepared or a ``placement``."""

    document: bytes
    document_ref: str
    field_name: str | None
    placement: engine.Placement | None


def _document_checked(contract: Contract) -> bytes:
    """The document to sign, its hash checked (``contracts.documents``)."""
    try:
        return contract_document_read(contract=contract, which="document")
    except DocumentUnavailable as exc:
        if exc.reason == "missing":
            raise ContractError(str(exc), code="document_missing") from exc
        raise ContractError(
            "the stored document does not match its recorded hash", code="document_altered"
        ) from exc


def contract_signing_input(*, contract: Contract) -> SigningInput:
    """The document to hand to ``eid_signature_prepare`` or
    ``password_signature_make``; refuses (``document_altered``) a stored
    document whose hash is no longer the one recorded, or that is missing
    (``document_missing``)."""
    document = _document_checked(contract)
    placement = None
    if not contract.signature_field:
        placement = engine.Placement(
            page=contract.placement_page,
            box=tuple(contract.placement_box) if contract.placement_box else None,
        )
    return SigningInput(
        document=document,
        document_ref=contract.document_ref,
        field_name=contract.signature_field or None,
        placement=placement,
    )


def contract_sign_record(
    *,
    contract: Contract,
    person: Person,
    signed_pdf: bytes,
    method: str,
    mandate_ref: str | None = None,
    evidence: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    also: Callable[[], None] | None = None,
) -> Contract:
    """Store the recipient's signature: the signed PDF (from the signing
    engine) whole with its SHA-256, the signing method, the mandate used
    and ``evidence`` (e.g. the certificate's issuer, the code verification),
    and the state ``signed``, all in one transaction under the contract's
    row lock, or nothing at all. ``also`` runs in that transaction once
    the contract is signed (what the signature used up, see
    :func:`contract_sign_with_eid`).

    Two signatures at once produce one signed contract and one
    :class:`ContractNotSignable` ``already_signed``. Also refuses a
    contract past its deadline (it is archived as ``not_signed`` then,
    and ``deadline_passed`` raised), revoked, superseded, refused, another
    person's, and a PDF that is not an incremental update of the document
    that was to be signed (``document_mismatch``)."""
    if method not in SigningMethod.values:
        raise ValueError(f"unknown signing method {method!r}")
    if method == SigningMethod.PASSWORD and not mandate_ref:
        raise ValueError("a password signature needs the mandate it was made under")
    document = _document_checked(contract)
    if len(signed_pdf) <= len(document) or not signed_pdf.startswith(document):
        raise ContractError(
            "the signed PDF is not the contract's document with a signature added",
            code="document_mismatch",
        )
    expired = False
    with _files_removed_on_failure() as written, transaction.atomic():
        locked = _lock(contract)
        if locked.status in SIGNABLE and locked.deadline_passed():
            _expire_locked(locked, request=request)
            expired = True
        else:
            reason = _not_signable_reason(locked, person)
            if reason is not None:
                raise reason
            if locked.status == ContractStatus.SENT:
                # Signed without being opened first (batch signing): the
                # evidence still shows it was presented.
                _transition(
                    locked,
                    ContractStatus.OPENED,
                    actor=person,
                    request=request,
                    data={"with_signature": True},
                )
            _save_file(locked, "signed_pdf", "signed.pdf", signed_pdf, written)
            locked.signed_sha256 = hashlib.sha256(signed_pdf).hexdigest()
            locked.signing_method = method
            locked.mandate_ref = mandate_ref
            _transition(
                locked,
                ContractStatus.SIGNED,
                actor=person,
                request=request,
                data={
                    "signed_sha256": locked.signed_sha256,
                    "method": method,
                    "mandate": mandate_ref,
                    "evidence": evidence or {},
                },
                extra_fields=("signed_pdf", "signed_sha256", "signing_method", "mandate_ref"),
            )
            if also is not None:
                also()
    if expired:
        raise ContractNotSignable(
            gettext("The deadline to sign this contract has passed."), code="deadline_passed"
        )
    contract.refresh_from_db()
    return contract


def contract_sign_with_eid(
    *,
    contract: Contract,
    person: Person,
    prepared_id: str,
    signature_value: bytes,
    evidence: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Contract:
    """The recipient's eID card signature (step 2 of
    :func:`paraph.signing.services.eid_signature_prepare`) put in the
    contract: the signed PDF made outside any transaction (the time-stamp
    authority and OCSP answer then), then in one transaction the contract
    signed, the prepared signature used up and the card's signature in the
    audit log; or, if the contract is no longer signable meanwhile
    (revoked, expired, signed elsewhere), none of them. Raises what
    :func:`contract_check_signable`, :func:`contract_sign_record` and
    ``eid_signature_complete`` raise."""
    from paraph.signing import services as signing

    contract_check_signable(contract=contract, person=person)
    document_ref = contract_signing_input(contract=contract).document_ref
    signed = signing.eid_signature_complete(
        person=person,
        prepared_id=prepared_id,
        document_ref=document_ref,
        signature_value=signature_value,
    )
    return contract_sign_record(
        contract=contract,
        person=person,
        signed_pdf=signed,
        method=SigningMethod.EID,
        evidence={"prepared_id": prepared_id, **(evidence or {})},
        request=request,
        also=lambda: signing.eid_signature_record(
            person=person,
            prepared_id=prepared_id,
            document_ref=document_ref,
            signed=signed,
            request=request,
        ),
    )


def contract_refuse(
    *, contract: Contract, person: Person, reason: str = "", request: HttpRequest | None = None
) -> Contract:
    """The recipient declines to sign; the sender is told, with the reason
    given (webhook ``contract.refused`` and an e-mail to its contact
    address). Refuses what :func:`contract_check_signable` refuses."""
    with transaction.atomic():
        locked = _lock(contract)
        problem = _not_signable_reason(locked, person)
        if problem is not None:
            raise problem
        reason = (reason or "").strip()[:1000]
        _transition(
            locked, ContractStatus.REFUSED, actor=person, request=request, data={"reason": reason}
        )
        email_send(
            to=locked.sender.contact_email,
            template="contract_refused",
            context={
                "sender": locked.sender.name,
                "title": locked.title,
                "recipient": locked.recipient_name,
                "reference": locked.external_reference,
                "contract_id": str(locked.public_id),
                "reason": reason,
                "url": settings.BASE_URL
                + reverse("senders:contract_detail", args=[locked.public_id]),
            },
            language=_sender_language(locked.sender),
        )
        return locked


# Steps of the signing flow that change no state but belong in the evidence.
EVIDENCE_STEPS = frozenset(
    {
        "viewed",
        "code_sent",
        "code_verified",
        "code_failed",
        "eid_certificate_checked",
        "signature_prepared",
        "downloaded_by_recipient",
    }
)


def contract_evidence_add(
    *,
    contract: Contract,
    step: str,
    person: Person | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> ContractEvent:
    """Add a step of the signing flow to the contract's evidence (a one-time
    code sent or verified for it, an eID certificate checked, a signature
    prepared...): one evidence event and one audit event, no change of
    state. ``step`` is one of :data:`EVIDENCE_STEPS`; ``data`` must hold
    no secret (never the code itself)."""
    if step not in EVIDENCE_STEPS:
        raise ValueError(f"unknown evidence step {step!r}")
    with transaction.atomic():
        event = _event(contract, step, actor=person, request=request, data=data)
        audit_record(
            name="contracts.contract.evidence_added",
            actor=person,
            subject=contract,
            data={"contract": str(contract.public_id), "step": step, **(data or {})},
            request=request,
        )
    return event


# --- The sender's side -------------------------------------------------------------------


def contract_revoke(
    *,
    contract: Contract,
    reason: str = "",
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
) -> Contract:
    """The sender withdraws the contract (until it is signed); a recipient
    who had received it is told by e-mail. Refuses a signed contract
    (``already_signed``) and one that is already closed (``final``)."""
    with transaction.atomic():
        locked = _lock(contract)
        was_sent = locked.status in SIGNABLE
        _transition(
            locked,
            ContractStatus.REVOKED,
            actor=actor,
            api_key=api_key,
            request=request,
            data={"reason": (reason or "").strip()[:1000]},
        )
        if was_sent:
            language = (
                locked.language if locked.language in Language.values else settings.LANGUAGE_CODE
            )
            email_send(
                to=locked.recipient_email,
                template="contract_revoked",
                context={
                    "name": locked.recipient_name,
                    "sender": locked.sender.name,
                    "title": locked.title,
                },
                language=language,
                person=locked.recipient,
            )
    return locked


def contract_expire(*, contract: Contract, now: dt.datetime | None = None) -> bool:
    """Archive ``contract`` as ``not_signed`` if its deadline passed while
    it waited for a signature; tells the sender (webhook
    ``contract.expired`` and an e-mail to its contact address). Returns
    whether it did."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(contract)
        if locked.status not in (ContractStatus.CREATED, *SIGNABLE) or locked.deadline > now:
            return False
        _expire_locked(locked)
    return True


def contracts_expire_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Archive every contract whose deadline passed (the periodic task and
    ``paraph contracts-expire``); returns how many. Safe to run at any time
    and on several workers at once: each contract is re-checked under its
    lock."""
    now = now or timezone.now()
    due = Contract.objects.filter(
        status__in=[ContractStatus.CREATED, *SIGNABLE], deadline__lte=now
    ).order_by("deadline", "pk")[:limit]
    return sum(1 for contract in due if contract_expire(contract=contract, now=now))


def contract_download_record(
    *,
    contract: Contract,
    what: str,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Audit that the sender's staff or systems downloaded ``what``
    (``original``, ``document``, ``signed``, ``evidence``)."""
    with transaction.atomic():
        _audit(
            "contracts.contract.downloaded",
            contract,
            actor=actor,
            api_key=api_key,
            request=request,
            data={"what": what},
        )


# --- Merging adminboxes (ES-12) ------------------------------------------------------------


def alias_clean(person: Person, email: str) -> str:
    email = Person.objects.normalize_email((email or "").strip())
    validate_email(email)
    if email.lower() == person.email.lower():
        raise ValidationError(gettext("This is already the person's address."), code="own")
    if RecipientAlias.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            gettext("This address is already attached to an adminbox."), code="taken"
        )
    return email


def recipient_alias_add(
    *,
    person: Person,
    email: str,
    actor: Person | None = None,
    request: HttpRequest | None = None,
) -> RecipientAlias:
    """Attach ``email`` to ``person``: contracts sent to it from now on
    reach their adminbox. Refuses (``ValidationError``) an invalid address,
    the person's own, and one already attached to someone."""
    email = alias_clean(person, email)
    with transaction.atomic():
        alias = RecipientAlias.objects.create(person=person, email=email)
        audit_record(
            name="contracts.alias.added",
            actor=actor,
            subject=person,
            data={"email": email},
            request=request,
        )
    return alias


def contracts_move_locked(
    *, source: Person, target: Person, actor: Person | None, request: HttpRequest | None
) -> list[Contract]:
    """Move the contracts and links of ``source`` to ``target`` with one
    evidence event per contract, in the caller's transaction (no audit
    event: the caller writes the one that names the whole change)."""
    if source.pk == target.pk:
        raise ValueError("cannot move contracts to the same person")
    contracts = list(Contract.objects.select_for_update().filter(recipient=source).order_by("pk"))
    Contract.objects.filter(pk__in=[c.pk for c in contracts]).update(recipient=target)
    AccessLink.objects.filter(person=source).update(person=target)
    ContractEvent.objects.bulk_create(
        [
            ContractEvent(
                contract=c,
                name="recipient_moved",
                actor=actor,
                actor_label=_actor_label(actor, None),
                ip=client_ip(request),
                user_agent=user_agent(request),
                data={"from_person": source.pk, "to_person": target.pk},
            )
            for c in contracts
        ]
    )
    return contracts


def contracts_move(
    *,
    source: Person,
    target: Person,
    actor: Person | None = None,
    request: HttpRequest | None = None,
) -> int:
    """Move every contract (and its links) of ``source`` to ``target``, as
    one evidence event per contract and one audit event; returns how many.
    The merge decides first that both boxes are one person's."""
    with transaction.atomic():
        contracts = contracts_move_locked(
            source=source, target=target, actor=actor, request=request
        )
        audit_record(
            name="contracts.recipient.moved",
            actor=actor,
            subject=target,
            data={"from_person": source.pk, "contracts": [str(c.public_id) for c in contracts]},
            request=request,
        )
    return len(contracts)


# --- Bulk sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkEntry:
    """One contract of a bulk send: its fields as received (a
    :class:`ContractIn` as a dict) and its PDF (None: missing, e.g. a CSV
    row naming a file the zip does not hold; ``pdf_error`` says why)."""

    data: dict[str, Any]
    pdf: bytes | None
    pdf_error: str = ""


def batch_create(
    *,
    sender: Sender,
    entries: list[BulkEntry],
    source: str,
    actor: Person | None = None,
    api_key: ApiKey | None = None,
    request: HttpRequest | None = None,
) -> BulkBatch:
    """Keep the entries (fields and PDFs) and queue their processing: each
    becomes a contract, or a list of errors, in :func:`batch_process`.
    Answers at once; progress is on the batch."""
    if source not in ("api", "csv"):
        raise ValueError(f"unknown batch source {source!r}")
    if not entries:
        raise ContractInvalid(
            [FieldError("contracts", "required", gettext("Send at least one contract."))]
        )
    if len(entries) > settings.CONTRACT_BULK_MAX:
        raise ContractInvalid(
            [
                FieldError(
                    "contracts",
                    "too_many",
                    gettext("At most %(max)d contracts per bulk send.")
                    % {"max": settings.CONTRACT_BULK_MAX},
                )
            ]
        )
    from paraph.contracts.tasks import batch_process_task

    with _files_removed_on_failure() as written, transaction.atomic():
        batch = BulkBatch.objects.create(
            sender=sender, source=source, total=len(entries), created_by=actor, api_key=api_key
        )
        for index, entry in enumerate(entries):
            item = BulkItem(batch=batch, index=index, data=entry.data)
            if entry.pdf is not None:
                item.pdf.save(f"{index:05d}.pdf", ContentFile(entry.pdf), save=False)
                written.append(item.pdf.name)
            elif entry.pdf_error:
                item.errors = [FieldError("pdf", "missing", entry.pdf_error).as_dict()]
            item.save()
        audit_record(
            name="contracts.batch.created",
            actor=actor,
            subject=batch,
            data={"sender": sender.pk, "total": len(entries), "source": source},
            request=request,
            actor_label=_actor_label(actor, api_key) if actor is None else "",
        )
        resource_created.send(sender=BulkBatch, subject=batch)
        # one task per worker that may share it (each takes chunks of items)
        for _ in range(
            max(1, min(settings.BATCH_PARALLELISM, -(-len(entries) // settings.BATCH_CHUNK)))
        ):
            enqueue_on_commit(batch_process_task, batch.pk)
    return batch


class BulkItemTaken(ContractError):
    """This item of a batch was already processed (by a worker whose lease
    ended but which was still alive); nothing was written."""

    code = "bulk_item_taken"


def _bulk_item_take(item: BulkItem) -> None:
    """In the caller's transaction: take a pending item (its row stays
    locked until commit), or raise :class:`BulkItemTaken`."""
    taken = BulkItem.objects.filter(pk=item.pk, status=BulkItemStatus.PENDING).update(
        status=BulkItemStatus.FAILED  # set to its outcome by _bulk_item_done, same transaction
    )
    if not taken:
        raise BulkItemTaken(f"item {item.index} of batch {item.batch_id} was already processed")


def _bulk_item_done(item: BulkItem, *, contract: Contract | None, errors: list[FieldError]) -> None:
    """In the caller's transaction, after :func:`_bulk_item_take`: the
    item's outcome, the batch's progress, and a renewed lease."""
    item.status = BulkItemStatus.CREATED if contract else BulkItemStatus.FAILED
    item.contract = contract
    item.errors = [e.as_dict() for e in errors]
    staged = item.pdf.name if item.pdf else ""
    item.pdf = None
    item.save(update_fields=["status", "contract", "errors", "pdf"])
    BulkBatch.objects.filter(pk=item.batch_id).update(
        processed=F("processed") + 1,
        succeeded=F("succeeded") + (1 if contract else 0),
        failed=F("failed") + (0 if contract else 1),
        lease_until=lease_until(settings.WORK_LEASE_SECONDS),
    )
    if staged:
        transaction.on_commit(lambda: default_storage.delete(staged))


def _item_process(batch: BulkBatch, item: BulkItem) -> None:
    from pydantic import ValidationError as PydanticError

    errors: list[FieldError] = [FieldError(**e) for e in item.errors]
    if not errors:
        try:
            parsed = ContractIn.model_validate(item.data)
        except PydanticError as exc:
            errors = pydantic_errors(exc)
        else:
            pdf = b""
            if item.pdf:
                with item.pdf.open("rb") as handle:
                    pdf = handle.read()
            try:
                # Marks the item created in the contract's own transaction.
                contract_create(
                    sender=batch.sender,
                    data=ContractData.from_input(parsed),
                    pdf=pdf,
                    actor=batch.created_by,
                    api_key=batch.api_key,
                    batch=batch,
                    bulk_item=item,
                )
                return
            except BulkItemTaken:
                return
            except ContractInvalid as exc:
                errors = exc.errors
            except ContractError as exc:
                errors = [FieldError("", exc.code, str(exc))]
    with transaction.atomic():
        try:
            _bulk_item_take(item)
        except BulkItemTaken:
            return
        _bulk_item_done(item, contract=None, errors=errors)


def _batch_claimable(now: dt.datetime) -> Any:
    """Waiting, or running: workers share a batch (each takes its items in
    chunks, :func:`_batch_items_claim`)."""
    return Q(status__in=(BatchStatus.PENDING, BatchStatus.RUNNING))


def _batch_items_claim(batch: BulkBatch) -> list[BulkItem]:
    """The next pending items of ``batch`` that no live worker holds, in
    order, at most ``BATCH_CHUNK`` of them, now held by this worker until
    ``WORK_LEASE_SECONDS`` from now (renewed at each contract): another
    worker takes the next ones, and the items of a worker that died are
    taken again when their lease ends. The claim is a token written with
    the condition, so two workers never hold the same item (on PostgreSQL
    they also skip each other's rows instead of waiting)."""
    now = timezone.now()
    token = uuid.uuid4()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    with transaction.atomic():
        candidates = list(
            BulkItem.objects.select_for_update(skip_locked=True)
            .filter(free, batch=batch, status=BulkItemStatus.PENDING)
            .order_by("index")
            .values_list("pk", flat=True)[: settings.BATCH_CHUNK]
        )
        BulkItem.objects.filter(free, pk__in=candidates, status=BulkItemStatus.PENDING).update(
            claim=token, lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now)
        )
    return list(batch.items.filter(claim=token).order_by("index"))


def batch_process(*, batch_id: int) -> BulkBatch | None:
    """Make the contracts of a batch, one by one, each in its own
    transaction (a refused one does not stop the others). Any number of
    workers may run it at once: each takes the batch's items a chunk at a
    time (:func:`_batch_items_claim`), so a batch of thousands is made by
    every worker free. None when the batch is finished, or when its pending
    items are all held by live workers. Resumable: the items of a worker
    that died are taken again once their lease ended; each item is taken in
    its contract's own transaction, so no contract is ever made twice."""
    now = timezone.now()
    joined = (
        BulkBatch.objects.filter(pk=batch_id)
        .filter(_batch_claimable(now))
        .update(
            status=BatchStatus.RUNNING,
            lease_until=lease_until(settings.WORK_LEASE_SECONDS, now=now),
        )
    )
    if not joined:
        return None
    batch = BulkBatch.objects.select_related("sender", "created_by", "api_key").get(pk=batch_id)
    worked = False
    while chunk := _batch_items_claim(batch):
        worked = True
        for item in chunk:
            try:
                _item_process(batch, item)
            except Exception:
                logger.exception("batch %s item %s failed unexpectedly", batch.pk, item.index)
                with transaction.atomic():
                    try:
                        _bulk_item_take(item)
                    except BulkItemTaken:
                        continue
                    _bulk_item_done(
                        item,
                        contract=None,
                        errors=[
                            FieldError("", "internal", gettext("An unexpected error occurred."))
                        ],
                    )
    if batch.items.filter(status=BulkItemStatus.PENDING).exists():
        # held by other workers (they finish it), or by one that died (its
        # items are taken again when their lease ends: the sweeper)
        return batch if worked else None
    with transaction.atomic():
        finished = BulkBatch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
            status=BatchStatus.DONE, finished_at=timezone.now(), lease_until=None
        )
        batch.refresh_from_db()
        if not finished:
            return batch if worked else None  # another worker finished it
        audit_record(
            name="contracts.batch.finished",
            subject=batch,
            data={"total": batch.total, "succeeded": batch.succeeded, "failed": batch.failed},
        )
    return batch


def batches_sweep(now: dt.datetime) -> int:
    """Enqueue again every batch that is due and in no live worker's hands:
    waiting ones whose task was lost (after a lease, so one waiting in a
    long queue is not enqueued at every sweep) and running ones whose
    worker died. Returns how many were enqueued."""
    from paraph.contracts.tasks import batch_process_task

    grace = now - dt.timedelta(seconds=settings.WORK_LEASE_SECONDS)
    due = list(
        BulkBatch.objects.filter(
            Q(status=BatchStatus.PENDING, created_at__lte=grace)
            | Q(status=BatchStatus.RUNNING, lease_until__lt=now)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    return sum(enqueue_safely(batch_process_task, batch_id) for batch_id in due)


def pydantic_errors(exc: Any) -> list[FieldError]:
    """A pydantic ``ValidationError`` as field errors named like the JSON,
    each in the language of the answer (pydantic's own are in English)."""
    result = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        result.append(FieldError(loc, str(error.get("type", "invalid")), _pydantic_message(error)))
    return result


_NOT_A_NUMBER = frozenset(
    {"int_parsing", "int_type", "int_from_float", "float_parsing", "float_type", "finite_number"}
)
_WRONG_TYPE = frozenset(
    {"string_type", "dict_type", "model_type", "model_attributes_type", "list_type", "tuple_type"}
)


def _pydantic_message(error: Any) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return gettext("This field is required.")
    if kind == "extra_forbidden":
        return gettext("Paraph does not know this field: check its name.")
    if kind == "string_too_long":
        return gettext("Too long: at most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind.startswith(("datetime_", "date_", "time_")):
        return gettext("Not a date and time: write it like 2026-12-07T08:00:00+01:00.")
    if kind in _NOT_A_NUMBER:
        return gettext("Not a number.")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return gettext("This number is out of range.")
    if kind == "literal_error":
        return gettext("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind in ("too_short", "too_long"):
        return gettext("Wrong number of values.")
    if kind == "json_invalid":
        return gettext("The body is not valid JSON.")
    if kind in _WRONG_TYPE:
        return gettext("Wrong kind of value for this field.")
    return gettext("This value is not valid.")

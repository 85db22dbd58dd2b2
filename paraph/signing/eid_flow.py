"""Signing a document with the eID card through the Web eID extension: one
flow for whatever is signed (a contract, a mandate).

The page carries the generic component ``signing/eid-sign.js`` (its data
attributes are documented there), which calls two JSON steps:

1. ``prepare``: POST ``{certificate, supportedSignatureAlgorithms}`` (what
   Web eID's ``getSigningCertificate`` gave) → ``{preparedId, hash,
   hashFunction}`` for Web eID's ``sign``;
2. ``finish``: POST ``{preparedId, signature}`` (what ``sign`` gave) →
   ``{redirect}``.

What is signed is described by a small adapter (:class:`EidSignable`): how
to find it for the person, whether it may still be signed, the one service
that prepares (the card's certificate checked for the person, the hash to
sign) and the one service that signs (check, finish and record in one
transaction boundary), and where the person goes. Everything else is here,
once: the rate limit, reading the request's body, the refusals ``{code,
message}`` in the person's language (the same card state gives the same
words whatever is signed), the certificate's evidence kept between the two
steps, and the sandbox's virtual card reader.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from cryptography import x509
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from paraph.accounts.models import Person
from paraph.core.context import Context
from paraph.core.ratelimit import ratelimit_hit
from paraph.identity.providers.eid.sandbox import virtual_reader_enabled
from paraph.signing.exceptions import (
    CertificateRejected,
    PreparedSignatureUnavailable,
    SignatureValueMismatch,
    SigningError,
)
from paraph.signing.services import EidSigningRequest

logger = logging.getLogger(__name__)

# Each prepare checks the card with OCSP and keeps a prepared PDF: a person
# gets this many in ten minutes, and as many finishes, whatever they sign.
PREPARES_PER_WINDOW = 10
FINISHES_PER_WINDOW = 20
WINDOW_SECONDS = 600
MAX_CERTIFICATE_CHARS = 12_000
MAX_SIGNATURE_CHARS = 2_000
SESSION_KEY = "signing.eid_sign"  # prepared id -> the checked certificate's evidence
KEPT_PER_SESSION = 5  # a few tries at most

EID_SOFTWARE_URL = "https://eid.belgium.be/"
WEB_EID_URL = "https://web-eid.eu/"
_HASH_FUNCTIONS = ("SHA-256", "SHA-384", "SHA-512")

T = TypeVar("T")


class NotSignable(Exception):
    """What is signed can no longer be signed by this person (already
    signed, revoked, past its deadline, no longer pending...): ``code`` is
    stable, the message is for the person. Nothing was signed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class NothingToSign(NotSignable):
    """There is nothing (any more) to sign at this URL: the page sends the
    person to ``url``, a step refuses with the message."""

    def __init__(self, message: str, *, code: str, url: str) -> None:
        super().__init__(message, code=code)
        self.url = url


class SigningUnavailable(Exception):
    """The adapter's service failed for a reason the person cannot fix
    (a stored document missing or altered, a seal not answering): nothing
    was signed, and the person may try again later."""


@dataclass(frozen=True)
class Links:
    """Where the page and its steps send the person."""

    prepare: str  # the ``prepare`` step
    finish: str  # the ``finish`` step
    back: str  # shown with a final refusal (the contract's page, the mandate's start)
    other_way: str  # signing without the card (the password, a code)
    done: str  # after the signature


class EidSignable(Protocol[T]):
    """What is signed with the card: the part of the flow that differs
    between a contract and a mandate."""

    template: str  # the page; it receives the flow's context and the adapter's

    @property
    def other_way(self) -> str:
        """The way without the card, added to the refusals only it gets
        past ("Sign with a password instead."), in the person's language."""

    def find(self, person: Person, **kwargs: Any) -> T:
        """What ``person`` signs at this URL (its arguments in ``kwargs``);
        raises ``Http404`` for what is not theirs, :class:`NothingToSign`
        when there is nothing (any more) to sign."""

    def refusal(self, target: T, person: Person) -> NotSignable | None:
        """Why ``person`` cannot sign ``target`` now, read afresh, or None."""

    def links(self, target: T) -> Links: ...

    def context(self, target: T) -> dict[str, Any]:
        """What the page shows of ``target``."""

    def prepare(
        self,
        *,
        target: T,
        person: Person,
        certificate: bytes,
        evidence: dict[str, Any],
        context: Context,
    ) -> EidSigningRequest:
        """The one service that checks the card's ``certificate`` for
        ``person`` and prepares ``target``; ``evidence`` is what to keep of
        the certificate once accepted. Raises :class:`NotSignable`,
        ``CertificateRejected``, ``SigningError`` or
        :class:`SigningUnavailable`."""

    def finish(
        self,
        *,
        target: T,
        person: Person,
        prepared_id: str,
        signature_value: bytes,
        evidence: dict[str, Any],
        context: Context,
    ) -> None:
        """The one service that checks, puts the card's signature in the
        document and records it in one transaction boundary: when it
        raises, nothing was signed and the prepared signature is not used
        up. Raises :class:`NotSignable`, ``SigningError`` (its subclasses
        ``SignatureValueMismatch``, ``PreparedSignatureUnavailable``) or
        :class:`SigningUnavailable`."""


# --- Refusals: one set of words for every card state -------------------------------


def _refuse(code: str, message: str, status: int = 400, **extra: Any) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


def _other_way(code: str, message: str, links: Links, other_way: str) -> JsonResponse:
    """A refusal that only a way without the card gets past: the message
    ends with that way, and the page shows its link."""
    return _refuse(code, f"{message} {other_way}", passwordUrl=links.other_way)


def card_refusal(exc: CertificateRejected, links: Links, other_way: str) -> JsonResponse:
    """What a refused signing certificate means for the person, in words."""
    if exc.code == "wrong_person":
        return _refuse(
            "not_your_card",
            _(
                "This eID card is not yours: its national register number is not the one of "
                "your account. Insert your own eID card and try again."
            ),
        )
    if exc.code in ("key_usage", "not_yet_valid"):
        return _other_way(
            "no_signing_certificate",
            _(
                "Your eID card has no active signature certificate: the cards of holders "
                "under 18 cannot sign yet."
            ),
            links,
            other_way,
        )
    if exc.code == "expired":
        return _other_way(
            "card_expired",
            _(
                "Your eID card has expired: it can no longer sign. Sign with your new card "
                "once you have it."
            ),
            links,
            other_way,
        )
    if exc.code == "revoked":
        return _other_way(
            "card_revoked",
            _(
                "Your eID card was cancelled (a lost or stolen card, or a new card was made): "
                "it can no longer sign. Ask your municipality if you do not know why."
            ),
            links,
            other_way,
        )
    if exc.code == "revocation_unknown":
        return _refuse(
            "ocsp_unavailable",
            _(
                "The Belgian service that confirms an eID card is valid does not answer right "
                "now. Nothing was signed. Please try again in a few minutes."
            ),
            status=503,
        )
    return _other_way(
        "card_refused",
        _("This card cannot sign here: it is not a Belgian eID card's signature certificate."),
        links,
        other_way,
    )


def _not_signable(exc: NotSignable, links: Links | None) -> JsonResponse:
    extra = {"contractUrl": links.back} if links is not None else {}
    return _refuse(exc.code, str(exc), status=409, **extra)


def _unavailable() -> JsonResponse:
    return _refuse(
        "unavailable",
        _("Signing is not possible right now. Nothing was signed. Please try again later."),
        status=503,
    )


def _start_again(code: str) -> JsonResponse:
    return _refuse(code, _("Too much time passed since your card was read. Start again."))


def _limited(person: Person, step: str, limit: int) -> JsonResponse | None:
    result = ratelimit_hit(
        scope=f"signing.eid_sign.{step}",
        key=str(person.pk),
        limit=limit,
        window_seconds=WINDOW_SECONDS,
    )
    if result.allowed:
        return None
    minutes = max(1, (result.retry_after + 59) // 60)
    message = ngettext(
        "Too many tries. Please wait %(count)d minute and try again.",
        "Too many tries. Please wait %(count)d minutes and try again.",
        minutes,
    ) % {"count": minutes}
    return _refuse("too_many_tries", message, status=429)


# --- Reading the steps' bodies --------------------------------------------------------


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _base64(raw: object, max_chars: int) -> bytes:
    """``raw`` decoded, or ValueError (missing, too long, not base64)."""
    if not isinstance(raw, str) or not 0 < len(raw) <= max_chars:
        raise ValueError
    try:
        return base64.b64decode(raw, validate=True)
    except binascii.Error as exc:
        raise ValueError from exc


def _supported_hashes(body: dict[str, Any]) -> set[str] | None:
    """The hash functions the card said it signs with, if it said."""
    algorithms = body.get("supportedSignatureAlgorithms")
    if not isinstance(algorithms, list) or not algorithms:
        return None
    return {
        str(item["hashFunction"])
        for item in algorithms[:50]
        if isinstance(item, dict) and item.get("hashFunction") in _HASH_FUNCTIONS
    }


def certificate_evidence(der: bytes) -> dict[str, str]:
    """What the evidence keeps of the card's certificate; ValueError when
    it is no certificate."""
    cert = x509.load_der_x509_certificate(der)
    return {
        "certificate_subject": cert.subject.rfc4514_string(),
        "certificate_issuer": cert.issuer.rfc4514_string(),
        "certificate_serial": format(cert.serial_number, "x"),
        "certificate_sha256": hashlib.sha256(der).hexdigest(),
    }


def _keep(request: HttpRequest, prepared_id: str, evidence: dict[str, Any]) -> None:
    kept = request.session.get(SESSION_KEY) or {}
    kept = dict(list(kept.items())[-(KEPT_PER_SESSION - 1) :])
    kept[prepared_id] = evidence
    request.session[SESSION_KEY] = kept


def _kept(request: HttpRequest, prepared_id: str) -> dict[str, Any]:
    return dict((request.session.get(SESSION_KEY) or {}).get(prepared_id, {}))


def _forget(request: HttpRequest, prepared_id: str) -> None:
    kept = dict(request.session.get(SESSION_KEY) or {})
    kept.pop(prepared_id, None)
    request.session[SESSION_KEY] = kept


# --- The sandbox's virtual card reader ------------------------------------------------


def virtual_reader_context(request: HttpRequest) -> dict[str, Any]:
    """Whether the page carries the virtual card reader, and what it needs."""
    if not virtual_reader_enabled(request):
        return {"virtual_reader": False}
    from paraph.identity.providers.eid import sandbox as eid_sandbox

    return {
        "virtual_reader": True,
        "sandbox_cards": eid_sandbox.cards_list(),
        "sandbox_pin": eid_sandbox.PIN,
        "sandbox_certificate_url": reverse("identity:eid_sandbox_signing_certificate"),
        "sandbox_sign_hash_url": reverse("identity:eid_sandbox_sign_hash"),
        "sandbox_unblock_url": reverse("identity:eid_sandbox_unblock"),
    }


# --- The page and its two steps ---------------------------------------------------------


def _person(request: HttpRequest) -> Person:
    person = request.user
    assert isinstance(person, Person)  # login_required
    return person


@dataclass(frozen=True)
class EidSigningViews(Generic[T]):
    """The page and its two JSON steps for what ``signable`` describes;
    each view takes the URL's arguments as ``signable.find`` does."""

    signable: EidSignable[T]

    def page_view(self) -> Callable[..., HttpResponse]:
        """ "You are about to sign with your eID card": the button, the
        progress, and the install guidance when no Web eID extension
        answers (RG-8, RG-9)."""

        @never_cache
        @login_required
        @require_GET
        def page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            return self.page(request, **kwargs)

        return page

    def prepare_view(self) -> Callable[..., HttpResponse]:
        @never_cache
        @login_required
        @require_POST
        def prepare(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            return self.prepare(request, **kwargs)

        return prepare

    def finish_view(self) -> Callable[..., HttpResponse]:
        @never_cache
        @login_required
        @require_POST
        def finish(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            return self.finish(request, **kwargs)

        return finish

    def page(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        person = _person(request)
        try:
            target = self.signable.find(person, **kwargs)
        except NothingToSign as exc:
            return redirect(exc.url)
        refusal = self.signable.refusal(target, person)
        links = self.signable.links(target)
        context: dict[str, Any] = {
            "refusal": str(refusal) if refusal else None,
            "has_national_number": bool(person.national_number),
            "prepare_url": links.prepare,
            "finish_url": links.finish,
            "back_url": links.back,
            "other_way_url": links.other_way,
            "prepared_minutes": max(1, settings.SIGNING_PREPARED_TTL_SECONDS // 60),
            "eid_software_url": EID_SOFTWARE_URL,
            "web_eid_url": WEB_EID_URL,
            **virtual_reader_context(request),
            **self.signable.context(target),
        }
        return render(request, self.signable.template, context)

    def prepare(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Step 1: the card's certificate checked, the hash to sign."""
        person = _person(request)
        try:
            target = self.signable.find(person, **kwargs)
        except NothingToSign as exc:
            return _not_signable(exc, None)
        limited = _limited(person, "prepare", PREPARES_PER_WINDOW)
        if limited:
            return limited
        links, other_way = self.signable.links(target), self.signable.other_way
        body = _body(request)
        try:
            certificate = _base64(body.get("certificate"), MAX_CERTIFICATE_CHARS)
            evidence: dict[str, Any] = certificate_evidence(certificate)
        except ValueError:
            return _refuse(
                "bad_certificate", _("Your card's certificate could not be read. Please try again.")
            )
        if not person.national_number:
            return _other_way(
                "no_national_number",
                _(
                    "Your account has no national register number, so Paraph cannot check "
                    "that the eID card is yours."
                ),
                links,
                other_way,
            )
        # What is kept once the card is accepted: it was checked (OCSP) now.
        evidence.update(revocation_status="good", revocation_checked_at=timezone.now().isoformat())
        try:
            prepared = self.signable.prepare(
                target=target,
                person=person,
                certificate=certificate,
                evidence=evidence,
                context=Context.from_request(request),
            )
        except NotSignable as exc:
            return _not_signable(exc, links)
        except CertificateRejected as exc:
            return card_refusal(exc, links, other_way)
        except (SigningUnavailable, SigningError) as exc:
            logger.warning("eID signature not prepared (%s): %s", links.prepare, exc)
            return _unavailable()
        supported = _supported_hashes(body)
        if supported is not None and prepared.hash_function not in supported:
            return _other_way(
                "hash_unsupported",
                _("Your card cannot make this kind of signature."),
                links,
                other_way,
            )
        _keep(request, prepared.prepared_id, evidence)
        return JsonResponse(
            {
                "preparedId": prepared.prepared_id,
                "hash": base64.b64encode(prepared.digest).decode(),
                "hashFunction": prepared.hash_function,
            }
        )

    def finish(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Step 2: the card's signature put in the document and recorded,
        by one service; ``{redirect}`` to what comes next."""
        person = _person(request)
        try:
            target = self.signable.find(person, **kwargs)
        except NothingToSign as exc:
            return _not_signable(exc, None)
        limited = _limited(person, "finish", FINISHES_PER_WINDOW)
        if limited:
            return limited
        links = self.signable.links(target)
        body = _body(request)
        try:
            prepared_id = str(uuid.UUID(str(body.get("preparedId"))))
            signature = _base64(body.get("signature"), MAX_SIGNATURE_CHARS)
        except ValueError:
            return _refuse(
                "bad_request", _("Your card's signature could not be read. Start again.")
            )
        try:
            self.signable.finish(
                target=target,
                person=person,
                prepared_id=prepared_id,
                signature_value=signature,
                evidence=_kept(request, prepared_id),
                context=Context.from_request(request),
            )
        except NotSignable as exc:
            return _not_signable(exc, links)
        except SignatureValueMismatch:
            return _refuse(
                "signature_mismatch",
                _(
                    "The signature made by your card does not match the document. Nothing was "
                    "signed. Check that the same card is still in the reader and try again."
                ),
            )
        except PreparedSignatureUnavailable as exc:
            # Used up or gone because it was signed meanwhile: say that.
            refusal = self.signable.refusal(target, person)
            if refusal is not None:
                return _not_signable(refusal, links)
            return _start_again(
                "prepared_expired" if exc.code in ("expired", "used") else "prepared_unknown"
            )
        except (SigningUnavailable, SigningError) as exc:
            logger.warning("eID signature not finished (%s): %s", links.finish, exc)
            return _unavailable()
        except DatabaseError:
            # The service's transaction was rolled back: nothing was signed,
            # the prepared signature still works, the button stays usable.
            logger.exception("eID signature not recorded (%s)", links.finish)
            return _unavailable()
        _forget(request, prepared_id)
        return JsonResponse({"redirect": links.done})

"""Log-in and step-up with an identity provider (LG-5), and the eID card's
certificates kept for a person."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import (
    AssuranceLevel,
    Person,
)
from paraph.audit.services import audit_record
from paraph.core.context import Context
from paraph.identity.models import (
    EidCertificate,
    IdentityLink,
    IdentityMethod,
)
from paraph.identity.providers import IdentityClaims
from paraph.identity.services.common import (
    RegistrationConflict,
    claims_national_number,
    identity_login_record,
    registered_with_identity,
)

# --- Log-in with an identity provider; the eID card's certificates (LG-5) ----


class IdentityLoginOutcome(StrEnum):
    OK = "ok"
    NOT_REGISTERED = "not_registered"
    INACTIVE = "inactive"
    CONFLICT = "conflict"
    CONTACT_CENTRE = "contact_centre"


@dataclass(frozen=True)
class IdentityLoginResult:
    outcome: IdentityLoginOutcome
    person: Person | None = None


def _certificate_facts(certificate_der: bytes) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_der_x509_certificate(certificate_der)
    serial = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return {
        "fingerprint": hashlib.sha256(certificate_der).hexdigest(),
        "serial_number": format(cert.serial_number, "x"),
        "issuer": cert.issuer.rfc4514_string()[:300],
        "subject": cert.subject.rfc4514_string()[:300],
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "national_number": str(serial[0].value) if serial else "",
    }


def eid_certificate_store(*, person: Person, certificate_der: bytes) -> tuple[EidCertificate, bool]:
    facts = _certificate_facts(certificate_der)
    now = timezone.now()
    existing = EidCertificate.objects.select_for_update().filter(fingerprint=facts["fingerprint"])
    certificate = existing.first()
    if certificate is not None:
        if certificate.person_id != person.pk:
            raise RegistrationConflict(
                gettext("This eID card is linked to another account. Call the contact centre.")
            )
        certificate.last_seen_at = now
        certificate.save(update_fields=["last_seen_at"])
        return certificate, False
    certificate = EidCertificate.objects.create(
        person=person,
        fingerprint=facts["fingerprint"],
        serial_number=facts["serial_number"],
        issuer=facts["issuer"],
        subject=facts["subject"],
        not_before=facts["not_before"],
        not_after=facts["not_after"],
        certificate_der=certificate_der,
        first_seen_at=now,
        last_seen_at=now,
    )
    return certificate, True


def eid_certificate_record(
    *, person: Person, certificate_der: bytes, context: Context
) -> EidCertificate:
    """Record the eID authentication certificate ``certificate_der`` (DER)
    for ``person``, next to the ones already known (LG-5: a new card).
    The certificate must have been validated already (chain, OCSP: the
    Web eID validator's job); this only refuses, with ``ValueError``, one
    whose subject's national number is not the person's, and, with
    :class:`RegistrationConflict`, one recorded for another person. A
    known certificate only has its ``last_seen_at`` moved (no audit)."""
    facts = _certificate_facts(certificate_der)
    if not person.national_number or facts["national_number"] != person.national_number:
        raise ValueError("the certificate's national number is not the person's")
    with transaction.atomic():
        certificate, created = eid_certificate_store(person=person, certificate_der=certificate_der)
        if created:
            audit_record(
                name="identity.eid.certificate_recorded",
                actor=person,
                subject=person,
                data={
                    "fingerprint": certificate.fingerprint,
                    "serial_number": certificate.serial_number,
                    "issuer": certificate.issuer,
                    "not_after": certificate.not_after.isoformat(),
                    "known_certificates": EidCertificate.objects.filter(person=person).count(),
                },
                context=context,
            )
    return certificate


def _identity_person(claims: IdentityClaims) -> tuple[Person | None, IdentityLink | None]:
    link = (
        IdentityLink.objects.select_related("person")
        .filter(method=claims.method, subject=claims.subject)
        .first()
        if claims.subject
        else None
    )
    if link is not None:
        return link.person, link
    nn = claims_national_number(claims)
    if nn:
        return Person.objects.filter(national_number=nn).first(), None
    return None, None


def _link_rebind(
    *, person: Person, claims: IdentityClaims, context: Context
) -> IdentityLink | None:
    """A registered person logs in with an identity not yet linked: their
    itsme ``sub`` changed (itsme account re-created: the link is moved) or
    a new eID card (a link is added, the old card's stays)."""
    if not claims.subject:
        return None
    now = timezone.now()
    old = None
    if claims.method == IdentityMethod.ITSME:
        old = (
            IdentityLink.objects.select_for_update()
            .filter(person=person, method=claims.method)
            .order_by("-created_at")
            .first()
        )
    if old is not None:
        previous = old.subject
        old.subject = claims.subject
        old.last_used_at = now
        old.save(update_fields=["subject", "last_used_at"])
        link = old
        data = {
            "method": claims.method,
            "old": previous[:12] + "…",
            "new": claims.subject[:12] + "…",
        }
    else:
        link = IdentityLink.objects.create(
            person=person, method=claims.method, subject=claims.subject, last_used_at=now
        )
        data = {"method": claims.method, "new": claims.subject[:12] + "…"}
    audit_record(
        name="identity.link.rebound",
        actor=person,
        subject=person,
        data=data,
        context=context,
    )
    return link


def identity_login(
    *, context: Context, claims: IdentityClaims, purpose: str = "login"
) -> IdentityLoginResult:
    """Log in the registered person the claims name: by the provider
    identity already linked, or else by the national number (the itsme
    ``sub`` changes when an itsme account is re-created; a new eID card
    has a new certificate: the link is re-bound and, for the card, the
    certificate recorded next to the old one, LG-5).

    Answers ``not_registered`` when nobody registered matches (LG-1),
    ``inactive`` for a closed account, ``conflict`` when the linked person
    has another national number than the claims. With ``purpose``
    ``"new_phone"`` (LG-4), a person who registered below the high level
    (IDnow) is sent to the contact centre (``contact_centre``) instead of
    being logged in. A lock-out from wrong SMS codes does not stop this
    log-in: the provider is a stronger proof than the code.

    On ``ok`` the log-in is recorded; the view opens the session
    (``identity.sessions.identity_session_open``).
    """
    person, link = _identity_person(claims)
    nn = claims_national_number(claims)
    if person is None or not registered_with_identity(person):
        return IdentityLoginResult(IdentityLoginOutcome.NOT_REGISTERED)
    if nn and person.national_number and person.national_number != nn:
        return IdentityLoginResult(IdentityLoginOutcome.CONFLICT)
    if not person.is_active:
        return IdentityLoginResult(IdentityLoginOutcome.INACTIVE)
    if purpose == "new_phone" and person.assurance_level != AssuranceLevel.HIGH:
        return IdentityLoginResult(IdentityLoginOutcome.CONTACT_CENTRE, person)
    try:
        with transaction.atomic():
            if link is None:
                _link_rebind(person=person, claims=claims, context=context)
            else:
                IdentityLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
            if claims.certificate_der:
                eid_certificate_record(
                    person=person,
                    certificate_der=claims.certificate_der,
                    context=context,
                )
            identity_login_record(person=person, method=claims.method, context=context)
    except (ValueError, RegistrationConflict):
        return IdentityLoginResult(IdentityLoginOutcome.CONFLICT)
    return IdentityLoginResult(IdentityLoginOutcome.OK, person)


def identity_step_up(*, person: Person, claims: IdentityClaims, context: Context) -> bool:
    """The logged-in ``person`` proves again, with itsme or the eID card,
    that it is them (LG-3 needs it to change the e-mail address): true when
    the claims are high and carry the person's national number (or linked
    identity); the view then notes it in the session
    (``identity.sessions.identity_proof_note``)."""
    if not isinstance(person, Person) or claims.assurance != AssuranceLevel.HIGH:
        return False
    found, _link = _identity_person(claims)
    if found is None or found.pk != person.pk:
        return False
    with transaction.atomic():
        if claims.certificate_der:
            try:
                eid_certificate_record(
                    person=person,
                    certificate_der=claims.certificate_der,
                    context=context,
                )
            except (ValueError, RegistrationConflict):
                return False
        audit_record(
            name="identity.stepup.succeeded",
            actor=person,
            subject=person,
            data={"method": claims.method},
            context=context,
        )
    return True

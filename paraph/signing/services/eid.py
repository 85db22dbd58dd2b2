"""eID card signatures in two steps: prepared (the card's certificate
checked, the digest given out), finished (the card's signature value
put in the document), recorded; and the purge of prepared state that
was never finished."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.identity.trust import eid_trust
from paraph.signing import conf, engine
from paraph.signing.appearance import SignedWith, appearance
from paraph.signing.exceptions import PreparedSignatureUnavailable
from paraph.signing.models import (
    PreparedEidSignature,
)
from paraph.signing.services.common import signature_for_company, visible_signature

# --- eID card signatures in two steps --------------------------------------


@dataclass(frozen=True)
class EidSigningRequest:
    """What the browser needs for Web eID's ``sign(certificate, hash,
    hashFunction)``: the prepared signature's id, the hash and its name."""

    prepared_id: str
    digest: bytes
    hash_function: str  # "SHA-256" or "SHA-384"
    expires_at: datetime


def eid_signature_prepare(
    *,
    person: Person,
    document: bytes,
    document_ref: str,
    certificate: bytes,
    field_name: str | None = None,
    placement: engine.Placement | None = None,
    options: engine.SignOptions | None = None,
    context: Context = SYSTEM,
    for_company: tuple[str, str] | None = None,
) -> EidSigningRequest:
    """Check the card's signing certificate for ``person`` (chain to the
    configured Belgian CAs, nonRepudiation, valid now, not revoked, national
    number equal to the person's), prepare ``document`` with a visible
    signature (the card holder's name, "eID card", the time, in the
    person's language) in the empty field ``field_name`` that a certifying
    seal prepared, or at ``placement``, and keep the prepared state for
    :func:`eid_signature_finish`. Raises :class:`CertificateRejected` or
    :class:`DocumentRejected`."""
    if not person.national_number:
        from paraph.signing.exceptions import CertificateRejected

        raise CertificateRejected(
            "this person has no national register number: an eID card cannot be matched",
            code="wrong_person",
        )
    refused = eid_trust().refused_policy(certificate)
    if refused is not None:
        from paraph.signing.exceptions import CertificateRejected

        raise CertificateRejected(
            f"the certificate's policy {refused} is refused (EID_DISALLOWED_POLICIES)",
            code="policy",
        )
    config = conf.engine_config()
    card = engine.check_signing_certificate(
        certificate,
        national_number=person.national_number,
        trust=config.trust,
        eid_cas=conf.eid_cas(),
    )
    now = timezone.now()
    shown = appearance(
        signer_name=f"{card.given_name} {card.surname}".strip() or card.common_name,
        signed_with=SignedWith.EID,
        when=now,
        language=person.language,
        placement=placement,
        for_company=for_company,
    )
    prepared = engine.prepare_external(
        document,
        certificate=certificate,
        chain=conf.eid_cas(),
        config=config,
        options=signature_for_company(
            visible_signature(options, shown, field_name), for_company, person.language
        ),
    )
    with transaction.atomic():
        row = PreparedEidSignature.objects.create(
            person=person,
            document_ref=document_ref,
            document_sha256=hashlib.sha256(document).hexdigest(),
            certificate=certificate,
            prepared_pdf=prepared.pdf,
            document_digest=prepared.document_digest,
            reserved_region_start=prepared.reserved_region_start,
            reserved_region_end=prepared.reserved_region_end,
            signed_attributes=prepared.signed_attributes,
            digest_algorithm=prepared.digest_algorithm,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.SIGNING_PREPARED_TTL_SECONDS),
        )
        audit_record(
            name="signing.eid.prepared",
            actor=person,
            subject=row,
            data={"document": document_ref, "certificate_issuer": card.issuer},
            context=context,
        )
    return EidSigningRequest(
        prepared_id=str(row.pk),
        digest=prepared.digest_to_sign,
        hash_function={"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}[
            prepared.digest_algorithm
        ],
        expires_at=row.expires_at,
    )


def eid_signature_finish(
    *,
    person: Person,
    prepared_id: str,
    document_ref: str,
    signature_value: bytes,
    context: Context = SYSTEM,
) -> bytes:
    """The signed PDF, once the card's ``signature_value`` verifies against
    the prepared digest, and the prepared signature used up: for a caller
    with nothing else to record (a contract or a mandate records its
    signature with :func:`eid_signature_complete` and
    :func:`eid_signature_record`, in its own transaction)."""
    signed = eid_signature_complete(
        person=person,
        prepared_id=prepared_id,
        document_ref=document_ref,
        signature_value=signature_value,
    )
    with transaction.atomic():
        eid_signature_record(
            person=person,
            prepared_id=prepared_id,
            document_ref=document_ref,
            signed=signed,
            context=context,
        )
    return signed


def _prepared_usable(row: PreparedEidSignature | None) -> PreparedEidSignature:
    if row is None:
        raise PreparedSignatureUnavailable(
            "no signature was prepared for this person and document", code="unknown"
        )
    if row.finished_at is not None:
        raise PreparedSignatureUnavailable("this signature was already finished", code="used")
    if timezone.now() >= row.expires_at:
        raise PreparedSignatureUnavailable(
            "the prepared signature has expired: start again", code="expired"
        )
    return row


def eid_signature_complete(
    *, person: Person, prepared_id: str, document_ref: str, signature_value: bytes
) -> bytes:
    """The signed PDF, once the card's ``signature_value`` verifies against
    the prepared digest, with its time-stamp and validation data: the calls
    to the time-stamp authority and the OCSP responders, made outside any
    transaction. Writes nothing: only the person and document it was
    prepared for, only before it is used up or expires
    (:class:`PreparedSignatureUnavailable`); a value that does not verify
    raises :class:`SignatureValueMismatch`."""
    row = _prepared_usable(
        PreparedEidSignature.objects.filter(
            pk=prepared_id, person=person, document_ref=document_ref
        ).first()
    )
    prepared = engine.PreparedSignature(
        pdf=bytes(row.prepared_pdf),
        document_digest=bytes(row.document_digest),
        reserved_region_start=row.reserved_region_start,
        reserved_region_end=row.reserved_region_end,
        signed_attributes=bytes(row.signed_attributes),
        digest_algorithm=row.digest_algorithm,
    )
    return engine.finish_external(
        prepared,
        signature_value=signature_value,
        certificate=bytes(row.certificate),
        chain=conf.eid_cas(),
        config=conf.engine_config(),
    )


def eid_signature_record(
    *,
    person: Person,
    prepared_id: str,
    document_ref: str,
    signed: bytes,
    context: Context = SYSTEM,
) -> None:
    """The prepared signature used up, and the audit event that the card
    signed: in the caller's transaction, with what the signature is for
    (the contract or the mandate signed), so that both happen or neither.
    Refuses a prepared signature that was used up or expired meanwhile
    (:class:`PreparedSignatureUnavailable`)."""
    row = _prepared_usable(
        PreparedEidSignature.objects.select_for_update()
        .filter(pk=prepared_id, person=person, document_ref=document_ref)
        .first()
    )
    row.finished_at = timezone.now()
    row.prepared_pdf = b""  # the signed document now lives with its contract
    row.save(update_fields=["finished_at", "prepared_pdf"])
    audit_record(
        name="signing.eid.signed",
        actor=person,
        subject=row,
        data={"document": document_ref, "signed_sha256": hashlib.sha256(signed).hexdigest()},
        context=context,
    )


def prepared_eid_signatures_purge(*, context: Context = SYSTEM) -> int:
    """Delete the prepared eID signatures whose time is over (finished or
    not): their PDFs are of no further use, and the audit log keeps what
    happened. Returns how many were deleted; records one event when any."""
    with transaction.atomic():
        expired = PreparedEidSignature.objects.filter(expires_at__lte=timezone.now())
        count, _by_model = expired.delete()
        if count:
            audit_record(name="signing.eid.purged", data={"deleted": count}, context=context)
    return count

"""Every write of the signing app: one function, one transaction, one
audit event each. The cryptography is in :mod:`paraph.signing.engine`
(PDF signatures) and :mod:`paraph.signing.passwordkeys` (people's keys)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.signing import conf, engine, passwordkeys
from paraph.signing.exceptions import KeyUnavailable, PreparedSignatureUnavailable
from paraph.signing.models import PersonSigningKey, PreparedEidSignature
from paraph.signing.providers.keys import SoftwareKey

# A person's signing key locks after this many consecutive wrong passwords;
# the contact centre (or a renewed mandate) unlocks it.
PASSWORD_MAX_FAILURES = 5


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
    options: engine.SignOptions | None = None,
    request: HttpRequest | None = None,
) -> EidSigningRequest:
    """Check the card's signing certificate for ``person`` (chain to the
    configured Belgian CAs, nonRepudiation, valid now, not revoked, national
    number equal to the person's), prepare ``document`` and keep the
    prepared state for :func:`eid_signature_finish`. Raises
    :class:`CertificateRejected` or :class:`DocumentRejected`."""
    if not person.national_number:
        from paraph.signing.exceptions import CertificateRejected

        raise CertificateRejected(
            "this person has no national register number: an eID card cannot be matched",
            code="wrong_person",
        )
    config = conf.engine_config()
    card = engine.check_signing_certificate(
        certificate,
        national_number=person.national_number,
        trust=config.trust,
        eid_cas=conf.eid_cas(),
    )
    prepared = engine.prepare_external(
        document,
        certificate=certificate,
        chain=conf.eid_cas(),
        config=config,
        options=options or engine.SignOptions(),
    )
    now = timezone.now()
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
            request=request,
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
    request: HttpRequest | None = None,
) -> bytes:
    """The signed PDF, once the card's ``signature_value`` verifies against
    the prepared digest. Only the person and document it was prepared for,
    only once, only before it expires (:class:`PreparedSignatureUnavailable`);
    a value that does not verify raises :class:`SignatureValueMismatch` and
    leaves the prepared state usable."""
    with transaction.atomic():
        row = (
            PreparedEidSignature.objects.select_for_update()
            .filter(pk=prepared_id, person=person, document_ref=document_ref)
            .first()
        )
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
        prepared = engine.PreparedSignature(
            pdf=bytes(row.prepared_pdf),
            document_digest=bytes(row.document_digest),
            reserved_region_start=row.reserved_region_start,
            reserved_region_end=row.reserved_region_end,
            signed_attributes=bytes(row.signed_attributes),
            digest_algorithm=row.digest_algorithm,
        )
        signed = engine.finish_external(
            prepared,
            signature_value=signature_value,
            certificate=bytes(row.certificate),
            chain=conf.eid_cas(),
            config=conf.engine_config(),
        )
        row.finished_at = timezone.now()
        row.prepared_pdf = b""  # the signed document now lives with its contract
        row.save(update_fields=["finished_at", "prepared_pdf"])
        audit_record(
            name="signing.eid.signed",
            actor=person,
            subject=row,
            data={"document": document_ref, "signed_sha256": hashlib.sha256(signed).hexdigest()},
            request=request,
        )
    return signed


# --- Paraph's seal -----------------------------------------------------------


def seal_apply(
    *,
    document: bytes,
    document_ref: str,
    certify: bool = True,
    options: engine.SignOptions | None = None,
    request: HttpRequest | None = None,
) -> bytes:
    """``document`` sealed by Paraph (the sender's seal on a contract, or a
    mandate signed with a one-time code). By default the seal certifies the
    document and still allows the signatures that follow (DocMDP level 2)."""
    opts = options or engine.SignOptions(
        certify=certify, docmdp=engine.DocMdp.FILL_FORMS, reason="Paraph seal"
    )
    sealed = engine.sign_pdf(
        document, key=conf.seal_key(), config=conf.engine_config(), options=opts
    )
    with transaction.atomic():
        audit_record(
            name="signing.seal.applied",
            data={"document": document_ref, "signed_sha256": hashlib.sha256(sealed).hexdigest()},
            request=request,
        )
    return sealed


# --- password keys under a mandate ------------------------------------------


def signing_key_issue(
    *,
    person: Person,
    password: str,
    mandate_ref: str,
    valid_until: datetime,
    request: HttpRequest | None = None,
) -> PersonSigningKey:
    """Issue ``person`` a new key pair and a certificate from Paraph's
    signing CA valid from now until ``valid_until`` (the mandate's end); the
    private key is stored encrypted under ``password``. A key the person
    already had is retired in the same transaction: it never signs again."""
    now = timezone.now()
    if valid_until <= now:
        raise KeyUnavailable("the mandate has already ended", code="expired")
    ca = conf.signing_ca_key()
    private_key = passwordkeys.generate_key_pair()
    certificate = passwordkeys.issue_certificate(
        ca,
        private_key.public_key(),
        given_name=person.first_name,
        surname=person.last_name,
        national_number=person.national_number,
        not_before=now - timedelta(minutes=5),  # tolerate clock skew at validators
        not_after=valid_until,
    )
    ciphertext, kdf = passwordkeys.encrypt_private_key(
        private_key, password, certificate=certificate
    )
    del private_key
    with transaction.atomic():
        retired = list(
            PersonSigningKey.objects.select_for_update()
            .filter(person=person, retired_at__isnull=True)
            .values_list("pk", flat=True)
        )
        PersonSigningKey.objects.filter(pk__in=retired).update(retired_at=now)
        key = PersonSigningKey.objects.create(
            person=person,
            mandate_ref=mandate_ref,
            certificate=certificate,
            encrypted_private_key=ciphertext,
            kdf=kdf,
            not_before=now - timedelta(minutes=5),
            not_after=valid_until,
            created_at=now,
        )
        audit_record(
            name="signing.key.issued",
            actor=person,
            subject=key,
            data={
                "mandate": mandate_ref,
                "valid_until": valid_until.isoformat(),
                "retired": retired,
            },
            request=request,
        )
    return key


def signing_key_retire(
    *, key: PersonSigningKey, reason: str, request: HttpRequest | None = None
) -> None:
    """Retire ``key`` (mandate expired, revoked or renewed): it never signs
    again, and its encrypted private key is erased."""
    with transaction.atomic():
        locked = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.retired_at is not None:
            return
        locked.retired_at = timezone.now()
        locked.encrypted_private_key = b""
        locked.save(update_fields=["retired_at", "encrypted_private_key"])
        audit_record(
            name="signing.key.retired", subject=locked, data={"reason": reason}, request=request
        )


def _unlock(
    *, person: Person, password: str, request: HttpRequest | None
) -> tuple[PersonSigningKey, SoftwareKey]:
    key = PersonSigningKey.objects.filter(person=person, retired_at__isnull=True).first()
    if key is None:
        raise KeyUnavailable(
            "there is no active signing key: sign a mandate first", code="no_active_key"
        )
    if timezone.now() >= key.not_after:
        raise KeyUnavailable("the mandate and its signing key have expired", code="expired")
    if key.failed_attempts >= PASSWORD_MAX_FAILURES:
        raise KeyUnavailable(
            "the signing key is locked after too many wrong passwords", code="locked"
        )
    ca = conf.signing_ca_key()
    try:
        unlocked = passwordkeys.decrypt_private_key(
            bytes(key.encrypted_private_key),
            key.kdf,
            password,
            certificate=bytes(key.certificate),
            chain=(ca.certificate, *ca.chain),
        )
    except KeyUnavailable as exc:
        if exc.code == "wrong_password":
            # counted in its own transaction, so the count survives the error
            with transaction.atomic():
                failures = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
                failures.failed_attempts += 1
                failures.save(update_fields=["failed_attempts"])
                audit_record(
                    name="signing.key.unlock_failed",
                    actor=person,
                    subject=failures,
                    data={"failed_attempts": failures.failed_attempts},
                    request=request,
                )
        raise
    return key, unlocked


def password_signature_make(
    *,
    person: Person,
    document: bytes,
    document_ref: str,
    password: str,
    options: engine.SignOptions | None = None,
    request: HttpRequest | None = None,
) -> bytes:
    """``document`` signed (PAdES) with ``person``'s own key, unlocked with
    ``password``. A wrong password raises :class:`KeyUnavailable`
    (``wrong_password``) and counts toward the lock-out."""
    key, unlocked = _unlock(person=person, password=password, request=request)
    try:
        signed = engine.sign_pdf(
            document,
            key=unlocked,
            config=conf.engine_config(),
            options=options or engine.SignOptions(),
        )
    finally:
        # Python cannot scrub memory; dropping the only reference is what is possible
        del unlocked
    with transaction.atomic():
        PersonSigningKey.objects.filter(pk=key.pk).update(failed_attempts=0)
        audit_record(
            name="signing.password.signed",
            actor=person,
            subject=key,
            data={"document": document_ref, "signed_sha256": hashlib.sha256(signed).hexdigest()},
            request=request,
        )
    return signed

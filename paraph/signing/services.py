"""Every write of the signing app: one function, one transaction, one
audit event each. The cryptography is in :mod:`paraph.signing.engine`
(PDF signatures) and :mod:`paraph.signing.passwordkeys` (people's keys)."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.core.ratelimit import ratelimit_hit, ratelimit_reset
from paraph.identity.trust import eid_trust
from paraph.signing import conf, engine, passwordkeys
from paraph.signing.appearance import BRUSSELS, SignedWith, appearance, signed_for_reason
from paraph.signing.exceptions import KeyUnavailable, PreparedSignatureUnavailable, SigningError
from paraph.signing.models import (
    PersonSigningKey,
    PreparedEidSignature,
    RevocationReason,
    SigningCrl,
)
from paraph.signing.providers.keys import SoftwareKey

# Password signing locks for PASSWORD_LOCKOUT after PASSWORD_MAX_FAILURES
# consecutive wrong passwords on a key (and again after each further one),
# and until the day's window ends after PASSWORD_FAILURES_PER_DAY wrong
# passwords of one person, whatever key (a renewal starts a new key's count).
# The contact centre can lift a lock (person_signing_key_unlock).
PASSWORD_MAX_FAILURES = 5
PASSWORD_LOCKOUT = timedelta(minutes=30)
PASSWORD_FAILURES_PER_DAY = 10
PASSWORD_RATE_SCOPE = "signing.password.person"

# Paraph's CRL: valid for a week, replaced every day by the periodic task
# (and at once when a key is retired), so validators never see a stale one.
CRL_VALIDITY = timedelta(days=7)
CRL_REFRESH_AFTER = timedelta(days=1)
CRL_PATH = "/pki/signing-ca.crl"


def crl_url() -> str | None:
    """Where validators fetch Paraph's CRL (from ``BASE_URL``)."""
    return f"{settings.BASE_URL}{CRL_PATH}" if settings.BASE_URL else None


def _visible(
    options: engine.SignOptions | None, make: engine.Appearance, field_name: str | None = None
) -> engine.SignOptions:
    """``options`` with the appearance ``make`` (unless the caller gave one),
    filling the field ``field_name`` when one is named."""
    options = options or engine.SignOptions()
    if field_name:
        options = dataclasses.replace(options, field_name=field_name)
    if options.appearance is not None:
        return options
    return dataclasses.replace(options, appearance=make)


def _for_company(
    options: engine.SignOptions, for_company: tuple[str, str] | None, language: str | None
) -> engine.SignOptions:
    """A signature made for a company says so in its /Reason as well as on
    its stamp (unless the caller gave a reason)."""
    reason = signed_for_reason(for_company, language)
    if reason is None or options.reason:
        return options
    return dataclasses.replace(options, reason=reason)


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
        options=_for_company(_visible(options, shown, field_name), for_company, person.language),
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


# --- Paraph's seal -----------------------------------------------------------


def seal_apply(
    *,
    document: bytes,
    document_ref: str,
    certify: bool = True,
    placement: engine.Placement | None = None,
    language: str | None = None,
    slots: tuple[engine.SignatureSlot, ...] = (),
    options: engine.SignOptions | None = None,
    context: Context = SYSTEM,
) -> bytes:
    """``document`` sealed by Paraph (the sender's seal on a contract, or a
    mandate signed with a one-time code). By default the seal certifies the
    document and still allows the signatures that follow (DocMDP level 2).
    The seal is visible at ``placement``, worded in ``language`` (the
    recipient's). ``slots`` are the empty signature fields of the people who
    sign next: once a document is certified, a signature can only be
    visible in a field the certification already holds."""
    key = conf.seal_key()
    opts = options or engine.SignOptions(
        certify=certify, docmdp=engine.DocMdp.FILL_FORMS, reason="Paraph seal"
    )
    shown = appearance(
        signer_name=engine.common_name(key.certificate),
        signed_with=SignedWith.SEAL,
        when=timezone.now(),
        language=language,
        placement=placement,
    )
    opts = _visible(opts, shown)
    if slots:
        opts = dataclasses.replace(opts, slots=tuple(slots))
    sealed = engine.sign_pdf(document, key=key, config=conf.engine_config(), options=opts)
    with transaction.atomic():
        audit_record(
            name="signing.seal.applied",
            data={"document": document_ref, "signed_sha256": hashlib.sha256(sealed).hexdigest()},
            context=context,
        )
    return sealed


# --- password keys under a mandate ------------------------------------------


def signing_key_issue(
    *,
    person: Person,
    password: str,
    mandate_ref: str,
    valid_until: datetime,
    context: Context = SYSTEM,
) -> PersonSigningKey:
    """Issue ``person`` a new key pair and a certificate from Paraph's
    signing CA valid from now until ``valid_until`` (the mandate's end); the
    private key is stored encrypted under ``password``. A key the person
    already had is retired (superseded) in the same transaction: it never
    signs again, but it is not revoked, so what it signed stays valid."""
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
        crl_url=crl_url(),
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
        PersonSigningKey.objects.filter(pk__in=retired).update(
            retired_at=now, encrypted_private_key=b""
        )
        key = PersonSigningKey.objects.create(
            person=person,
            mandate_ref=mandate_ref,
            certificate=certificate,
            serial_number=format(passwordkeys.certificate_serial(certificate), "x"),
            encrypted_private_key=ciphertext,
            kdf=kdf,
            not_before=now - timedelta(minutes=5),
            not_after=valid_until,
            created_at=now,
        )
        # A validator must find a CRL at the address the new certificate
        # names, even an empty one.
        crl = None if SigningCrl.objects.exists() else _crl_publish(now)
        audit_record(
            name="signing.key.issued",
            actor=person,
            subject=key,
            data={
                "mandate": mandate_ref,
                "valid_until": valid_until.isoformat(),
                "serial_number": key.serial_number,
                "retired": retired,
                "crl_number": crl.number if crl else None,
            },
            context=context,
        )
    return key


def signing_key_retire(
    *,
    key: PersonSigningKey,
    reason: str,
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> None:
    """Retire ``key`` (its mandate expired, was revoked or renewed): it never
    signs again and its encrypted private key is erased. Its certificate is
    not revoked: what it signed while the mandate ran stays valid, today and
    years later (ES-7, ES-11). ``reason`` is the words kept in the audit log.
    A compromised key is revoked instead: :func:`signing_key_revoke`."""
    with transaction.atomic():
        locked = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.retired_at is not None:
            return
        locked.retired_at = timezone.now()
        locked.encrypted_private_key = b""
        locked.save(update_fields=["retired_at", "encrypted_private_key"])
        audit_record(
            name="signing.key.retired",
            actor=actor,
            subject=locked,
            data={"reason": reason, "serial_number": locked.serial_number},
            context=context,
        )
    key.retired_at = locked.retired_at


def signing_key_revoke(
    *,
    key: PersonSigningKey,
    reason: str,
    actor: Person | None = None,
    context: Context = SYSTEM,
) -> None:
    """Revoke ``key`` because it (or the password that protects it) may be
    known to someone else: it is retired if it was not, and its certificate
    goes on Paraph's CRL (reason keyCompromise), published in the same
    transaction. Validators then refuse every signature it made, before as
    after, since nobody can tell which were the person's own. ``reason`` is
    the words kept in the audit log."""
    with transaction.atomic():
        locked = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is not None:
            return
        now = timezone.now()
        locked.retired_at = locked.retired_at or now
        locked.revoked_at = now
        locked.revocation_reason = RevocationReason.KEY_COMPROMISE
        locked.encrypted_private_key = b""
        locked.save(
            update_fields=["retired_at", "revoked_at", "revocation_reason", "encrypted_private_key"]
        )
        crl = _crl_publish(now)
        audit_record(
            name="signing.key.revoked",
            actor=actor,
            subject=locked,
            data={
                "reason": reason,
                "revocation_reason": str(RevocationReason.KEY_COMPROMISE),
                "serial_number": locked.serial_number,
                "crl_number": crl.number,
            },
            context=context,
        )
    key.retired_at, key.revoked_at = locked.retired_at, locked.revoked_at
    key.revocation_reason = locked.revocation_reason


# --- Paraph's certificate revocation list ------------------------------------


def crl_due(crl: SigningCrl, now: datetime) -> bool:
    return now - crl.this_update >= CRL_REFRESH_AFTER or crl.next_update <= now


def _crl_publish(now: datetime) -> SigningCrl:
    """A new CRL listing every revoked key, numbered after the last one; in
    the caller's transaction (so a revoked key is never missing from the
    CRL that is served). Not audited on its own: its callers are."""
    ca = conf.signing_ca_key()
    revoked = [
        passwordkeys.Revoked(
            serial_number=int(serial, 16),
            revoked_at=revoked_at or now,  # never None: the query asks for revoked keys
            reason=reason or RevocationReason.KEY_COMPROMISE,
        )
        for serial, revoked_at, reason in PersonSigningKey.objects.filter(revoked_at__isnull=False)
        .exclude(serial_number="")
        .order_by("revoked_at", "pk")
        .values_list("serial_number", "revoked_at", "revocation_reason")
    ]
    for _attempt in range(3):
        last = SigningCrl.objects.select_for_update().order_by("-number").first()
        number = (last.number if last else 0) + 1
        der = passwordkeys.build_crl(
            ca,
            number=number,
            revoked=revoked,
            this_update=now,
            next_update=now + CRL_VALIDITY,
        )
        try:
            with transaction.atomic():
                return SigningCrl.objects.create(
                    number=number,
                    this_update=now,
                    next_update=now + CRL_VALIDITY,
                    entries=len(revoked),
                    der=der,
                )
        except IntegrityError:  # another process published this number first
            continue
    raise SigningError("the CRL could not be numbered; try again")


def signing_crl_refresh(*, force: bool = False, context: Context = SYSTEM) -> SigningCrl:
    """The current CRL, replaced by a new one when there is none, when it
    is ``CRL_REFRESH_AFTER`` old (it stays valid for ``CRL_VALIDITY``, so a
    few missed runs do no harm), or when ``force`` is set. Run by the
    periodic task and by the page that serves the CRL."""
    now = timezone.now()
    with transaction.atomic():
        current = SigningCrl.objects.order_by("-number").first()
        if not force and current is not None and not crl_due(current, now):
            return current
        crl = _crl_publish(now)
        audit_record(
            name="signing.crl.published",
            data={
                "number": crl.number,
                "entries": crl.entries,
                "next_update": crl.next_update.isoformat(),
            },
            context=context,
        )
    return crl


def _locked(locked_until: datetime, person: Person) -> KeyUnavailable:
    """The refusal a locked person reads: until when, and what still works
    (the eID card only for a person whose national number can match it)."""
    local = timezone.localtime(locked_until, BRUSSELS)
    if person.national_number:
        message = gettext(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. You can still sign with your eID card, or call the "
            "contact centre to unlock it."
        )
    else:
        message = gettext(
            "Password signing is locked until %(date)s, %(time)s (Brussels time) after too "
            "many wrong passwords. Call the contact centre to unlock it."
        )
    exc = KeyUnavailable(
        message
        % {
            "date": formats.date_format(local, "DATE_FORMAT"),
            "time": formats.time_format(local, "H:i"),
        },
        code="locked",
    )
    exc.locked_until = locked_until
    return exc


def _count_wrong_password(
    *, person: Person, key: PersonSigningKey, context: Context
) -> datetime | None:
    """Count a wrong password on the key and in the person's daily rate
    limit, in its own transaction (the count survives the error); returns
    the end of the lock it causes, if any."""
    now = timezone.now()
    daily = ratelimit_hit(
        scope=PASSWORD_RATE_SCOPE,
        key=str(person.pk),
        limit=PASSWORD_FAILURES_PER_DAY,
        window_seconds=24 * 3600,
    )
    with transaction.atomic():
        counted = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        counted.failed_attempts += 1
        ends = []
        if counted.failed_attempts >= PASSWORD_MAX_FAILURES:
            ends.append(now + PASSWORD_LOCKOUT)
        if not daily.allowed:
            ends.append(now + timedelta(seconds=daily.retry_after))
        locked_until = max(ends) if ends else None
        if locked_until is not None:
            counted.locked_until = locked_until
        counted.save(update_fields=["failed_attempts", "locked_until"])
        audit_record(
            name="signing.key.unlock_failed",
            actor=person,
            subject=counted,
            data={
                "failed_attempts": counted.failed_attempts,
                "locked_until": locked_until.isoformat() if locked_until else None,
            },
            context=context,
        )
    return locked_until


def _unlock(
    *, person: Person, password: str, context: Context
) -> tuple[PersonSigningKey, SoftwareKey]:
    key = PersonSigningKey.objects.filter(person=person, retired_at__isnull=True).first()
    if key is None:
        raise KeyUnavailable(
            "there is no active signing key: sign a mandate first", code="no_active_key"
        )
    if timezone.now() >= key.not_after:
        raise KeyUnavailable("the mandate and its signing key have expired", code="expired")
    if key.locked_until is not None and key.locked_until > timezone.now():
        raise _locked(key.locked_until, person)  # refused before any (costly) derivation
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
            locked_until = _count_wrong_password(person=person, key=key, context=context)
            if locked_until is not None:
                raise _locked(locked_until, person) from exc
        raise
    return key, unlocked


def person_signing_key_unlock(
    *, key: PersonSigningKey, actor: Person, reason: str, context: Context = SYSTEM
) -> bool:
    """Lift a password-signing lock (the contact centre, once it has checked
    who is calling): the key's count of wrong passwords and the person's
    daily limit start again. ``reason`` goes in the audit log. Returns
    False, and records nothing, when there was nothing to lift."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required to unlock password signing")
    with transaction.atomic():
        locked = PersonSigningKey.objects.select_for_update().get(pk=key.pk)
        if locked.retired_at is not None or (
            locked.failed_attempts == 0 and locked.locked_until is None
        ):
            return False
        old = {
            "failed_attempts": locked.failed_attempts,
            "locked_until": locked.locked_until.isoformat() if locked.locked_until else None,
        }
        locked.failed_attempts = 0
        locked.locked_until = None
        locked.save(update_fields=["failed_attempts", "locked_until"])
        ratelimit_reset(scope=PASSWORD_RATE_SCOPE, key=str(locked.person_id))
        audit_record(
            name="signing.key.unlocked",
            actor=actor,
            subject=locked,
            data={"reason": reason, "old": old},
            context=context,
        )
    key.failed_attempts, key.locked_until = 0, None
    return True


def password_signature_make(
    *,
    person: Person,
    document: bytes,
    document_ref: str,
    password: str,
    field_name: str | None = None,
    placement: engine.Placement | None = None,
    options: engine.SignOptions | None = None,
    context: Context = SYSTEM,
) -> bytes:
    """``document`` signed with ``person``'s password key and the signature
    in the audit log: for a caller with nothing else to record (a contract
    records its signature with :func:`password_signature_complete` and
    :func:`password_signature_record`, in its own transaction)."""
    done = password_signature_complete(
        person=person,
        document=document,
        password=password,
        field_name=field_name,
        placement=placement,
        options=options,
        context=context,
    )
    with transaction.atomic():
        password_signature_record(
            person=person, done=done, document_ref=document_ref, context=context
        )
    return done.signed


@dataclass(frozen=True)
class PasswordSigned:
    """A document signed with a person's password key (not recorded yet)."""

    signed: bytes
    key_id: int


def password_signature_complete(
    *,
    person: Person,
    document: bytes,
    password: str,
    field_name: str | None = None,
    placement: engine.Placement | None = None,
    options: engine.SignOptions | None = None,
    context: Context = SYSTEM,
    for_company: tuple[str, str] | None = None,
) -> PasswordSigned:
    """``document`` signed (PAdES) with ``person``'s own key, unlocked with
    ``password``, visibly (name, "password under mandate no. X", the time,
    in the person's language) in the empty field ``field_name`` or at
    ``placement``; the time-stamp authority is called outside any
    transaction. A wrong password raises :class:`KeyUnavailable`
    (``wrong_password``) and counts toward the lock-out; the right one
    resets the count."""
    key, unlocked = _unlock(person=person, password=password, context=context)
    shown = appearance(
        signer_name=person.get_full_name() or engine.common_name(bytes(key.certificate)),
        signed_with=SignedWith.PASSWORD,
        when=timezone.now(),
        language=person.language,
        placement=placement,
        mandate_ref=key.mandate_ref,
        for_company=for_company,
    )
    try:
        signed = engine.sign_pdf(
            document,
            key=unlocked,
            config=conf.engine_config(),
            options=_for_company(
                _visible(options, shown, field_name), for_company, person.language
            ),
        )
    finally:
        # Python cannot scrub memory; dropping the only reference is what is possible
        del unlocked
    PersonSigningKey.objects.filter(pk=key.pk).update(failed_attempts=0, locked_until=None)
    ratelimit_reset(scope=PASSWORD_RATE_SCOPE, key=str(person.pk))
    return PasswordSigned(signed=signed, key_id=key.pk)


def password_signature_record(
    *,
    person: Person,
    done: PasswordSigned,
    document_ref: str,
    context: Context = SYSTEM,
) -> None:
    """The signature in the audit log: in the caller's transaction, with
    what it signed (the contract), so that both happen or neither."""
    audit_record(
        name="signing.password.signed",
        actor=person,
        subject=PersonSigningKey.objects.get(pk=done.key_id),
        data={
            "document": document_ref,
            "signed_sha256": hashlib.sha256(done.signed).hexdigest(),
        },
        context=context,
    )


def document_archive_renew(data: bytes) -> bytes:
    """``data`` with a new document time-stamp from the configured TSA and
    the validation data of the previous one (archive renewal). A network
    call to the TSA and to revocation services: never run it inside a
    transaction others wait on. Raises :class:`SigningError` (``tsa_expiring``
    when the TSA's certificate would not outlive the newest time-stamp's)."""
    return engine.archive_renew(data, conf.engine_config())

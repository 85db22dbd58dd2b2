"""People's signing keys under a mandate: issued, retired when the mandate
ends, revoked only when compromised."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.signing import conf, passwordkeys
from paraph.signing.exceptions import KeyUnavailable
from paraph.signing.models import (
    PersonSigningKey,
    RevocationReason,
    SigningCrl,
)
from paraph.signing.services.common import crl_url
from paraph.signing.services.crl import crl_publish

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
        crl = None if SigningCrl.objects.exists() else crl_publish(now)
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
        crl = crl_publish(now)
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

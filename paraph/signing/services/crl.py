"""Paraph's certificate revocation list: published, and refreshed when due."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.signing import conf, passwordkeys
from paraph.signing.exceptions import SigningError
from paraph.signing.models import (
    PersonSigningKey,
    RevocationReason,
    SigningCrl,
)
from paraph.signing.services.common import CRL_REFRESH_AFTER, CRL_VALIDITY

# --- Paraph's certificate revocation list ------------------------------------


def crl_due(crl: SigningCrl, now: datetime) -> bool:
    return now - crl.this_update >= CRL_REFRESH_AFTER or crl.next_update <= now


def crl_publish(now: datetime) -> SigningCrl:
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
        crl = crl_publish(now)
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

"""Reads of the signing app that pages and the engine's configuration share."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError

from paraph.signing import conf, engine
from paraph.signing.models import SigningCrl


def signing_crl_current() -> SigningCrl | None:
    """The newest CRL of Paraph's signing CA, or None (none published yet,
    or no database to read it from, as for ``paraph verify`` on a machine
    that only validates)."""
    try:
        return SigningCrl.objects.order_by("-number").first()
    except DatabaseError:
        return None


def signature_report(data: bytes) -> engine.ValidationReport:
    """The report on every signature of a PDF, as ``paraph verify`` and the
    /verify/ page give it: Paraph's trust configuration and the extra roots
    of the public verification (the Belgian eID roots), its own CRL, and
    the configured size limit. Unreadable input raises
    :class:`~paraph.signing.exceptions.DocumentRejected`."""
    return engine.validate_pdf(
        data, trust=conf.verify_trust(), max_bytes=settings.SIGNING_MAX_PDF_BYTES
    )


def archive_state(data: bytes) -> engine.ArchiveState:
    """Where a signed document's proof of existence stands (its newest
    document time-stamp and when that one's certificate ends)."""
    return engine.archive_state(data)

"""Paraph's seal on a document, and a signed document's archive
time-stamp renewed."""

from __future__ import annotations

import dataclasses
import hashlib

from django.db import transaction
from django.utils import timezone

from paraph.audit.services import audit_record
from paraph.core.context import SYSTEM, Context
from paraph.signing import conf, engine
from paraph.signing.appearance import SignedWith, appearance
from paraph.signing.services.common import visible_signature

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
    opts = visible_signature(opts, shown)
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


def document_archive_renew(data: bytes) -> bytes:
    """``data`` with a new document time-stamp from the configured TSA and
    the validation data of the previous one (archive renewal). A network
    call to the TSA and to revocation services: never run it inside a
    transaction others wait on. Raises :class:`SigningError` (``tsa_expiring``
    when the TSA's certificate would not outlive the newest time-stamp's)."""
    return engine.archive_renew(data, conf.engine_config())

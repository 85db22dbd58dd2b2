"""Signing with a key Paraph holds (the seal, a person's key under a
mandate), and sealed statements that are not PDFs (CMS over bytes)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms, extract_tst_data_iter

from paraph.signing.engine.cms import (
    cached_signer,
    cached_timestamper,
    digest_algorithm_for,
    name_attribute,
    trust_validation_context,
)
from paraph.signing.engine.longterm import extend_signed
from paraph.signing.engine.options import EngineConfig, SignOptions, Trust
from paraph.signing.engine.reading import check_document, check_not_locked
from paraph.signing.engine.runtime import release_contexts, run
from paraph.signing.engine.stamp import plan_signature
from paraph.signing.engine.writer import (
    map_pyhanko_errors,
)
from paraph.signing.metrics import signature_observed
from paraph.signing.providers import SigningKey

# --- signing with a key Paraph holds ---------------------------------------

_size_estimates: dict[tuple[bytes, int, bool], int] = {}


@signature_observed("key")
async def async_sign_pdf(
    data: bytes, *, key: SigningKey, config: EngineConfig, options: SignOptions = SignOptions()
) -> bytes:
    """``data`` signed with ``key`` at the configured PAdES level (B-T at
    least: a time-stamp authority that does not answer fails the signature,
    :class:`TimestampUnavailable`). Refuses damaged, encrypted, oversized or
    non-PDF input with :class:`DocumentRejected`."""
    reader = check_document(data, config.max_bytes)
    certified = check_not_locked(reader)
    level = options.level or config.level
    signer = cached_signer(key)
    md = digest_algorithm_for(signer.signing_cert)
    plan = plan_signature(
        reader, options, config, signer=signer, md_algorithm=md, certified=certified
    )
    # The CMS size depends on the key, the TSA and certification only: after
    # the first document it is known, and the dry run is skipped.
    size_key = (bytes(key.certificate), id(config.timestamp_authority), options.certify)
    estimate = _size_estimates.get(size_key)
    try:
        writer = plan.writer(reader)
        try:
            output = await plan.pdf_signer.async_sign_pdf(
                writer,
                bytes_reserved=estimate,
                output=io.BytesIO(),
                appearance_text_params=plan.text_params,
            )
        except PyHankoSigningError:
            if estimate is None:
                raise
            # the remembered size was too small (a longer TSA answer): size it again
            _size_estimates.pop(size_key, None)
            fresh = PdfFileReader(io.BytesIO(data))  # the first attempt changed the writer's
            writer = plan.writer(fresh)
            output = await plan.pdf_signer.async_sign_pdf(
                writer, output=io.BytesIO(), appearance_text_params=plan.text_params
            )
    except Exception as exc:
        raise map_pyhanko_errors(exc) from exc
    signed = output.getvalue()
    if size_key not in _size_estimates:
        _size_estimates[size_key] = _reserved_size(signed) + 2048
    return await extend_signed(signed, level, config, written_by=writer)


def sign_pdf(
    data: bytes, *, key: SigningKey, config: EngineConfig, options: SignOptions = SignOptions()
) -> bytes:
    """Sync entry point of :func:`async_sign_pdf`."""
    return run(async_sign_pdf(data, key=key, config=config, options=options))


def _reserved_size(signed: bytes) -> int:
    """The /Contents hex length of the newest signature (to size the next)."""
    reader = PdfFileReader(io.BytesIO(signed))
    sig = reader.embedded_signatures[-1]
    start, end = sig.byte_range[1], sig.byte_range[2]
    return end - start - 2


# --- sealed statements (not PDFs) ---------------------------------------------


def seal_bytes(data: bytes, *, key: SigningKey, config: EngineConfig) -> bytes:
    """A detached CMS signature of ``data`` by ``key`` (CAdES signed
    attributes) with an RFC 3161 signature time-stamp from the configured
    authority: what Paraph seals that is not a PDF (the audit log's
    checkpoints). ``openssl cms -verify -binary -content`` checks it."""

    async def _seal() -> bytes:
        try:
            signed = await cached_signer(key).async_sign_general_data(
                data,
                "sha256",
                detached=True,
                use_cades=True,
                timestamper=cached_timestamper(config.timestamp_authority),
            )
        except Exception as exc:
            raise map_pyhanko_errors(exc) from exc
        return bytes(signed.dump())

    return run(_seal())


@dataclass(frozen=True)
class SealedBytesStatus:
    """What a detached seal over some bytes proves: ``valid`` when the bytes
    are the ones sealed, the signature verifies, its time-stamp verifies and
    both chain to a trusted root at the time-stamp's moment."""

    valid: bool
    signer: str
    timestamp: datetime | None
    reason: str


def verify_sealed_bytes(data: bytes, seal: bytes, trust: Trust) -> SealedBytesStatus:
    """Check a seal made by :func:`seal_bytes` (or any detached CMS
    signature with a signature time-stamp), validating the certificates at
    the moment the time-stamp proves, so a seal key that rotated or expired
    since still proves what it sealed."""

    async def _verify() -> SealedBytesStatus:
        try:
            info = cms.ContentInfo.load(seal)
            signed_data = info["content"]
            signer_info = signed_data["signer_infos"][0]
            tokens = list(extract_tst_data_iter(signer_info, signed=False))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            return SealedBytesStatus(False, "", None, f"the seal cannot be read: {exc}")
        if not tokens:
            return SealedBytesStatus(False, "", None, "the seal has no time-stamp")
        moment = tokens[0]["encap_content_info"]["content"].parsed["gen_time"].native
        vc = trust_validation_context(trust, moment=moment)
        ts_vc = trust_validation_context(trust, moment=moment)
        try:
            status = await async_validate_detached_cms(
                data, signed_data, signer_validation_context=vc, ts_validation_context=ts_vc
            )
        except Exception as exc:  # a damaged structure is a refused seal
            return SealedBytesStatus(False, "", moment, f"the seal cannot be validated: {exc}")
        finally:
            await release_contexts(vc, ts_vc)
        signer = name_attribute(status.signing_cert.subject, "common_name")
        ts = status.timestamp_validity
        if not (status.intact and status.valid):
            return SealedBytesStatus(False, signer, moment, "the sealed bytes were changed")
        if not status.trusted:
            return SealedBytesStatus(
                False, signer, moment, "the seal is not made by a key Paraph trusts"
            )
        if ts is None or not (ts.intact and ts.valid and ts.trusted):
            return SealedBytesStatus(False, signer, moment, "the seal's time-stamp is not valid")
        return SealedBytesStatus(True, signer, ts.timestamp, "")

    return run(_verify())

"""Two-step signatures, whose key is on a card: the document prepared and
its digest given out, then the card's signature value checked and
embedded; and the check of a card's signing certificate."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import cms, x509
from cryptography import x509 as crypto_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from pyhanko.sign import signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import (
    PdfTBSDocument,
)
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import (
    InvalidCertificateError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)
from pyhanko_certvalidator.registry import SimpleCertificateStore

from paraph.signing.engine.cms import (
    cached_timestamper,
    digest_algorithm_for,
    load_cert,
    name_attribute,
    signature_size,
    trust_validation_context,
)
from paraph.signing.engine.longterm import extend_signed
from paraph.signing.engine.options import EngineConfig, Level, SignOptions, Trust
from paraph.signing.engine.reading import check_document, check_not_locked
from paraph.signing.engine.runtime import release_contexts, run
from paraph.signing.engine.stamp import plan_signature
from paraph.signing.engine.writer import (
    map_pyhanko_errors,
)
from paraph.signing.exceptions import (
    CertificateRejected,
    SignatureValueMismatch,
)
from paraph.signing.metrics import signature_observed

# --- two-step signatures (the key is on a card) -----------------------------


@dataclass(frozen=True)
class PreparedSignature:
    """What survives between the two requests of a card signature: the PDF
    with its placeholder, where the placeholder is, the document digest and
    the CMS signed attributes the card must sign. Plain bytes and integers,
    so it can be stored in the database and finished by any web process."""

    pdf: bytes = field(repr=False)
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes = field(repr=False)
    digest_algorithm: str

    @property
    def digest_to_sign(self) -> bytes:
        """The hash the card signs: ``digest_algorithm`` over the DER signed
        attributes (what Web eID's ``sign(certificate, hash, hashFunction)``
        receives)."""
        return hashlib.new(self.digest_algorithm, self.signed_attributes).digest()


async def async_prepare_external(
    data: bytes,
    *,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    options: SignOptions = SignOptions(),
) -> PreparedSignature:
    """Prepare ``data`` for a signature made elsewhere (an eID card) with
    ``certificate``: allocate the signature, digest the document, build the
    signed attributes. Check the certificate first
    (:func:`check_signing_certificate`)."""
    reader = check_document(data, config.max_bytes)
    certified = check_not_locked(reader)
    cert = load_cert(certificate, "signing certificate")
    registry = SimpleCertificateStore.from_certs([load_cert(c, "chain certificate") for c in chain])
    md = digest_algorithm_for(cert)
    placeholder = signers.ExternalSigner(cert, registry, signature_value=signature_size(cert))
    plan = plan_signature(
        reader, options, config, signer=placeholder, md_algorithm=md, certified=certified
    )
    try:
        prepared, _tbs, output = await plan.pdf_signer.async_digest_doc_for_signing(
            plan.writer(reader), output=io.BytesIO(), appearance_text_params=plan.text_params
        )
        output.seek(0)
        prepared_pdf = output.read()
        signed_attrs = await placeholder.signed_attrs(prepared.document_digest, md, use_pades=True)
    except Exception as exc:
        raise map_pyhanko_errors(exc) from exc
    return PreparedSignature(
        pdf=prepared_pdf,
        document_digest=prepared.document_digest,
        reserved_region_start=prepared.reserved_region_start,
        reserved_region_end=prepared.reserved_region_end,
        signed_attributes=signed_attrs.dump(),
        digest_algorithm=md,
    )


def prepare_external(
    data: bytes,
    *,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    options: SignOptions = SignOptions(),
) -> PreparedSignature:
    """Sync entry point of :func:`async_prepare_external`."""
    return run(
        async_prepare_external(
            data, certificate=certificate, chain=tuple(chain), config=config, options=options
        )
    )


def _der_signature(value: bytes, cert: x509.Certificate) -> bytes:
    """An ECDSA value as DER (Web eID may send raw r||s); RSA unchanged."""
    key = cert.public_key
    if key.algorithm != "ec":
        return value
    size = (key.bit_size + 7) // 8
    if len(value) == 2 * size and value[:1] != b"\x30":
        r = int.from_bytes(value[:size], "big")
        s = int.from_bytes(value[size:], "big")
        return utils.encode_dss_signature(r, s)
    return value


def _verify_value(value: bytes, message: bytes, md: str, cert: x509.Certificate) -> None:
    from paraph.signing.providers.keys import hash_algorithm

    public_key = crypto_x509.load_der_x509_certificate(cert.dump()).public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, message, padding.PKCS1v15(), hash_algorithm(md))
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(value, message, ec.ECDSA(hash_algorithm(md)))
        else:
            raise SignatureValueMismatch("the card's key type is not RSA or EC", code="key_type")
    except (InvalidSignature, ValueError) as exc:
        raise SignatureValueMismatch(
            "the signature value does not match the prepared document and the card's certificate"
        ) from exc


@signature_observed("card")
async def async_finish_external(
    prepared: PreparedSignature,
    *,
    signature_value: bytes,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    level: Level | None = None,
) -> bytes:
    """The signed PDF: ``signature_value`` (RSA PKCS#1 v1.5, or ECDSA as DER
    or raw r||s) is verified against the prepared digest and the
    certificate (:class:`SignatureValueMismatch` otherwise), time-stamped,
    embedded, and extended to ``level``."""
    cert = load_cert(certificate, "signing certificate")
    value = _der_signature(signature_value, cert)
    _verify_value(value, prepared.signed_attributes, prepared.digest_algorithm, cert)
    registry = SimpleCertificateStore.from_certs([load_cert(c, "chain certificate") for c in chain])
    external = signers.ExternalSigner(cert, registry, signature_value=value)
    try:
        signed_attrs = cms.CMSAttributes.load(prepared.signed_attributes)
        signature_cms = await external.async_sign_prescribed_attributes(
            prepared.digest_algorithm,
            signed_attrs=signed_attrs,
            timestamper=cached_timestamper(config.timestamp_authority),
        )
        output = io.BytesIO(prepared.pdf)
        await PdfTBSDocument.async_finish_signing(
            output,
            prepared_digest=PreparedByteRangeDigest(
                document_digest=prepared.document_digest,
                reserved_region_start=prepared.reserved_region_start,
                reserved_region_end=prepared.reserved_region_end,
            ),
            signature_cms=signature_cms,
        )
    except Exception as exc:
        raise map_pyhanko_errors(exc) from exc
    return await extend_signed(output.getvalue(), level or config.level, config)


def finish_external(
    prepared: PreparedSignature,
    *,
    signature_value: bytes,
    certificate: bytes,
    chain: Iterable[bytes] = (),
    config: EngineConfig,
    level: Level | None = None,
) -> bytes:
    """Sync entry point of :func:`async_finish_external`."""
    return run(
        async_finish_external(
            prepared,
            signature_value=signature_value,
            certificate=certificate,
            chain=tuple(chain),
            config=config,
            level=level,
        )
    )


# --- checking a card's signing certificate ----------------------------------


@dataclass(frozen=True)
class CardCertificate:
    """What Paraph reads from an accepted eID signing certificate."""

    national_number: str
    common_name: str
    given_name: str
    surname: str
    issuer: str
    not_after: datetime


def check_signing_certificate(
    certificate: bytes,
    *,
    national_number: str,
    trust: Trust,
    eid_cas: Iterable[bytes],
    moment: datetime | None = None,
) -> CardCertificate:
    """Accept ``certificate`` as a Belgian eID signing certificate for the
    person whose national register number is ``national_number``, or raise
    :class:`CertificateRejected` with a precise ``code``: it must chain to a
    trusted root through one of ``eid_cas`` (``untrusted``), allow
    nonRepudiation (``key_usage``), be valid at ``moment`` (``expired``,
    ``not_yet_valid``), not be revoked according to OCSP or CRL
    (``revoked``; ``revocation_unknown`` when no answer could be had), and
    carry ``national_number`` in its subject serialNumber (``wrong_person``)."""
    return run(
        _async_check_signing_certificate(
            certificate,
            national_number=national_number,
            trust=trust,
            eid_cas=tuple(eid_cas),
            moment=moment,
        )
    )


async def _async_check_signing_certificate(
    certificate: bytes,
    *,
    national_number: str,
    trust: Trust,
    eid_cas: tuple[bytes, ...],
    moment: datetime | None,
) -> CardCertificate:
    cert = load_cert(certificate, "signing certificate")
    serial = name_attribute(cert.subject, "serial_number")
    if serial != national_number:
        raise CertificateRejected(
            "this card belongs to another person: its national register number does not match",
            code="wrong_person",
        )
    ca_certs = [load_cert(c, "eID CA certificate") for c in eid_cas]
    if not any(cert.issuer == ca.subject for ca in ca_certs):
        raise CertificateRejected(
            "the certificate was not issued by an accepted Belgian eID CA", code="untrusted"
        )
    key_usage = cert.key_usage_value.native if cert.key_usage_value else set()
    if "non_repudiation" not in key_usage:
        raise CertificateRejected(
            "this is not a signature certificate (no nonRepudiation key usage)",
            code="key_usage",
        )
    chain_trust = Trust(
        roots=trust.roots,
        intermediates=tuple(eid_cas),
        crls=trust.crls,
        ocsps=trust.ocsps,
        allow_fetching=trust.allow_fetching,
    )
    vc = trust_validation_context(chain_trust, revocation_mode="hard-fail", moment=moment)
    validator = CertificateValidator(cert, validation_context=vc)
    try:
        await validator.async_validate_usage({"non_repudiation"})
    except RevokedError as exc:
        raise CertificateRejected(
            f"the card's certificate is revoked: {exc}", code="revoked"
        ) from exc
    except InvalidCertificateError as exc:
        message = str(exc)
        if "expired" in message:
            raise CertificateRejected("the card's certificate has expired", code="expired") from exc
        if "not valid until" in message or "not yet valid" in message:
            raise CertificateRejected(
                "the card's certificate is not valid yet", code="not_yet_valid"
            ) from exc
        raise CertificateRejected(f"the card's certificate is refused: {message}") from exc
    except PathBuildingError as exc:
        raise CertificateRejected(
            "the certificate does not chain to a trusted root", code="untrusted"
        ) from exc
    except PathValidationError as exc:
        message = str(exc)
        if "revocation" in message.lower() or "ocsp" in message.lower() or "crl" in message.lower():
            raise CertificateRejected(
                f"the card's revocation status could not be checked: {message}",
                code="revocation_unknown",
            ) from exc
        if "expired" in message:
            raise CertificateRejected("the card's certificate has expired", code="expired") from exc
        raise CertificateRejected(
            f"the certificate's path is invalid: {message}", code="untrusted"
        ) from exc
    finally:
        await release_contexts(vc)
    return CardCertificate(
        national_number=serial,
        common_name=name_attribute(cert.subject, "common_name"),
        given_name=name_attribute(cert.subject, "given_name"),
        surname=name_attribute(cert.subject, "surname"),
        issuer=name_attribute(cert.issuer, "common_name"),
        not_after=cert.not_valid_after,
    )

"""Adapters from Paraph's providers to pyHanko: certificates read, a
``SigningKey`` as a pyHanko signer (CMS signed attributes assembled by
Paraph, ADR 28), a ``TimestampAuthority`` as a time-stamper, and the
validation context of a trust configuration. Signers and time-stampers are
cached per provider object."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import algos, cms, tsp, x509
from pyhanko.sign import signers
from pyhanko.sign.attributes import CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import (
    DocumentSecurityStore,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.api import Fetchers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from paraph.signing import der
from paraph.signing.engine.options import Trust
from paraph.signing.exceptions import (
    CertificateRejected,
)
from paraph.signing.providers import SigningKey, TimestampAuthority

# --- adapters from Paraph's providers to pyHanko ----------------------------


@functools.lru_cache(maxsize=256)
def _parse_cert(der: bytes) -> x509.Certificate:
    cert = x509.Certificate.load(der)
    cert.native  # noqa: B018 - forces a full parse, so damage shows here
    return cert


def load_cert(der: bytes, what: str = "certificate") -> x509.Certificate:
    """A parsed certificate (parsed once per process: they are not changed)."""
    try:
        return _parse_cert(bytes(der))
    except (ValueError, TypeError) as exc:
        raise CertificateRejected(
            f"the {what} is not a DER X.509 certificate", code="malformed"
        ) from exc


def common_name(certificate: bytes) -> str:
    """The subject common name of a DER certificate (for appearances)."""
    return name_attribute(load_cert(certificate).subject, "common_name")


def digest_algorithm_for(cert: x509.Certificate) -> str:
    """SHA-256 for RSA and P-256 keys, SHA-384 for P-384 (Belgian cards from
    applet 1.8), SHA-512 for P-521."""
    key = cert.public_key
    if key.algorithm == "ec":
        return {"secp384r1": "sha384", "secp521r1": "sha512"}.get(key.curve[1], "sha256")
    return "sha256"


def signature_size(cert: x509.Certificate) -> int:
    key = cert.public_key
    if key.algorithm == "rsa":
        return (key.bit_size + 7) // 8
    # DER Ecdsa-Sig-Value: two INTEGERs of at most (n + 1) bytes, with headers
    return 2 * ((key.bit_size + 7) // 8 + 1) + 8


class _ProviderSigner(signers.Signer):
    """A pyHanko signer over a :class:`SigningKey`: the key is loaded once,
    by the provider, however many documents it signs."""

    def __init__(self, key: SigningKey) -> None:
        cert = load_cert(key.certificate, "signing certificate")
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs(
                [load_cert(c, "chain certificate") for c in key.chain]
            ),
        )
        self._key = key
        self._size = signature_size(cert)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(self._size)
        return self._key.sign(data, digest_algorithm)

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # The signing-certificate attribute is the same for every document a
        # key signs; asn1crypto takes milliseconds to build it, so it is
        # built once. (Overrides an internal pyHanko hook; pinned below 0.39.)
        for provider in super()._signed_attr_providers(*args, **kwargs):
            if isinstance(provider, SigningCertificateV2Provider):
                yield self._signing_certificate_attribute
            else:
                yield provider

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: PdfCMSSignedAttributes | None = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        # A PAdES signature's signed attributes are its content type, the
        # document's digest and the signing certificate: two of the three are
        # the same for every document, so the set is assembled from their
        # DER and the digest (DER sorts a SET OF by encoding) rather than
        # re-encoded by asn1crypto. Anything else is pyHanko's. (Overrides a
        # pyHanko method; pinned below 0.39; a test compares both outputs.)
        providers = list(
            self._signed_attr_providers(
                data_digest=data_digest,
                digest_algorithm=digest_algorithm,
                attr_settings=attr_settings or PdfCMSSignedAttributes(),
                timestamper=timestamper,
                use_cades=use_pades,
                is_pdf_sig=is_pdf_sig,
            )
        )
        if content_type != "data" or providers != [self._signing_certificate_attribute]:
            return await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
        message_digest = der.tlv(
            der.SEQUENCE, _MESSAGE_DIGEST_OID + der.tlv(der.SET, der.tlv(der.OCTETS, data_digest))
        )
        encoded = sorted(
            (_CONTENT_TYPE_DATA, message_digest, self._signing_certificate_attribute.der)
        )
        return cms.CMSAttributes.load(der.tlv(der.SET, b"".join(encoded)))

    def _package_signature(
        self,
        *,
        digest_algorithm: str,
        cms_version: Any,
        signed_attrs: cms.CMSAttributes,
        signature: bytes,
        unsigned_attrs: cms.CMSAttributes | None,
        encap_content_info: Any,
    ) -> cms.ContentInfo:
        # pyHanko's SignedData (RFC 5652 §5), assembled from bytes: the parts
        # that are the same for every document a key signs (the signer's
        # identifier, the algorithms, the certificate set) are encoded once,
        # and the signed attributes, the signature and its time-stamp, all
        # encoded already, are placed as they are. Built as a new asn1crypto
        # structure, the same SignedData re-encoded every certificate and the
        # time-stamp token (half a millisecond per document). (Overrides an
        # internal pyHanko method; pinned below 0.39.)
        if self.attribute_certs:
            return super()._package_signature(
                digest_algorithm=digest_algorithm,
                cms_version=cms_version,
                signed_attrs=signed_attrs,
                signature=signature,
                unsigned_attrs=unsigned_attrs,
                encap_content_info=encap_content_info,
            )
        parts = self._signed_data_parts(digest_algorithm, cms_version)
        signer_info = der.tlv(
            der.SEQUENCE,
            parts.signer_head
            + _implicit(der.CONTEXT_0, signed_attrs.dump())
            + parts.signature_algorithm
            + der.tlv(der.OCTETS, signature)
            + (_implicit(der.CONTEXT_1, unsigned_attrs.dump()) if unsigned_attrs else b""),
        )
        encap = (
            parts.data_content
            if encap_content_info is None
            else bytes(cms.EncapsulatedContentInfo(encap_content_info).dump())
        )
        signed_data = der.tlv(
            der.SEQUENCE,
            parts.version
            + parts.digest_algorithms
            + encap
            + self._certificate_set
            + der.tlv(der.SET, signer_info),
        )
        return cms.ContentInfo.load(
            der.tlv(der.SEQUENCE, _SIGNED_DATA_OID + der.tlv(der.CONTEXT_0, signed_data))
        )

    @functools.cache  # noqa: B019 (one signer per key, kept by cached_signer)
    def _signed_data_parts(self, digest_algorithm: str, cms_version: Any) -> _SignedDataParts:
        cert = self.signing_cert
        assert cert is not None  # set in __init__
        digest = bytes(algos.DigestAlgorithm({"algorithm": digest_algorithm}).dump())
        sid = cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number}
        ).dump()
        return _SignedDataParts(
            version=bytes(cms.CMSVersion(cms_version).dump()),
            digest_algorithms=der.tlv(der.SET, digest),
            data_content=bytes(cms.EncapsulatedContentInfo({"content_type": "data"}).dump()),
            signer_head=der.integer(1) + bytes(sid) + digest,
            signature_algorithm=bytes(
                self.get_signature_mechanism_for_digest(digest_algorithm).dump()
            ),
        )

    @functools.cached_property
    def _certificate_set(self) -> bytes:
        """The DER of the SignedData's ``[0] certificates``: the signing
        certificate and the chain (roots too, as pyHanko embeds them)."""
        certs = [
            cms.CertificateChoices(name="certificate", value=cert)
            for cert in self.cert_registry or ()
            if self.embed_roots or cert.self_signed == "no"
        ]
        certs.append(cms.CertificateChoices(name="certificate", value=self.signing_cert))
        unique = {c.dump(): c for c in certs}
        probe = cms.SignedData({"certificates": list(unique.values())})
        return bytes(probe["certificates"].dump())

    @functools.cached_property
    def _signing_certificate_attribute(self) -> _FixedAttribute:
        value = as_signing_certificate_v2(self.signing_cert)
        return _FixedAttribute(
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [value]}).dump()
        )


_SIGNED_DATA_OID = bytes(cms.ContentType("signed_data").dump())
_MESSAGE_DIGEST_OID = bytes(cms.CMSAttributeType("message_digest").dump())
_CONTENT_TYPE_DATA = bytes(
    cms.CMSAttribute({"type": "content_type", "values": [cms.ContentType("data")]}).dump()
)


@dataclass(frozen=True)
class _SignedDataParts:
    """The DER of what a key's SignedData repeats for every document."""

    version: bytes
    digest_algorithms: bytes
    data_content: bytes
    signer_head: bytes  # version, issuer and serial number, digest algorithm
    signature_algorithm: bytes


def _implicit(tag: int, encoded: bytes) -> bytes:
    """``encoded`` (a DER SET) under an IMPLICIT context tag: the same
    length and content, another identifier octet."""
    return bytes((tag,)) + encoded[1:]


class _FixedAttribute(CMSAttributeProvider):
    attribute_type = "signing_certificate_v2"

    def __init__(self, encoded: bytes) -> None:
        self.der = encoded

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self.der)


class _AuthorityTimeStamper(TimeStamper):
    """A pyHanko time-stamper over a :class:`TimestampAuthority`."""

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=True)
        self._authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        # A signature waits for its time-stamp anyway; the loop runs nothing else.
        raw = self._authority.request(req.dump())
        try:
            return tsp.TimeStampResp.load(raw)
        except ValueError as exc:
            raise TimestampRequestError("the time-stamp authority's answer is not DER") from exc


_signers: dict[int, tuple[SigningKey, _ProviderSigner]] = {}


def cached_signer(key: SigningKey) -> _ProviderSigner:
    """One pyHanko signer per key object (certificates parsed once)."""
    cached = _signers.get(id(key))
    if cached is None or cached[0] is not key:
        if len(_signers) > 64:
            _signers.clear()
        cached = (key, _ProviderSigner(key))
        _signers[id(key)] = cached
    return cached[1]


_timestampers: dict[int, tuple[TimestampAuthority, _AuthorityTimeStamper]] = {}


def cached_timestamper(authority: TimestampAuthority) -> _AuthorityTimeStamper:
    """One pyHanko time-stamper per authority, so the placeholder token used to
    size signatures is fetched once, not per document."""
    cached = _timestampers.get(id(authority))
    if cached is None or cached[0] is not authority:
        cached = (authority, _AuthorityTimeStamper(authority))
        _timestampers[id(authority)] = cached
    return cached[1]


def trust_validation_context(
    trust: Trust,
    *,
    revocation_mode: str = "soft-fail",
    moment: datetime | None = None,
    dss: DocumentSecurityStore | None = None,
    retroactive: bool = False,
    fetchers: Fetchers | None = None,
) -> ValidationContext:
    kwargs: dict[str, Any] = {
        "retroactive_revinfo": retroactive,
        "trust_roots": [load_cert(c, "trust root") for c in trust.roots],
        "other_certs": [load_cert(c, "intermediate CA certificate") for c in trust.intermediates],
        "crls": list(trust.crls),
        "ocsps": list(trust.ocsps),
        "allow_fetching": trust.allow_fetching,
        "revocation_mode": revocation_mode,
    }
    if fetchers is not None and trust.allow_fetching:
        kwargs["fetchers"] = fetchers
    if moment is not None:
        kwargs["moment"] = moment
    if dss is not None:
        return dss.as_validation_context(kwargs)
    return ValidationContext(**kwargs)


def name_attribute(name: x509.Name, attr: str) -> str:
    value = name.native.get(attr, "")
    if isinstance(value, list):  # multi-valued attributes
        value = " ".join(value)
    return str(value)

"""The card's status by OCSP (RFC 6960): a request with a nonce to the
responder the certificate names (or the configured one), within a
time-out; the answer's signature, its signer (the CA itself or a
responder it delegated to), its nonce and its age checked before its
verdict is read. Every refusal is a :class:`WebEidError`."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from paraph.identity.providers.eid.config import WebEidConfig, issued_by
from paraph.identity.providers.eid.refusals import WebEidError

# --- OCSP -----------------------------------------------------------------------


def ocsp_url(certificate: x509.Certificate) -> str | None:
    """The OCSP responder named in the certificate's AIA extension."""
    try:
        aia = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    for description in aia:
        if description.access_method == x509.AuthorityInformationAccessOID.OCSP and isinstance(
            description.access_location, x509.UniformResourceIdentifier
        ):
            return description.access_location.value
    return None


def ocsp_check(
    certificate: x509.Certificate,
    issuer: x509.Certificate,
    *,
    config: WebEidConfig,
    now: datetime,
) -> None:
    """Ask the card's OCSP responder whether ``certificate`` is good.

    Refuses a revoked card (``certificate_revoked``) and one the responder
    does not know (``certificate_status_unknown``); a responder that does
    not answer, in time or at all, gives ``ocsp_unavailable``; an answer
    that cannot be trusted (bad signature, unauthorised signer, another
    certificate, a missing or different nonce, too old) ``ocsp_invalid``.
    """
    url = config.ocsp_url or ocsp_url(certificate)
    if not url:
        raise WebEidError("ocsp_invalid", "no OCSP address in the certificate")
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA1())  # noqa: S303 - CertID hash, what responders expect
    nonce = secrets.token_bytes(32)
    if config.ocsp_nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    request = builder.build()
    try:
        answer = httpx.post(
            url,
            content=request.public_bytes(serialization.Encoding.DER),
            headers={"Content-Type": "application/ocsp-request"},
            timeout=config.ocsp_timeout,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise WebEidError("ocsp_unavailable", f"{url}: {exc.__class__.__name__}") from exc
    if answer.status_code != 200:
        raise WebEidError("ocsp_unavailable", f"{url}: HTTP {answer.status_code}")
    try:
        response = ocsp.load_der_ocsp_response(answer.content)
    except ValueError as exc:
        raise WebEidError("ocsp_invalid", f"{url}: unreadable response") from exc
    status_name = response.response_status.name
    if response.response_status in (
        ocsp.OCSPResponseStatus.TRY_LATER,
        ocsp.OCSPResponseStatus.INTERNAL_ERROR,
    ):
        raise WebEidError("ocsp_unavailable", f"{url}: {status_name}")
    if response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED:
        # The responder will not speak for this certificate: its CA does not know it.
        raise WebEidError("certificate_status_unknown", f"{url}: {status_name}")
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise WebEidError("ocsp_invalid", f"{url}: {status_name}")
    _ocsp_verify(response, request, issuer, config=config, now=now, nonce=nonce)
    status = response.certificate_status
    if status == ocsp.OCSPCertStatus.REVOKED:
        raise WebEidError("certificate_revoked", f"since {response.revocation_time_utc}")
    if status != ocsp.OCSPCertStatus.GOOD:
        raise WebEidError("certificate_status_unknown", url)


def _ocsp_verify(
    response: ocsp.OCSPResponse,
    request: ocsp.OCSPRequest,
    issuer: x509.Certificate,
    *,
    config: WebEidConfig,
    now: datetime,
    nonce: bytes,
) -> None:
    # RFC 6960, 3.2: the response is about the certificate asked for...
    singles = list(response.responses)
    if len(singles) != 1:
        raise WebEidError("ocsp_invalid", f"{len(singles)} responses instead of one")
    single = singles[0]
    if (
        single.serial_number != request.serial_number
        or single.issuer_key_hash != request.issuer_key_hash
        or single.issuer_name_hash != request.issuer_name_hash
    ):
        raise WebEidError("ocsp_invalid", "the response is about another certificate")
    # ... signed by the CA itself or by a responder a trusted CA authorised...
    responder = _ocsp_responder(response, issuer, config.trusted_cas, now)
    try:
        _verify_signed(
            responder.public_key(),
            response.signature,
            response.tbs_response_bytes,
            response.signature_hash_algorithm,
        )
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise WebEidError("ocsp_invalid", "bad response signature") from exc
    # ... recent enough ...
    this_update = single.this_update_utc
    if this_update > now + config.ocsp_time_skew:
        raise WebEidError("ocsp_invalid", f"thisUpdate {this_update} is in the future")
    if this_update < now - config.ocsp_max_age:
        raise WebEidError("ocsp_invalid", f"thisUpdate {this_update} is too old")
    next_update = single.next_update_utc
    if next_update is not None and (
        next_update < now - config.ocsp_time_skew or next_update < this_update
    ):
        raise WebEidError("ocsp_invalid", f"nextUpdate {next_update} is in the past")
    # ... and not a replay.
    if config.ocsp_nonce:
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            raise WebEidError("ocsp_invalid", "no nonce in the response") from None
        if echoed != nonce:
            raise WebEidError("ocsp_invalid", "the response's nonce differs")


def _ocsp_responder(
    response: ocsp.OCSPResponse,
    issuer: x509.Certificate,
    trusted: tuple[x509.Certificate, ...],
    now: datetime,
) -> x509.Certificate:
    """The certificate whose key signed the response: the card's CA, or a
    delegated responder issued by a trusted CA, valid now, for OCSP signing."""
    if _responder_is(response, issuer):
        return issuer
    for candidate in response.certificates:
        if not _responder_is(response, candidate):
            continue
        if not candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc:
            raise WebEidError("ocsp_invalid", "the responder's certificate is not valid now")
        try:
            eku = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            raise WebEidError("ocsp_invalid", "the responder may not sign OCSP") from None
        if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
            raise WebEidError("ocsp_invalid", "the responder may not sign OCSP")
        if not any(issued_by(candidate, ca) for ca in trusted):
            raise WebEidError("ocsp_invalid", "the responder is not issued by a trusted CA")
        return candidate
    raise WebEidError("ocsp_invalid", "unknown responder")


def _responder_is(response: ocsp.OCSPResponse, certificate: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == certificate.subject
    # RFC 6960's KeyHash is SHA-1 over the subjectPublicKey bits, as is
    # RFC 5280's first method of deriving a key identifier.
    key_hash = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
    return response.responder_key_hash == key_hash


def _verify_signed(
    public_key: Any,
    signature: bytes,
    data: bytes,
    hash_algorithm: hashes.HashAlgorithm | None,
) -> None:
    if isinstance(public_key, rsa.RSAPublicKey) and hash_algorithm is not None:
        public_key.verify(signature, data, padding.PKCS1v15(), hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey) and hash_algorithm is not None:
        public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
    elif isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        public_key.verify(signature, data)
    else:
        raise UnsupportedAlgorithm("unsupported OCSP signature")

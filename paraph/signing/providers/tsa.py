"""Time-stamp authorities: Paraph's sandbox TSA (in process, for the
embedded default and the tests; its certificate's name says "Sandbox") and
an RFC 3161 client for a configured URL."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from asn1crypto import cms, core, tsp, x509

from paraph.signing.der import (
    CONTEXT_0,
    GENERALIZED_TIME,
    OCTETS,
    SEQUENCE,
    SET,
    UTC_TIME,
    integer,
    tlv,
)
from paraph.signing.exceptions import TimestampUnavailable
from paraph.signing.providers.keys import SoftwareKey


@dataclass
class SandboxTimestampAuthority:
    """Answers RFC 3161 requests in process with a key loaded once (its
    certificate's name says "Sandbox"). Never used in production: the
    settings refuse it there.

    Everything that does not change between answers (certificates, names,
    algorithm identifiers, the signing-certificate attribute) is encoded
    once, with asn1crypto, when the TSA is created; an answer is assembled
    from those bytes and the few per-request values, so a time-stamp costs
    little more than its RSA signature."""

    key: SoftwareKey
    name: str = "Paraph sandbox TSA"
    policy: str = "1.3.6.1.4.1.99999.1.1"  # a sandbox policy, not a real one
    _cert: x509.Certificate = field(init=False, repr=False)
    _parts: dict[str, bytes] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._cert = x509.Certificate.load(self.key.certificate)
        algorithm = "sha256_rsa" if self._cert.public_key.algorithm == "rsa" else "sha256_ecdsa"
        signing_certificate = cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [
                    {"certs": [{"cert_hash": hashlib.sha256(self.key.certificate).digest()}]}
                ],
            }
        ).dump()
        # [0] IMPLICIT CertificateSet, exactly as it stands in SignedData
        certificates = cms.SignedData(
            {
                "certificates": [
                    cms.CertificateChoices(name="certificate", value=x509.Certificate.load(der))
                    for der in (self.key.certificate, *self.key.chain)
                ]
            }
        )["certificates"].dump()
        tsa_name = x509.GeneralName(
            name="directory_name", value=x509.Name.load(self._cert.subject.dump())
        ).dump()
        sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": x509.Name.load(self._cert.issuer.dump()),
                    "serial_number": self._cert.serial_number,
                }
            }
        ).dump()

        def oid(value: str) -> bytes:
            return bytes(core.ObjectIdentifier(value).dump())

        self._parts = {
            "version_policy": integer(1) + bytes(tsp.ObjectIdentifier(self.policy).dump()),
            "accuracy": bytes(tsp.Accuracy({"seconds": 1}).dump()),
            "tsa": tlv(CONTEXT_0, tsa_name),  # [0] EXPLICIT GeneralName
            "content_type_attr": bytes(
                cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}).dump()
            ),
            "signing_time_oid": oid("1.2.840.113549.1.9.5"),
            "message_digest_oid": oid("1.2.840.113549.1.9.4"),
            "signing_certificate_attr": bytes(signing_certificate),
            "signer_head": integer(1)
            + bytes(sid)
            + bytes(cms.DigestAlgorithm({"algorithm": "sha256"}).dump()),
            "signature_algorithm": bytes(
                cms.SignedDigestAlgorithm({"algorithm": algorithm}).dump()
            ),
            "signed_data_head": integer(3)
            + tlv(SET, bytes(cms.DigestAlgorithm({"algorithm": "sha256"}).dump())),
            "tst_info_type": oid("1.2.840.113549.1.9.16.1.4"),
            "certificates": bytes(certificates),
            "signed_data_type": oid("1.2.840.113549.1.7.2"),
            "status_granted": tlv(SEQUENCE, integer(0)),
        }

    def request(self, query: bytes) -> bytes:
        try:
            req = tsp.TimeStampReq.load(query)
            imprint = req["message_imprint"]
            if len(imprint["hashed_message"].native) not in (32, 48, 64):
                raise ValueError("the message imprint is not a SHA-2 digest")
            imprint_der = bytes(imprint.dump())
            nonce = req["nonce"].native
        except ValueError as exc:
            raise TimestampUnavailable(f"the sandbox TSA refused the request: {exc}") from exc
        parts = self._parts
        now = datetime.now(tz=UTC).replace(microsecond=0)
        tst_info = tlv(
            SEQUENCE,
            parts["version_policy"]
            + imprint_der
            + integer(int.from_bytes(os.urandom(16), "big"))
            + tlv(GENERALIZED_TIME, now.strftime("%Y%m%d%H%M%SZ").encode())
            + parts["accuracy"]
            + (integer(nonce) if nonce is not None else b"")
            + parts["tsa"],
        )
        attributes = sorted(  # a DER SET OF is sorted by encoding
            [
                parts["content_type_attr"],
                tlv(
                    SEQUENCE,
                    parts["signing_time_oid"]
                    + tlv(SET, tlv(UTC_TIME, now.strftime("%y%m%d%H%M%SZ").encode())),
                ),
                parts["signing_certificate_attr"],
                tlv(
                    SEQUENCE,
                    parts["message_digest_oid"]
                    + tlv(SET, tlv(OCTETS, hashlib.sha256(tst_info).digest())),
                ),
            ]
        )
        signed_attrs = b"".join(attributes)
        signature = self.key.sign(tlv(SET, signed_attrs), "sha256")
        signer_info = tlv(
            SEQUENCE,
            parts["signer_head"]
            + tlv(CONTEXT_0, signed_attrs)  # [0] IMPLICIT SET OF Attribute
            + parts["signature_algorithm"]
            + tlv(OCTETS, signature),
        )
        signed_data = tlv(
            SEQUENCE,
            parts["signed_data_head"]
            + tlv(
                SEQUENCE,
                parts["tst_info_type"] + tlv(CONTEXT_0, tlv(OCTETS, tst_info)),
            )
            + parts["certificates"]
            + tlv(SET, signer_info),
        )
        token = tlv(SEQUENCE, parts["signed_data_type"] + tlv(CONTEXT_0, signed_data))
        return tlv(SEQUENCE, parts["status_granted"] + token)


@dataclass(frozen=True)
class HttpTimestampAuthority:
    """An RFC 3161 server over HTTP (for example the Belgian federal TSA)."""

    url: str
    timeout: float = 10.0
    name: str = ""

    def request(self, query: bytes) -> bytes:
        try:
            response = httpx.post(
                self.url,
                content=query,
                headers={"Content-Type": "application/timestamp-query"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise TimestampUnavailable(
                f"the time-stamp authority at {self.url} did not answer: {exc}"
            ) from exc
        if response.status_code != 200:
            raise TimestampUnavailable(
                f"the time-stamp authority at {self.url} answered HTTP {response.status_code}"
            )
        if response.headers.get("content-type", "").split(";")[0].strip() != (
            "application/timestamp-reply"
        ):
            raise TimestampUnavailable(
                f"the time-stamp authority at {self.url} did not answer with a time-stamp"
            )
        return response.content

"""Time-stamp authorities: Paraph's sandbox TSA (in process, for the
embedded default and the tests; its certificate's name says "Sandbox") and
an RFC 3161 client for a configured URL."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from asn1crypto import cms, core, tsp, x509

from paraph.signing.exceptions import TimestampUnavailable
from paraph.signing.providers.keys import SoftwareKey


@dataclass
class SandboxTimestampAuthority:
    """Answers RFC 3161 requests in process with a key loaded once (its
    certificate's name says "Sandbox"). Never used in production: the
    settings refuse it there."""

    key: SoftwareKey
    name: str = "Paraph sandbox TSA"
    policy: str = "1.3.6.1.4.1.99999.1.1"  # a sandbox policy, not a real one
    _cert: x509.Certificate = field(init=False, repr=False)
    _certificates: bytes = field(init=False, repr=False)
    _signing_certificate: bytes = field(init=False, repr=False)
    _tsa_name: bytes = field(init=False, repr=False)
    _sid: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._cert = x509.Certificate.load(self.key.certificate)
        # serialised once: asn1crypto re-encodes certificates placed in a new
        # structure, which costs more than the signature itself
        self._certificates = cms.CertificateSet(
            [
                cms.CertificateChoices(name="certificate", value=x509.Certificate.load(der))
                for der in (self.key.certificate, *self.key.chain)
            ]
        ).dump()
        self._signing_certificate = cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [
                    {"certs": [{"cert_hash": hashlib.sha256(self.key.certificate).digest()}]}
                ],
            }
        ).dump()
        # Names and identifiers taken from a certificate are re-encoded each
        # time they are placed in a new structure: encoded once here instead.
        self._tsa_name = x509.GeneralName(
            name="directory_name", value=x509.Name.load(self._cert.subject.dump())
        ).dump()
        self._sid = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": x509.Name.load(self._cert.issuer.dump()),
                    "serial_number": self._cert.serial_number,
                }
            }
        ).dump()

    def request(self, query: bytes) -> bytes:
        try:
            req = tsp.TimeStampReq.load(query)
            # re-encoded from its own bytes: a parsed-then-reused value would
            # be re-serialised deep inside asn1crypto
            imprint = tsp.MessageImprint.load(req["message_imprint"].dump())
            if len(imprint["hashed_message"].native) not in (32, 48, 64):
                raise ValueError("the message imprint is not a SHA-2 digest")
        except ValueError as exc:
            raise TimestampUnavailable(f"the sandbox TSA refused the request: {exc}") from exc
        now = datetime.now(tz=UTC).replace(microsecond=0)
        tst_info_fields: dict[str, Any] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": imprint,
            "serial_number": int.from_bytes(os.urandom(16), "big"),
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "tsa": x509.GeneralName.load(self._tsa_name),
        }
        if req["nonce"].native is not None:
            tst_info_fields["nonce"] = req["nonce"]
        tst_info = tsp.TSTInfo(tst_info_fields).dump()
        signed_attrs = cms.CMSAttributes(
            [
                {"type": "content_type", "values": ["tst_info"]},
                {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(now)})]},
                cms.CMSAttribute.load(self._signing_certificate),
                {"type": "message_digest", "values": [hashlib.sha256(tst_info).digest()]},
            ]
        )
        signature = self.key.sign(signed_attrs.dump(), "sha256")
        algorithm = "sha256_rsa" if self._cert.public_key.algorithm == "rsa" else "sha256_ecdsa"
        signer_info = {
            "version": "v1",
            "sid": cms.SignerIdentifier.load(self._sid),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": algorithm},
            "signature": signature,
        }
        token = cms.ContentInfo(
            {
                "content_type": "signed_data",
                "content": {
                    "version": "v3",
                    "digest_algorithms": [{"algorithm": "sha256"}],
                    "encap_content_info": {
                        "content_type": "tst_info",
                        "content": cms.ParsableOctetString(tst_info),
                    },
                    "certificates": cms.CertificateSet.load(self._certificates),
                    "signer_infos": [signer_info],
                },
            }
        )
        return bytes(
            tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()
        )


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

"""The sandbox's own PKI, generated at first use in the data folder, so
that ``make run`` signs and time-stamps without any configuration: a root
("Paraph Sandbox Root CA"), Paraph's signing CA, its seal and the sandbox
TSA, every name marked "Sandbox". Never used in production (the settings
require real keys there). The test suite uses its own Certomancer PKI."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from paraph.core.sandbox import SANDBOX_VALID_FROM


@dataclass(frozen=True)
class SandboxPki:
    directory: Path
    password: str

    @property
    def root(self) -> Path:
        return self.directory / "root.pem"

    @property
    def signing_ca(self) -> Path:
        return self.directory / "signing-ca.p12"

    @property
    def seal(self) -> Path:
        return self.directory / "seal.p12"

    @property
    def tsa(self) -> Path:
        return self.directory / "tsa.p12"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Paraph (sandbox)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(
    *,
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey,
    ca: bool,
    key_usage: dict[str, bool],
    time_stamping: bool = False,
) -> x509.Certificate:
    now = datetime.now(tz=UTC)
    usage = {
        name: key_usage.get(name, False)
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        )
    }
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(SANDBOX_VALID_FROM)
        .not_valid_after(now + timedelta(days=3650 if ca else 1825))
        .add_extension(
            x509.BasicConstraints(ca=ca, path_length=0 if ca and issuer else None), critical=True
        )
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _generate(directory: Path, password: str) -> None:
    def key() -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    root_key = key()
    root = _certificate(
        common_name="Paraph Sandbox Root CA",
        key=root_key,
        issuer=None,
        issuer_key=root_key,
        ca=True,
        key_usage={"key_cert_sign": True, "crl_sign": True},
    )
    (directory / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    members = {
        "signing-ca.p12": (
            "Paraph Sandbox Signing CA",
            True,
            {"key_cert_sign": True, "crl_sign": True},
            False,
        ),
        "seal.p12": (
            "Paraph Sandbox seal",
            False,
            {"digital_signature": True, "content_commitment": True},
            False,
        ),
        "tsa.p12": ("Paraph Sandbox TSA", False, {"digital_signature": True}, True),
    }
    for filename, (common_name, ca, usage, tsa) in members.items():
        member_key = key()
        cert = _certificate(
            common_name=common_name,
            key=member_key,
            issuer=root,
            issuer_key=root_key,
            ca=ca,
            key_usage=usage,
            time_stamping=tsa,
        )
        (directory / filename).write_bytes(
            pkcs12.serialize_key_and_certificates(
                name=common_name.encode(),
                key=member_key,
                cert=cert,
                cas=[root],
                encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
            )
        )


def sandbox_pki(data_dir: Path) -> SandboxPki:
    """The sandbox PKI in ``data_dir/pki``, generated on first call. Safe when
    two processes (web and worker) start at once: each builds in a temporary
    folder and the first rename wins."""
    directory = data_dir / "pki"
    if not (directory / "password").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".pki-", dir=data_dir))
        password = secrets.token_urlsafe(24)
        _generate(scratch, password)
        (scratch / "password").write_text(password)
        for path in scratch.iterdir():
            path.chmod(0o600)
        try:
            os.rename(scratch, directory)
        except OSError:  # another process was first
            shutil.rmtree(scratch, ignore_errors=True)
    return SandboxPki(directory=directory, password=(directory / "password").read_text().strip())

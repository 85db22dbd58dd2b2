"""Paraph's test PKI (``belgium.yml``) brought to life.

Keys are generated once per test session (RSA-2048 where the YAML's
comment says so, EC otherwise) into a temporary folder, so no private key
is committed; Certomancer then issues every certificate, and its Animator
answers OCSP, CRL and time-stamp requests on a loopback port, a real peer
for pyHanko's HTTP clients and for poppler's pdfsig.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from werkzeug.serving import WSGIRequestHandler, make_server

CONFIG = Path(__file__).with_name("belgium.yml")

RSA_KEYS = {
    "belgium-root",
    "citizen-ca",
    "paraph-root",
    "paraph-signing-ca",
    "paraph-seal",
    "paraph-tsa",
    "jan-auth",
    "jan-sign",
}
EC_P256_KEYS = {"citizen-ocsp", "foreigner-ocsp"}
# everything else: EC P-384, as on applet 1.8 cards and the foreigner CA


def generate_keys(directory: Path) -> None:
    import yaml

    labels = yaml.safe_load(CONFIG.read_text())["keysets"]["paraph-test"]["keys"]
    directory.mkdir(parents=True, exist_ok=True)
    for label in labels:
        path = directory / f"{label}.key.pem"
        if path.exists():
            continue
        key: Any
        if label in RSA_KEYS:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif label in EC_P256_KEYS:
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = ec.generate_private_key(ec.SECP384R1())
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _WholeSecondAnimator(Animator):
    """NSS (so pdfsig) rejects OCSP responses whose times carry fractions of
    a second, which Certomancer otherwise produces; real responders send
    whole seconds."""

    def at_time(self, request: Any) -> datetime:
        return super().at_time(request).replace(microsecond=0)


PARAPH_PREFIX = "/paraph"


class _LateApp:
    """A WSGI app whose target is set once the server's port is known (the
    port goes into the certificates' OCSP and CRL URLs). It also stands in
    for Paraph's own CRL address (``/paraph/pki/signing-ca.crl``), so tools
    outside the test process (pyHanko's CLI) can fetch Paraph's CRL."""

    target: Any = None
    paraph_crl: bytes | None = None
    asked: list[str]  # the paths asked, in order (a test counts its fetches)

    def __init__(self) -> None:
        self.asked = []

    def __call__(self, environ: Any, start_response: Any) -> Any:
        self.asked.append(environ.get("PATH_INFO", ""))
        if environ.get("PATH_INFO") == f"{PARAPH_PREFIX}/pki/signing-ca.crl":
            if self.paraph_crl is None:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"no CRL published yet"]
            start_response("200 OK", [("Content-Type", "application/pkix-crl")])
            return [self.paraph_crl]
        return self.target(environ, start_response)


@dataclass
class TestPki:
    directory: Path
    arch: Any
    url_prefix: str
    animator: Animator
    _server: Any = field(repr=False)
    _app: Any = field(repr=False, default=None)

    # --- certificates and keys
    def cert(self, label: str) -> x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    def cert_der(self, label: str) -> bytes:
        return bytes(self.cert(label).dump())

    def private_key(self, label: str) -> Any:
        return serialization.load_pem_private_key(
            (self.directory / "keys" / f"{label}.key.pem").read_bytes(), password=None
        )

    def pem_path(self, label: str) -> Path:
        path = self.directory / "certs" / f"{label}.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(
                b"-----BEGIN CERTIFICATE-----\n"
                + _b64_lines(self.cert_der(label))
                + b"-----END CERTIFICATE-----\n"
            )
        return path

    def pkcs12_path(self, label: str, *, chain: tuple[str, ...], password: str) -> Path:
        """The key and certificate ``label`` with ``chain`` as a PKCS#12 file."""
        from cryptography import x509 as cx509

        path = self.directory / "p12" / f"{label}.p12"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(
                pkcs12.serialize_key_and_certificates(
                    name=label.encode(),
                    key=self.private_key(label),
                    cert=cx509.load_der_x509_certificate(self.cert_der(label)),
                    cas=[cx509.load_der_x509_certificate(self.cert_der(c)) for c in chain],
                    encryption_algorithm=serialization.BestAvailableEncryption(password.encode()),
                )
            )
        return path

    def crl_der(self, issuer_label: str, at: datetime) -> bytes:
        from certomancer.registry import ServiceLabel

        return bytes(self.arch.service_registry.get_crl(ServiceLabel(issuer_label), at).dump())

    def url(self, path: str) -> str:
        return f"{self.url_prefix}/belgium/{path}"

    @property
    def paraph_base_url(self) -> str:
        """A BASE_URL under which this server answers Paraph's CRL address."""
        return f"{self.url_prefix}{PARAPH_PREFIX}"

    def asked(self) -> list[str]:
        """The paths asked of this server so far (OCSP, CRLs, certificates)."""
        return list(self._app.asked)

    def serve_paraph_crl(self, der: bytes | None) -> None:
        self._app.paraph_crl = der

    def close(self) -> None:
        self._server.shutdown()


def _b64_lines(der: bytes) -> bytes:
    import base64

    raw = base64.b64encode(der)
    return b"".join(raw[i : i + 64] + b"\n" for i in range(0, len(raw), 64))


def start_pki(directory: Path) -> TestPki:
    """Generate keys (once), start the loopback Animator, issue the PKI."""
    keys = directory / "keys"
    generate_keys(keys)
    app = _LateApp()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    url_prefix = f"http://127.0.0.1:{server.server_port}"
    import yaml

    raw = yaml.safe_load(CONFIG.read_text())
    # Wim's card is revoked a month after now: a signature made today is
    # made before the revocation, whatever day the suite runs.
    revoked_since = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(days=30)
    raw["pki-architectures"]["belgium"]["certs"]["wim-sign"]["revocation"] = {
        "revoked-since": revoked_since.isoformat(),
        "reason": "key_compromise",
    }
    config = CertomancerConfig(
        raw,
        key_search_dir=str(keys),
        config_search_dir=str(CONFIG.parent),
        external_url_prefix=url_prefix,
    )
    arch = config.get_pki_arch(ArchLabel("belgium"))
    animator = _WholeSecondAnimator(
        AnimatorArchStore({ArchLabel("belgium"): arch}), with_web_ui=False
    )
    app.target = animator
    threading.Thread(target=server.serve_forever, daemon=True, name="test-pki").start()
    return TestPki(
        directory=directory,
        arch=arch,
        url_prefix=url_prefix,
        animator=animator,
        _server=server,
        _app=app,
    )

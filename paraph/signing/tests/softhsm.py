"""Real PKCS#11 tokens for the tests: SoftHSM2 (Debian package softhsm2)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN, SO_PIN = "1234", "5678"


def configure(directory: Path) -> None:
    """Point SoftHSM2 at a fresh token folder; must run before the module is
    first loaded in this process."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)


def make_tokens(
    tokens: dict[str, tuple[str, Any, dict[str, bytes]]],
    *,
    workdir: Path,
    more_keys: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Tokens, each holding one private key and certificate objects:
    ``{token label: (key label, private key, {cert label: DER})}``, and
    ``more_keys`` in some of them (``{token label: {key label: private
    key}}``, e.g. the signing CA's beside the seal's). Every
    token is created before the module is loaded in this process, since
    SoftHSM2 lists its slots once, when it is initialised."""
    import pkcs11
    from asn1crypto import x509
    from pkcs11 import Attribute, CertificateType, ObjectClass

    for label, (first_label, first_key, _certs) in tokens.items():
        subprocess.run(
            [
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                SO_PIN,
            ],
            check=True,
            capture_output=True,
        )
        keys = {first_label: first_key, **(more_keys or {}).get(label, {})}
        for n, (key_label, private_key) in enumerate(keys.items()):
            pem = workdir / f"{label}-key.pem"
            pem.write_bytes(
                private_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            subprocess.run(
                [
                    "softhsm2-util",
                    "--import",
                    str(pem),
                    "--token",
                    label,
                    "--label",
                    key_label,
                    "--id",
                    f"{n + 1:02x}",
                    "--pin",
                    PIN,
                ],
                check=True,
                capture_output=True,
            )
            pem.unlink()
    library = pkcs11.lib(MODULE)
    for label, (_key_label, _private_key, certs) in tokens.items():
        with library.get_token(token_label=label).open(user_pin=PIN, rw=True) as session:
            for n, (cert_label, der) in enumerate(certs.items()):
                session.create_object(
                    {
                        Attribute.CLASS: ObjectClass.CERTIFICATE,
                        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                        Attribute.TOKEN: True,
                        Attribute.LABEL: cert_label,
                        Attribute.ID: bytes([n + 1]),
                        Attribute.VALUE: der,
                        Attribute.SUBJECT: x509.Certificate.load(der).subject.dump(),
                    }
                )

"""`make run` signs with no configuration: the sandbox PKI is generated in
the data folder on first use."""

from __future__ import annotations

import pytest

from paraph.signing import conf, engine, services
from paraph.signing.tests.checks import make_nss_db, pdfsig, pyhanko_cli_validate, qpdf_check


@pytest.mark.django_db
def test_sandbox_signs_without_configuration(settings, tmp_path, contract):
    settings.SANDBOX = True
    settings.DATA_DIR = tmp_path / "data"
    for name in (
        "SIGNING_TRUST_ROOTS",
        "SIGNING_INTERMEDIATES",
        "EID_CAS",
        "SIGNING_SEAL_PKCS12",
        "SIGNING_CA_PKCS12",
        "SIGNING_SANDBOX_TSA_PKCS12",
    ):
        setattr(settings, name, [] if name.endswith(("ROOTS", "INTERMEDIATES", "CAS")) else "")
    settings.SIGNING_TSA = "sandbox"
    settings.SIGNING_KEY_STORE = "file"
    settings.SIGNING_LEVEL = "B-T"

    sealed = services.seal_apply(document=contract, document_ref="c")

    (seal,) = engine.validate_pdf(sealed, trust=conf.trust()).signatures
    assert seal.valid and seal.signer == "Paraph Sandbox seal"
    assert seal.timestamp_authority == "Paraph Sandbox TSA"
    root = settings.DATA_DIR / "pki" / "root.pem"
    assert (settings.DATA_DIR / "pki" / "seal.p12").stat().st_mode & 0o077 == 0
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    (sig,) = pdfsig(path, make_nss_db(tmp_path / "nss", [root]))
    assert sig.valid and sig.trusted and sig.total_document
    qpdf_check(path)
    pyhanko_cli_validate(path, roots=[root], other_certs=[])

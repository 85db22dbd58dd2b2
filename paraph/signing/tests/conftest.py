"""The test PKI, signing settings pointing at it, and the independent
checks every signed PDF goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from paraph.signing.tests.checks import (
    PdfsigSignature,
    make_nss_db,
    pdfsig,
    pyhanko_cli_validate,
    qpdf_check,
)
from paraph.signing.tests.pdfs import contract_pdf
from paraph.signing.tests.pki import TestPki, start_pki

P12_PASSWORD = "test-p12-password"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPki]:
    test_pki = start_pki(tmp_path_factory.mktemp("pki"))
    yield test_pki
    test_pki.close()


@pytest.fixture(scope="session")
def nss_db(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_nss_db(
        tmp_path_factory.mktemp("nss"), [pki.pem_path("belgium-root"), pki.pem_path("paraph-root")]
    )


@pytest.fixture(autouse=True)
def _paraph_crl_of_this_test_only(request: pytest.FixtureRequest) -> Iterator[None]:
    """The test PKI's server answers Paraph's CRL address with what a test
    handed it; the next test must not meet that list (its keys, its dates)."""
    yield
    if "pki" in request.fixturenames:
        request.getfixturevalue("pki").serve_paraph_crl(None)


@pytest.fixture
def signing_settings(settings: Any, pki: TestPki) -> Any:
    """Settings as production would have them, pointing at the test PKI."""
    settings.SIGNING_LEVEL = "B-T"
    settings.SIGNING_KEY_STORE = "file"
    settings.SIGNING_TRUST_ROOTS = [
        str(pki.pem_path("belgium-root")),
        str(pki.pem_path("paraph-root")),
    ]
    settings.SIGNING_INTERMEDIATES = [str(pki.pem_path("paraph-signing-ca"))]
    settings.EID_CAS = [str(pki.pem_path("citizen-ca")), str(pki.pem_path("foreigner-ca"))]
    settings.SIGNING_SEAL_PKCS12 = str(
        pki.pkcs12_path("paraph-seal", chain=("paraph-root",), password=P12_PASSWORD)
    )
    settings.SIGNING_SEAL_PKCS12_PASSWORD = P12_PASSWORD
    settings.SIGNING_CA_PKCS12 = str(
        pki.pkcs12_path("paraph-signing-ca", chain=("paraph-root",), password=P12_PASSWORD)
    )
    settings.SIGNING_CA_PKCS12_PASSWORD = P12_PASSWORD
    settings.SIGNING_TSA = "sandbox"
    settings.SIGNING_SANDBOX_TSA_PKCS12 = str(
        pki.pkcs12_path("paraph-tsa", chain=("paraph-root",), password=P12_PASSWORD)
    )
    settings.SIGNING_SANDBOX_TSA_PKCS12_PASSWORD = P12_PASSWORD
    settings.SIGNING_FETCH_REVOCATION = True
    settings.SIGNING_MAX_PDF_BYTES = 5 * 1024 * 1024
    # Person certificates name Paraph's CRL under BASE_URL: the test PKI's
    # loopback server answers there (independent_check hands it the CRL).
    settings.BASE_URL = pki.paraph_base_url
    return settings


@pytest.fixture
def contract() -> bytes:
    return contract_pdf(pages=3)


@pytest.fixture
def independent_check(
    pki: TestPki, nss_db: Path, tmp_path: Path
) -> Callable[[bytes], list[PdfsigSignature]]:
    """Check a signed PDF with pdfsig (every signature valid and trusted, the
    newest one covering the whole file), qpdf --check and pyHanko's CLI."""

    def check(
        data: bytes, *, name: str = "signed.pdf", newest_covers_all: bool = True
    ) -> list[PdfsigSignature]:
        try:
            from paraph.signing.selectors import signing_crl_current

            crl = signing_crl_current()
        except Exception:  # a test without database access signs with no person key
            crl = None
        pki.serve_paraph_crl(bytes(crl.der) if crl is not None else None)
        path = tmp_path / name
        path.write_bytes(data)
        sigs = pdfsig(path, nss_db)
        for sig in sigs:
            if sig.document_timestamp:
                continue  # pyHanko's CLI and Paraph's validator check those
            assert sig.valid, f"pdfsig: {sig.field} is not valid"
            assert sig.trusted, f"pdfsig: {sig.field}'s certificate is not trusted"
        # At B-LT the validation data comes after the newest signature (pyHanko's
        # validator then checks that nothing else was added). pdfsig lists fields
        # in form order, which is not signing order when a seal prepared fields.
        assert any(s.total_document for s in sigs) == newest_covers_all, (
            "pdfsig: unexpected coverage"
        )
        qpdf_check(path)
        pyhanko_cli_validate(
            path,
            roots=[pki.pem_path("belgium-root"), pki.pem_path("paraph-root")],
            other_certs=[
                pki.pem_path("citizen-ca"),
                pki.pem_path("foreigner-ca"),
                pki.pem_path("paraph-signing-ca"),
            ],
        )
        return sigs

    return check

"""The Belgian eID roots Paraph ships for the public verification, and
``SIGNING_VERIFY_EXTRA_ROOTS``, which makes /verify/ and ``paraph verify``
recognise a document signed elsewhere under one of them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from paraph.signing import conf
from paraph.signing.selectors import signature_report
from paraph.signing.tests import producers
from paraph.signing.tests.pdfs import contract_pdf

TRUST_DIR = Path(conf.__file__).with_name("trust") / "belgium"

# file -> (subject common name, SHA-256 of the DER), as published by the
# Belgian government and checked against independent copies (README.md there)
BELGIAN_ROOTS = {
    "belgium-root-ca2.pem": (
        "Belgium Root CA2",
        "9F9744463BE13714754E1A3BECF98C08CC205E4AB32028F4E2830C4A1B2775B8",
    ),
    "belgium-root-ca3.pem": (
        "Belgium Root CA3",
        "A8D14E945E3E5156BCAE5E39737CF6A1B1F51028BBBF982F50CE5F4C05568B4D",
    ),
    "belgium-root-ca4.pem": (
        "Belgium Root CA4",
        "702DD5C1A093CF0A9D71FADD9BF9A7C5857D89FB73B716E867228B3C2BEB968F",
    ),
    "belgium-root-ca6.pem": (
        "Belgium Root CA6",
        "9C872BC979A7C09A58D4A274C199E5CB16CFA9B9618D98BC9A9988E984B8495C",
    ),
}


def _verify_self_signature(cert: x509.Certificate) -> None:
    """Raises unless ``cert`` is signed with its own key. By hand, not with
    ``verify_directly_issued_by``: CA2 and CA3 are signed with SHA-1, which
    cryptography's certificate check refuses (a root's own signature only
    marks it as self-issued; trust in it comes from the fingerprint)."""
    key = cert.public_key()
    algorithm = {
        x509.SignatureAlgorithmOID.RSA_WITH_SHA1: hashes.SHA1(),
        x509.SignatureAlgorithmOID.RSA_WITH_SHA256: hashes.SHA256(),
        x509.SignatureAlgorithmOID.ECDSA_WITH_SHA384: hashes.SHA384(),
    }[cert.signature_algorithm_oid]
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))


def _load(name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((TRUST_DIR / name).read_bytes())


@pytest.mark.parametrize("name", sorted(BELGIAN_ROOTS))
def test_each_shipped_file_is_a_self_signed_belgian_root_with_the_published_fingerprint(name):
    cert = _load(name)
    common_name, fingerprint = BELGIAN_ROOTS[name]

    assert hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest().upper() == fingerprint
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == common_name
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)[0].value == "BE"
    _verify_self_signature(cert)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign


def test_the_folder_holds_these_roots_and_the_setting_names_them_by_default(settings):
    assert sorted(p.name for p in TRUST_DIR.glob("*.pem")) == sorted(BELGIAN_ROOTS)
    # the default of PARAPH_SIGNING_VERIFY_EXTRA_ROOTS (the test run sets no such variable)
    assert [Path(p) for p in settings.SIGNING_VERIFY_EXTRA_ROOTS] == [
        TRUST_DIR / name for name in sorted(BELGIAN_ROOTS)
    ]


@pytest.mark.django_db
def test_the_public_verification_trusts_them_and_signing_does_not(signing_settings):
    shipped = {_load(name).public_bytes(Encoding.DER) for name in BELGIAN_ROOTS}
    signing_settings.SIGNING_VERIFY_EXTRA_ROOTS = [str(TRUST_DIR / n) for n in BELGIAN_ROOTS]

    assert shipped <= set(conf.verify_trust().roots)
    assert not shipped & set(conf.trust().roots)
    assert not shipped & set(conf.engine_config().trust.roots)


def _signer(pki) -> producers.Signer:
    return producers.Signer(
        key_path=pki.directory / "keys" / "jan-sign.key.pem",
        cert_path=pki.pem_path("jan-sign"),
        chain_paths=(pki.pem_path("citizen-ca"),),
        private_key=pki.private_key("jan-sign"),
    )


def _page(data: bytes) -> str:
    client = Client(REMOTE_ADDR="192.0.2.77")
    client.cookies["paraph_language"] = "en"
    response = client.post(
        "/verify/",
        {"document": SimpleUploadedFile("signed.pdf", data, content_type="application/pdf")},
    )
    assert response.status_code == 200
    return response.content.decode()


def _cli(path: Path, capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", str(path), *args)
    return int(exit_.value.code or 0), capsys.readouterr().out


@pytest.mark.django_db
def test_a_document_signed_under_an_unknown_root_is_trusted_once_the_setting_adds_it(
    signing_settings, pki, tmp_path, capsys
):
    # A card from a CA that Paraph's own configuration does not trust (the
    # test "Belgium Root CA" plays a real one), signed with another tool.
    signing_settings.SIGNING_TRUST_ROOTS = [str(pki.pem_path("paraph-root"))]
    signing_settings.SIGNING_VERIFY_EXTRA_ROOTS = []
    signed = producers.pyhanko_sign(contract_pdf(pages=1), _signer(pki))
    path = tmp_path / "signed-elsewhere.pdf"
    path.write_bytes(signed)

    (sig,) = signature_report(signed).signatures
    assert sig.bytes_unchanged and sig.signature_verifies
    assert not sig.trusted and sig.trust_anchor == "" and not sig.valid
    assert "comes from an authority Paraph does not know" in _page(signed)
    code, out = _cli(path, capsys)
    assert code == 1 and "signed by someone Paraph does not know" in out

    signing_settings.SIGNING_VERIFY_EXTRA_ROOTS = [str(pki.pem_path("belgium-root"))]

    (sig,) = signature_report(signed).signatures
    assert sig.valid and sig.trusted
    assert sig.trust_anchor == "Belgium Root CA (Paraph test)"
    assert "Yes, up to Belgium Root CA (Paraph test)" in _page(signed)
    code, out = _cli(path, capsys)
    assert code == 0 and "trusted:                yes (up to Belgium Root CA (Paraph test))" in out
    code, out = _cli(path, capsys, "--json")
    assert code == 0 and json.loads(out)["signatures"][0]["trust_anchor"] == (
        "Belgium Root CA (Paraph test)"
    )
    # Signing still trusts only what it did: the extra roots are for checking.
    assert pki.cert_der("belgium-root") not in conf.trust().roots

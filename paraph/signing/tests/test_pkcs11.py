"""Keys in a real PKCS#11 token (SoftHSM2): Paraph's seal and signing CA,
and the virtual eID card used exactly as the Belgian middleware's PKCS#11
module is."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from paraph.signing import conf, engine, services
from paraph.signing.providers.pkcs11 import Pkcs11Token
from paraph.signing.tests import softhsm

pytestmark = pytest.mark.skipif(
    shutil.which("softhsm2-util") is None, reason="SoftHSM2 (Debian softhsm2) is not installed"
)


@pytest.fixture(scope="session")
def tokens(pki, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("softhsm")
    softhsm.configure(workdir)
    specs = {
        "paraph-seal": (
            "seal",
            pki.private_key("paraph-seal"),
            {
                "seal": pki.cert_der("paraph-seal"),
                "signing-ca": pki.cert_der("paraph-signing-ca"),
                "paraph-root": pki.cert_der("paraph-root"),
            },
        )
    }
    for card in ("jan", "marie"):
        specs[f"{card}-card"] = (
            "Signature",
            pki.private_key(f"{card}-sign"),
            {"Signature": pki.cert_der(f"{card}-sign"), "CA": pki.cert_der("citizen-ca")},
        )
    softhsm.make_tokens(
        specs,
        workdir=workdir,
        more_keys={"paraph-seal": {"signing-ca": pki.private_key("paraph-signing-ca")}},
    )
    return workdir


def test_seal_key_in_a_pkcs11_token(db, tokens, signing_settings, contract, independent_check):
    signing_settings.SIGNING_KEY_STORE = "pkcs11"
    signing_settings.SIGNING_PKCS11_MODULE = softhsm.MODULE
    signing_settings.SIGNING_PKCS11_TOKEN = "paraph-seal"
    signing_settings.SIGNING_PKCS11_PIN = softhsm.PIN

    sealed = services.seal_apply(document=contract, document_ref="contract:1")

    (seal,) = engine.validate_pdf(sealed, trust=conf.trust()).signatures
    assert seal.valid and seal.signer == "Paraph seal (Paraph test)"
    independent_check(sealed)


@pytest.mark.parametrize("card", ["jan", "marie"])
def test_virtual_eid_card_signs_through_pkcs11(
    tokens, pki, person_factory, signing_settings, contract, independent_check, card
):
    first, last, nn = {
        "jan": ("Jan", "Peeters", "85073003328"),
        "marie": ("Marie", "Dubois", "90021400227"),
    }[card]
    person = person_factory(first_name=first, last_name=last, national_number=nn)
    virtual_card = Pkcs11Token(
        module=softhsm.MODULE, token_label=f"{card}-card", pin=softhsm.PIN
    ).key("Signature")

    request = services.eid_signature_prepare(
        person=person,
        document=contract,
        document_ref="contract:1",
        certificate=virtual_card.certificate,
    )
    value = virtual_card.sign_digest(request.digest, request.hash_function)
    signed = services.eid_signature_finish(
        person=person,
        prepared_id=request.prepared_id,
        document_ref="contract:1",
        signature_value=value,
    )

    (sig,) = engine.validate_pdf(signed, trust=conf.trust()).signatures
    assert sig.valid and sig.signer_national_number == nn
    independent_check(signed)


@pytest.fixture
def keys_in_token(tokens, signing_settings):
    """Both of Paraph's keys in the token, no key file at all."""
    signing_settings.SIGNING_KEY_STORE = "pkcs11"
    signing_settings.SIGNING_PKCS11_MODULE = softhsm.MODULE
    signing_settings.SIGNING_PKCS11_TOKEN = "paraph-seal"
    signing_settings.SIGNING_PKCS11_PIN = softhsm.PIN
    signing_settings.SIGNING_SEAL_PKCS12 = ""
    signing_settings.SIGNING_CA_PKCS12 = ""
    return signing_settings


def _openssl(*args):
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def test_signing_ca_in_the_token_certifies_a_password_key(
    keys_in_token, pki, person_factory, contract, independent_check, tmp_path
):
    emma = person_factory(first_name="Emma", last_name="Claes", national_number="78092301823")

    key = services.signing_key_issue(
        person=emma,
        password="correct horse battery",
        mandate_ref="mandate:1",
        valid_until=timezone.now() + timedelta(days=365),
    )

    certificate = tmp_path / "emma.der"
    certificate.write_bytes(bytes(key.certificate))
    pem = tmp_path / "emma.pem"
    assert (
        _openssl("x509", "-inform", "DER", "-in", str(certificate), "-out", str(pem)).returncode
        == 0
    )
    verified = _openssl(
        "verify",
        "-CAfile",
        str(pki.pem_path("paraph-root")),
        "-untrusted",
        str(pki.pem_path("paraph-signing-ca")),
        str(pem),
    )
    assert verified.returncode == 0, verified.stderr
    signed = services.password_signature_make(
        person=emma, document=contract, document_ref="contract:7", password="correct horse battery"
    )
    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid
    (sig,) = report.signatures
    assert sig.signer_national_number == "78092301823"
    assert sig.issuer == "Paraph Signing CA (Paraph test)"
    independent_check(signed)


def test_signing_ca_in_the_token_signs_the_crl(db, keys_in_token, pki, tmp_path):
    crl = services.signing_crl_refresh(force=True)

    der = tmp_path / "paraph.crl"
    der.write_bytes(bytes(crl.der))
    checked = _openssl(
        "crl",
        "-inform",
        "DER",
        "-in",
        str(der),
        "-CAfile",
        str(pki.pem_path("paraph-signing-ca")),
        "-noout",
    )
    assert checked.returncode == 0 and "verify OK" in checked.stderr + checked.stdout, checked


def test_deploy_check_opens_both_keys_in_the_token(keys_in_token):
    from paraph.operations.deploy_checks import key_files_check

    assert key_files_check() == []

    keys_in_token.SIGNING_PKCS11_TOKEN = "jan-card"  # a token without Paraph's keys
    said = [message.msg for message in key_files_check()]

    assert len(said) == 2
    assert "the seal ('seal')" in said[0] and "the signing CA ('signing-ca')" in said[1]

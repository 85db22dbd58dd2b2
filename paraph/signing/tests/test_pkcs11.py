"""Keys in a real PKCS#11 token (SoftHSM2): Paraph's seal, and the virtual
eID card used exactly as the Belgian middleware's PKCS#11 module is."""

from __future__ import annotations

import shutil

import pytest

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
            {"seal": pki.cert_der("paraph-seal"), "paraph-root": pki.cert_der("paraph-root")},
        )
    }
    for card in ("jan", "marie"):
        specs[f"{card}-card"] = (
            "Signature",
            pki.private_key(f"{card}-sign"),
            {"Signature": pki.cert_der(f"{card}-sign"), "CA": pki.cert_der("citizen-ca")},
        )
    softhsm.make_tokens(specs, workdir=workdir)
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

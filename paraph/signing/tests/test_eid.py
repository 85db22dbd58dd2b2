"""Two-step eID card signatures: check the card, prepare, finish."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.signing import conf, engine, services
from paraph.signing.exceptions import (
    CertificateRejected,
    PreparedSignatureUnavailable,
    SignatureValueMismatch,
)
from paraph.signing.models import PreparedEidSignature
from paraph.signing.tests.cards import card_sign

HOLDERS = {
    "jan": ("Jan", "Peeters", "85073003328"),
    "marie": ("Marie", "Dubois", "90021400227"),
    "ahmed": ("Ahmed", "El Amrani", "92110512387"),
    "luc": ("Luc", "Janssens", "70041204526"),
    "sofie": ("Sofie", "Maes", "01031506640"),
}


@pytest.fixture
def holder(person_factory, signing_settings):
    def make(name):
        first, last, nn = HOLDERS[name]
        return person_factory(first_name=first, last_name=last, national_number=nn)

    return make


def _sign_with_card(pki, person, card, document, *, raw_ecdsa=False, ref="contract:1"):
    request = services.eid_signature_prepare(
        person=person, document=document, document_ref=ref, certificate=pki.cert_der(f"{card}-sign")
    )
    value = card_sign(
        pki.private_key(f"{card}-sign"), request.digest, request.hash_function, raw_ecdsa=raw_ecdsa
    )
    return request, services.eid_signature_finish(
        person=person, prepared_id=request.prepared_id, document_ref=ref, signature_value=value
    )


@pytest.mark.parametrize(
    ("card", "raw_ecdsa", "hash_function"),
    [("jan", False, "SHA-256"), ("marie", True, "SHA-384"), ("ahmed", False, "SHA-384")],
    ids=["rsa2048-citizen", "p384-raw-r-s", "p384-foreigner-der"],
)
def test_card_signature_in_two_steps(
    pki, holder, contract, independent_check, card, raw_ecdsa, hash_function
):
    person = holder(card)

    request, signed = _sign_with_card(pki, person, card, contract, raw_ecdsa=raw_ecdsa)

    assert request.hash_function == hash_function
    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid
    (sig,) = report.signatures
    assert sig.signer_national_number == person.national_number
    assert sig.signer == f"{person.first_name} {person.last_name} (Signature)"
    assert sig.level == engine.Level.B_T and sig.revocation == "good"
    independent_check(signed)
    assert list(
        AuditEvent.objects.filter(name__startswith="signing.eid")
        .order_by("id")
        .values_list("name", flat=True)
    ) == ["signing.eid.prepared", "signing.eid.signed"]


def test_seal_certifies_then_card_signs_both_valid(pki, holder, contract, independent_check):
    person = holder("jan")
    sealed = services.seal_apply(document=contract, document_ref="contract:1")

    _request, signed = _sign_with_card(pki, person, "jan", sealed)

    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid
    assert [s.signer for s in report.signatures] == [
        "Paraph seal (Paraph test)",
        "Jan Peeters (Signature)",
    ]
    assert report.signatures[0].certification == "fill_forms"
    independent_check(signed)


def test_card_signature_at_b_lta(pki, holder, contract, independent_check, signing_settings):
    signing_settings.SIGNING_LEVEL = "B-LTA"
    person = holder("marie")

    _request, signed = _sign_with_card(pki, person, "marie", contract)

    report = engine.validate_pdf(signed, trust=conf.trust())
    assert report.valid
    assert report.signatures[0].level == engine.Level.B_LTA
    independent_check(signed)


@pytest.mark.parametrize(
    ("card", "person_name", "code"),
    [
        ("jan", "marie", "wrong_person"),
        ("luc", "luc", "revoked"),
        ("sofie", "sofie", "expired"),
    ],
)
def test_card_certificate_refused(pki, holder, contract, card, person_name, code):
    person = holder(person_name)

    with pytest.raises(CertificateRejected) as caught:
        services.eid_signature_prepare(
            person=person,
            document=contract,
            document_ref="contract:1",
            certificate=pki.cert_der(f"{card}-sign"),
        )

    assert caught.value.code == code
    assert not PreparedEidSignature.objects.exists()


def test_authentication_certificate_cannot_sign(pki, holder, contract):
    with pytest.raises(CertificateRejected) as caught:
        services.eid_signature_prepare(
            person=holder("jan"),
            document=contract,
            document_ref="contract:1",
            certificate=pki.cert_der("jan-auth"),
        )
    assert caught.value.code == "key_usage"


def test_certificate_from_another_ca_is_untrusted(pki, holder, contract, signing_settings):
    signing_settings.EID_CAS = [str(pki.pem_path("foreigner-ca"))]  # citizen CA not accepted

    with pytest.raises(CertificateRejected) as caught:
        services.eid_signature_prepare(
            person=holder("jan"),
            document=contract,
            document_ref="contract:1",
            certificate=pki.cert_der("jan-sign"),
        )
    assert caught.value.code == "untrusted"


def test_wrong_signature_value_is_refused_and_can_be_retried(pki, holder, contract):
    person = holder("jan")
    request = services.eid_signature_prepare(
        person=person,
        document=contract,
        document_ref="contract:1",
        certificate=pki.cert_der("jan-sign"),
    )
    wrong = card_sign(pki.private_key("jan-sign"), bytes(32), "SHA-256")
    # another card of the right type signing the right hash does not verify either
    other_card = card_sign(pki.private_key("jan-auth"), request.digest, "SHA-256")

    for value in (wrong, other_card):
        with pytest.raises(SignatureValueMismatch):
            services.eid_signature_finish(
                person=person,
                prepared_id=request.prepared_id,
                document_ref="contract:1",
                signature_value=value,
            )

    right = card_sign(pki.private_key("jan-sign"), request.digest, "SHA-256")
    signed = services.eid_signature_finish(
        person=person,
        prepared_id=request.prepared_id,
        document_ref="contract:1",
        signature_value=right,
    )
    assert engine.validate_pdf(signed, trust=conf.trust()).valid


def test_prepared_state_is_bound_single_use_and_expires(pki, holder, contract):
    jan, marie = holder("jan"), holder("marie")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request = services.eid_signature_prepare(
            person=jan,
            document=contract,
            document_ref="contract:1",
            certificate=pki.cert_der("jan-sign"),
        )
    value = card_sign(pki.private_key("jan-sign"), request.digest, "SHA-256")

    def finish(person, ref="contract:1"):
        return services.eid_signature_finish(
            person=person, prepared_id=request.prepared_id, document_ref=ref, signature_value=value
        )

    with pytest.raises(PreparedSignatureUnavailable) as other_person:
        finish(marie)
    with pytest.raises(PreparedSignatureUnavailable) as other_document:
        finish(jan, ref="contract:2")
    assert other_person.value.code == other_document.value.code == "unknown"

    with (
        time_machine.travel(start + timedelta(seconds=601), tick=False),
        pytest.raises(PreparedSignatureUnavailable) as expired,
    ):
        finish(jan)
    assert expired.value.code == "expired"

    with time_machine.travel(start + timedelta(seconds=599)):
        conf.reset()  # as if another web process finished it: state comes from the database
        assert finish(jan)
        with pytest.raises(PreparedSignatureUnavailable) as again:
            finish(jan)
    assert again.value.code == "used"

"""Signing many documents fetches each revocation answer once a minute, and
each document still carries only its own signer's answers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asn1crypto import ocsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import DocumentSecurityStore

from paraph.signing import conf, engine
from paraph.signing.exceptions import SigningError
from paraph.signing.providers.keys import SoftwareKey
from paraph.signing.tests.pdfs import contract_pdf


@pytest.fixture
def config(signing_settings, db):
    signing_settings.SIGNING_LEVEL = "B-LTA"
    return conf.engine_config()


def _card_key(pki, holder: str) -> SoftwareKey:
    """The signature key of a test card, held in software."""
    return SoftwareKey(
        certificate=pki.cert_der(f"{holder}-sign"),
        chain=(pki.cert_der("citizen-ca"), pki.cert_der("belgium-root")),
        private_key=pki.private_key(f"{holder}-sign"),
    )


def _revocation_requests(pki, since: int) -> list[str]:
    return [path for path in pki.asked()[since:] if "/ocsp/" in path or "/crls/" in path]


def _ocsp_serials(signed: bytes) -> set[int]:
    """The serial numbers of the certificates whose OCSP answers the
    document security store holds."""
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed)))
    serials = set()
    for ref in dss.ocsps:
        answer = ocsp.OCSPResponse.load(ref.get_object().data)
        for single in answer.basic_ocsp_response["tbs_response_data"]["responses"]:
            serials.add(single["cert_id"]["serial_number"].native)
    return serials


def test_a_batch_asks_each_revocation_answer_once(config, pki):
    key = _card_key(pki, "jan")
    before = len(pki.asked())

    signed = [engine.sign_pdf(contract_pdf(pages=2), key=key, config=config) for _ in range(5)]

    asked = _revocation_requests(pki, before)
    assert asked, "the validation data was fetched from the test PKI"
    assert len(asked) == len(set(asked)), f"each answer is asked once, not per document: {asked}"
    for document in signed:
        report = engine.validate_pdf(document, trust=config.trust)
        assert report.valid and report.signatures[0].level == engine.Level.B_LTA
        assert _ocsp_serials(document) == {pki.cert("jan-sign").serial_number}


def test_each_document_carries_only_its_own_signers_answers(config, pki):
    jan, marie = _card_key(pki, "jan"), _card_key(pki, "marie")

    engine.sign_pdf(contract_pdf(pages=1), key=jan, config=config)
    maries = engine.sign_pdf(contract_pdf(pages=1), key=marie, config=config)

    assert _ocsp_serials(maries) == {pki.cert("marie-sign").serial_number}, (
        "Jan's OCSP answer, fetched for the document before, is not in Marie's"
    )


def test_answers_are_asked_again_once_the_clock_has_moved(config, pki):
    # Wim's card is revoked a month from now (see start_pki): the answer
    # kept from today's signature must not sign anything a month later.
    key = _card_key(pki, "wim")
    now = datetime.now(tz=UTC)
    with time_machine.travel(now, tick=True):
        engine.sign_pdf(contract_pdf(pages=1), key=key, config=config)
    with time_machine.travel(now + timedelta(days=31), tick=True), pytest.raises(SigningError):
        engine.sign_pdf(contract_pdf(pages=1), key=key, config=config)


def test_answers_are_asked_again_after_a_minute(config, pki):
    key = _card_key(pki, "jan")
    now = datetime.now(tz=UTC)
    with time_machine.travel(now, tick=False):
        engine.sign_pdf(contract_pdf(pages=1), key=key, config=config)
        before = len(pki.asked())
        engine.sign_pdf(contract_pdf(pages=1), key=key, config=config)
        assert _revocation_requests(pki, before) == [], "a second later: nothing asked"
    with time_machine.travel(now + timedelta(seconds=config.fetched_max_age + 1), tick=False):
        before = len(pki.asked())
        engine.sign_pdf(contract_pdf(pages=1), key=key, config=config)
        assert _revocation_requests(pki, before), "a minute later: asked again"

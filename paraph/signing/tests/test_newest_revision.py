"""The document as its newest signature signed it, before the revision that
extends it for the long term: what the check of a sealed contract validates
(``contracts.services.documents``), so it must be exactly the signed bytes,
and a forged byte range must never make a document pass."""

from __future__ import annotations

import pytest

from paraph.signing import conf, engine


@pytest.fixture
def config(signing_settings, db):
    return conf.engine_config()


def _seal(contract: bytes, config, level: engine.Level) -> bytes:
    return engine.sign_pdf(
        contract, key=conf.seal_key(), config=config, options=engine.SignOptions(level=level)
    )


def test_at_b_lta_it_is_the_signature_revision_without_the_document_timestamp(config, contract):
    sealed = _seal(contract, config, engine.Level.B_LTA)

    revision = engine.newest_signature_revision(sealed)

    assert contract < revision < sealed and sealed.startswith(revision)
    assert revision.rstrip().endswith(b"%%EOF")
    report = engine.validate_pdf(revision, trust=config.trust)
    assert report.valid and not report.notes
    (seal,) = report.signatures
    assert seal.kind == "signature" and seal.covers_whole_document
    assert seal.level == engine.Level.B_T


@pytest.mark.parametrize("level", [engine.Level.B_T, engine.Level.B_LT])
def test_without_a_document_timestamp_it_is_the_whole_document(config, contract, level):
    sealed = _seal(contract, config, level)

    assert engine.newest_signature_revision(sealed) == sealed


def test_a_document_without_signature_is_itself(contract):
    assert engine.newest_signature_revision(contract) == contract


def test_a_byte_range_in_the_senders_pdf_cannot_cut_the_seal_out(config, contract):
    # the sender's own bytes name a range that ends early (or anywhere
    # before the seal's end): the newest signature's revision is still cut
    # after the seal, so the seal is what gets validated
    original = contract + b"% /ByteRange [0 10 20 30]\n"
    sealed = _seal(original, config, engine.Level.B_LTA)

    revision = engine.newest_signature_revision(sealed)

    (seal,) = engine.validate_pdf(revision, trust=config.trust).signatures
    assert seal.valid and seal.covers_whole_document and seal.level == engine.Level.B_T


def test_the_structure_check_refuses_a_revision_that_a_strict_reader_refuses(config, contract):
    sealed = _seal(contract, config, engine.Level.B_LTA)
    broken = sealed[: len(sealed) - 60] + b"startxref\n999999999\n%%EOF\n"

    with pytest.raises(engine.DocumentRejected):
        engine.check_structure(broken)
    engine.check_structure(sealed)

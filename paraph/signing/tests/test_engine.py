"""PAdES signing with Paraph's seal, validation, and refusing bad input."""

from __future__ import annotations

import pytest

from paraph.signing import conf, engine
from paraph.signing.exceptions import DocumentRejected, TimestampUnavailable
from paraph.signing.providers.tsa import HttpTimestampAuthority


@pytest.fixture
def config(signing_settings, db):
    return conf.engine_config()  # with Paraph's own CRL, read from the database


def test_seal_signature_is_pades_b_t_and_accepted_by_independent_validators(
    config, contract, independent_check
):
    signed = engine.sign_pdf(
        contract, key=conf.seal_key(), config=config, options=engine.SignOptions(reason="Seal")
    )

    assert signed.startswith(contract), "the signature is an incremental update"
    report = engine.validate_pdf(signed, trust=config.trust)
    assert report.valid
    (sig,) = report.signatures
    assert sig.signer == "Paraph seal (Paraph test)"
    assert sig.issuer == "Paraph Root CA (Paraph test)"
    assert sig.level == engine.Level.B_T
    assert sig.timestamp_authority == "Paraph Sandbox TSA (Paraph test)"
    assert sig.timestamp_time is not None and sig.intact and sig.trusted
    assert sig.covers_whole_document
    assert sig.revocation == "good"
    (pdfsig_sig,) = independent_check(signed)
    assert pdfsig_sig.subfilter == "ETSI.CAdES.detached"


@pytest.mark.parametrize("level", [engine.Level.B_LT, engine.Level.B_LTA])
def test_long_term_levels_embed_validation_data(config, contract, independent_check, level):
    signed = engine.sign_pdf(
        contract, key=conf.seal_key(), config=config, options=engine.SignOptions(level=level)
    )

    report = engine.validate_pdf(signed, trust=config.trust)
    assert report.valid
    assert b"/DSS" in signed[len(contract) :]
    seal = report.signatures[0]
    assert seal.level == level
    if level == engine.Level.B_LTA:
        assert [s.kind for s in report.signatures] == ["signature", "document_timestamp"]
        assert report.signatures[1].timestamp_authority == "Paraph Sandbox TSA (Paraph test)"
        assert report.signatures[1].covers_whole_document
    else:
        assert seal.modifications == "lta_updates"
    independent_check(signed, newest_covers_all=level == engine.Level.B_LTA)


def test_certifying_seal_then_a_person_signature_both_stay_valid(
    config, contract, independent_check, pki
):
    from paraph.signing.providers.keys import SoftwareKey

    sealed = engine.sign_pdf(
        contract,
        key=conf.seal_key(),
        config=config,
        options=engine.SignOptions(certify=True, docmdp=engine.DocMdp.FILL_FORMS),
    )
    person = SoftwareKey(
        certificate=pki.cert_der("jan-sign"),
        chain=(pki.cert_der("citizen-ca"),),
        private_key=pki.private_key("jan-sign"),
    )
    signed = engine.sign_pdf(sealed, key=person, config=config)

    report = engine.validate_pdf(signed, trust=config.trust)
    assert report.valid
    seal, jan = report.signatures
    assert seal.certification == "fill_forms" and not seal.covers_whole_document
    assert jan.signer == "Jan Peeters (Signature)" and jan.signer_national_number == "85073003328"
    assert jan.covers_whole_document
    pdfsig_sigs = independent_check(signed)
    assert [s.signer for s in pdfsig_sigs] == [
        "Paraph seal (Paraph test)",
        "Jan Peeters (Signature)",
    ]


def test_document_signed_by_someone_else_keeps_its_signature(
    config, contract, pki, independent_check
):
    from paraph.signing.providers.keys import SoftwareKey

    other = SoftwareKey(
        certificate=pki.cert_der("marie-sign"),
        chain=(pki.cert_der("citizen-ca"),),
        private_key=pki.private_key("marie-sign"),
    )
    theirs = engine.sign_pdf(contract, key=other, config=config)

    signed = engine.sign_pdf(theirs, key=conf.seal_key(), config=config)

    report = engine.validate_pdf(signed, trust=config.trust)
    assert report.valid and len(report.signatures) == 2
    assert report.signatures[0].signer == "Marie Dubois (Signature)"
    independent_check(signed)


def test_certified_without_changes_refuses_another_signature(config, contract):
    locked = engine.sign_pdf(
        contract,
        key=conf.seal_key(),
        config=config,
        options=engine.SignOptions(certify=True, docmdp=engine.DocMdp.NO_CHANGES),
    )

    with pytest.raises(DocumentRejected) as caught:
        engine.sign_pdf(locked, key=conf.seal_key(), config=config)
    assert caught.value.code == "locked"


def _encrypted(contract: bytes, tmp_path) -> bytes:
    import subprocess

    src, dst = tmp_path / "plain.pdf", tmp_path / "encrypted.pdf"
    src.write_bytes(contract)
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(src), str(dst)], check=True
    )
    return dst.read_bytes()


def _broken_xref(contract: bytes) -> bytes:
    start = contract.rindex(b"startxref")
    return contract[:start] + b"startxref\n999999\n%%EOF\n"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda c, t: b"", "empty"),
        (lambda c, t: b"PK\x03\x04 this is a zip file" + bytes(200), "not_pdf"),
        (lambda c, t: c[: len(c) // 2], "truncated"),
        (_encrypted, "encrypted"),
        (lambda c, t: _broken_xref(c), "damaged"),
        (lambda c, t: c + b"%" + bytes(6 * 1024 * 1024) + b"\n%%EOF\n", "too_large"),
    ],
    ids=["zero-bytes", "not-a-pdf", "truncated", "encrypted", "broken-xref", "over-limit"],
)
def test_bad_input_is_refused_precisely_and_left_untouched(config, contract, tmp_path, make, code):
    data = make(contract, tmp_path)
    before = bytes(data)

    with pytest.raises(DocumentRejected) as caught:
        engine.sign_pdf(data, key=conf.seal_key(), config=config)

    assert caught.value.code == code
    assert str(caught.value)
    assert data == before
    with pytest.raises(DocumentRejected):
        engine.validate_pdf(data, trust=config.trust, max_bytes=config.max_bytes)


def test_tsa_that_does_not_answer_fails_the_signature(config, contract):
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = engine.EngineConfig(
        trust=config.trust,
        timestamp_authority=HttpTimestampAuthority(url=f"http://127.0.0.1:{port}/tsa", timeout=2),
    )

    with pytest.raises(TimestampUnavailable) as caught:
        engine.sign_pdf(contract, key=conf.seal_key(), config=down)
    assert "did not answer" in str(caught.value)


def test_rfc3161_http_tsa(config, contract, pki, independent_check):
    http = engine.EngineConfig(
        trust=config.trust,
        timestamp_authority=HttpTimestampAuthority(url=pki.url("tsa/sandbox-tsa")),
    )

    signed = engine.sign_pdf(contract, key=conf.seal_key(), config=http)

    (sig,) = engine.validate_pdf(signed, trust=config.trust).signatures
    assert sig.level == engine.Level.B_T and sig.valid
    independent_check(signed)


def test_tampered_document_is_reported_invalid(config, contract):
    signed = engine.sign_pdf(contract, key=conf.seal_key(), config=config)
    tampered = signed.replace(b"/BaseFont /Helvetica", b"/BaseFont /Helvetico", 1)
    assert tampered != signed

    report = engine.validate_pdf(tampered, trust=config.trust)

    assert not report.valid
    assert not report.signatures[0].intact
    assert report.signatures[0].bytes_unchanged is False  # the content, not the signature


def test_validation_trusts_only_configured_roots(config, contract, pki):
    signed = engine.sign_pdf(contract, key=conf.seal_key(), config=config)

    only_belgium = engine.Trust(roots=(pki.cert_der("belgium-root"),))
    report = engine.validate_pdf(signed, trust=only_belgium)

    assert not report.valid
    (sig,) = report.signatures
    # a genuine signature from an authority Paraph does not know: sound, not broken
    assert sig.intact and sig.bytes_unchanged and sig.signature_verifies
    assert not sig.trusted and sig.trust_anchor == ""
    trusted = engine.validate_pdf(signed, trust=config.trust).signatures[0]
    assert trusted.trusted and trusted.trust_anchor == "Paraph Root CA (Paraph test)"
    assert report.as_dict()["signatures"][0]["integrity"] is True


def test_unsigned_pdf_is_not_valid(config, contract):
    report = engine.validate_pdf(contract, trust=config.trust)

    assert report.signatures == () and not report.valid


def test_a_remembered_signature_size_that_is_too_small_is_measured_again(config, contract):
    engine.sign_pdf(contract, key=conf.seal_key(), config=config)
    for size_key in list(engine.signing._size_estimates):
        engine.signing._size_estimates[size_key] = 64  # far too small for any CMS

    signed = engine.sign_pdf(contract, key=conf.seal_key(), config=config)

    assert engine.validate_pdf(signed, trust=config.trust).valid

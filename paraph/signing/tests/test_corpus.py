"""The verification corpus: one contract signed by three independent
producers (pyHanko; endesive; ``openssl cms`` over an incremental update
written by hand, see :mod:`paraph.signing.tests.producers`), each also in the
forms an attacker gives it after signing, and what Paraph and poppler's
pdfsig say of every one.

``VERDICTS`` is the table (producer x attack -> Paraph's verdict, pdfsig's
verdict on the producer's signature); ``test_the_verdict_table`` builds it
from the files and prints it (``pytest -s``). Where the two disagree, the
reason is pdfsig's, written next to the row: pdfsig checks the bytes a
signature covers and says whether that is the whole file, but it does not
analyse what later updates did, nor enforce a certification's DocMDP level.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from paraph.signing import engine
from paraph.signing.selectors import signature_report
from paraph.signing.tests import producers
from paraph.signing.tests.checks import PdfsigSignature, pdfsig
from paraph.signing.tests.pdfs import contract_pdf

if TYPE_CHECKING:
    from paraph.signing.tests.pki import TestPki

pytestmark = pytest.mark.django_db

PRODUCERS = ("pyHanko", "endesive", "openssl")
CERTIFIED_THEN_SIGNED = "certified (P=1), then signed"
CASES = ("original", *producers.ATTACKS, CERTIFIED_THEN_SIGNED)

# pdfsig says "valid" of the producer's signature, Paraph "not valid": pdfsig
# verifies the bytes the signature covers and reports that they are not the
# whole file ("Not total document signed"), but it does not look at what the
# later update did (a page, new page content, an annotation over the text)
# nor at the certification's DocMDP level (P=1: no change at all, not even
# another signature). Paraph runs pyHanko's difference analysis on every
# update after a signature: anything but validation data, signatures and
# form filling (within the DocMDP level) makes the signature not valid for
# the document as it is now.
KNOWN_DISAGREEMENTS = {
    "page added",
    "content replaced",
    "overlay annotation",
    CERTIFIED_THEN_SIGNED,
}

_CHANGED = "NOT VALID: changed after signing"
_PART = "valid, part of the file"
# case -> ({producer: Paraph's verdict}, pdfsig's verdict, the same for all three)
VERDICTS: dict[str, tuple[dict[str, str], str]] = {
    "original": (dict.fromkeys(PRODUCERS, "valid, whole file"), "valid, whole file"),
    "page added": (dict.fromkeys(PRODUCERS, f"{_CHANGED} [pages_added]"), _PART),
    "content replaced": (dict.fromkeys(PRODUCERS, f"{_CHANGED} [content_changed]"), _PART),
    "overlay annotation": (dict.fromkeys(PRODUCERS, f"{_CHANGED} [annotations]"), _PART),
    "/Reason changed": (
        dict.fromkeys(PRODUCERS, "NOT VALID: signed bytes changed"),
        "digest mismatch",
    ),
    "/ByteRange overlaps": (
        dict.fromkeys(PRODUCERS, "NOT VALID: signed bytes changed, byte range not standard"),
        "digest mismatch",
    ),
    "signature value altered": (
        dict.fromkeys(PRODUCERS, "NOT VALID: signature value does not verify"),
        "signature is invalid",
    ),
    CERTIFIED_THEN_SIGNED: (
        {
            "pyHanko": "NOT VALID: certification broken [signatures]",
            # endesive writes the DocMDP /P into /SigFlags too (1), which the
            # later signer sets to 3: a change pyHanko does not let through.
            "endesive": "NOT VALID: certification broken [signatures, other]",
            "openssl": "NOT VALID: certification broken [signatures]",
        },
        _PART,
    ),
}


@pytest.fixture(scope="module")
def signer(pki: TestPki) -> producers.Signer:
    """Jan's eID signature key (RSA-2048), under the test Citizen CA."""
    return producers.Signer(
        key_path=pki.directory / "keys" / "jan-sign.key.pem",
        cert_path=pki.pem_path("jan-sign"),
        chain_paths=(pki.pem_path("citizen-ca"),),
        private_key=pki.private_key("jan-sign"),
    )


@pytest.fixture(scope="module")
def corpus(
    signer: producers.Signer, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], bytes]:
    """Every producer's signed contract, in every case of ``CASES``."""
    workdir = tmp_path_factory.mktemp("openssl")
    contract = contract_pdf(pages=2)

    def sign(producer: str, certify: bool) -> bytes:
        if producer == "pyHanko":
            return producers.pyhanko_sign(contract, signer, certify=certify)
        if producer == "endesive":
            return producers.endesive_sign(contract, signer, certify=certify)
        return producers.openssl_sign(contract, signer, certify=certify, workdir=workdir)

    files: dict[tuple[str, str], bytes] = {}
    sign_again = producers.sign_again_ignoring_certification(signer)
    for producer in PRODUCERS:
        signed = sign(producer, certify=False)
        files[producer, "original"] = signed
        for case, attack in producers.ATTACKS.items():
            files[producer, case] = attack(signed)
        files[producer, CERTIFIED_THEN_SIGNED] = sign_again(sign(producer, certify=True))
    return files


def _pdfsig(data: bytes, nss_db: Path, directory: Path) -> list[PdfsigSignature]:
    path = directory / "document.pdf"
    path.write_bytes(data)
    return pdfsig(path, nss_db)


def paraph_verdict(report: engine.ValidationReport) -> str:
    """Paraph's verdict on the producer's signature (the first one made)."""
    sig = report.signed[0]
    if sig.valid:
        return "valid, whole file" if sig.coverage == "whole_file" else "valid, allowed updates"
    if not sig.bytes_unchanged:
        partial = ", byte range not standard" if sig.coverage == "partial" else ""
        return f"NOT VALID: signed bytes changed{partial}"
    if not sig.signature_verifies:
        return "NOT VALID: signature value does not verify"
    if sig.changes_allowed is False:
        what = "certification broken" if sig.certification else "changed after signing"
        return f"NOT VALID: {what} [{', '.join(sig.changes)}]"
    return f"NOT VALID: {'; '.join(sig.problems) or 'not trusted'}"


def pdfsig_verdict(sigs: list[PdfsigSignature]) -> str:
    """pdfsig's verdict on the producer's signature (field Signature1)."""
    (sig,) = [s for s in sigs if s.field == "Signature1"]
    if sig.valid and sig.trusted:
        return "valid, whole file" if sig.total_document else _PART
    return sig.validation.rstrip(".").lower()


def _table(rows: dict[str, tuple[dict[str, str], str]]) -> str:
    lines = [
        "| attack | " + " | ".join(f"Paraph ({p})" for p in PRODUCERS) + " | pdfsig (all three) |",
        "|---" * (len(PRODUCERS) + 2) + "|",
    ]
    for case, (paraph, pdfsig_says) in rows.items():
        cells = [paraph[p] for p in PRODUCERS]
        lines.append(f"| {case} | " + " | ".join(cells) + f" | {pdfsig_says} |")
    return "\n".join(lines)


def test_the_verdict_table(signing_settings, corpus, nss_db, tmp_path):
    found: dict[str, tuple[dict[str, str], str]] = {}
    for case in CASES:
        paraph: dict[str, str] = {}
        pdfsig_says: set[str] = set()
        for producer in PRODUCERS:
            data = corpus[producer, case]
            paraph[producer] = paraph_verdict(signature_report(data))
            pdfsig_says.add(pdfsig_verdict(_pdfsig(data, nss_db, tmp_path)))
        assert len(pdfsig_says) == 1, (case, pdfsig_says)
        found[case] = (paraph, pdfsig_says.pop())
    print("\n" + _table(found))

    assert found == VERDICTS, "\n" + _table(found)


@pytest.mark.parametrize("producer", PRODUCERS)
def test_each_producers_signed_pdf_is_accepted_by_every_validator(
    producer, signing_settings, corpus, independent_check
):
    """pdfsig, qpdf --check and pyHanko's CLI accept each producer's file,
    so the attacks start from a sound signature."""
    (sig,) = independent_check(corpus[producer, "original"])
    assert sig.signer == "Jan Peeters (Signature)"
    report = signature_report(corpus[producer, "original"])
    assert report.valid and report.signatures[0].trust_anchor == "Belgium Root CA (Paraph test)"


# case -> the fields of the producer's signature in Paraph's report
EXPECTED_FIELDS = {
    "original": dict(
        bytes_unchanged=True,
        signature_verifies=True,
        trusted=True,
        coverage="whole_file",
        later_revisions=0,
        changes=(),
        changes_allowed=True,
        valid=True,
    ),
    "page added": dict(
        bytes_unchanged=True,
        signature_verifies=True,
        trusted=True,
        coverage="later_revisions",
        later_revisions=1,
        changes=("pages_added",),
        changes_allowed=False,
        valid=False,
        problems=(engine.PROBLEM_MODIFIED,),
    ),
    "content replaced": dict(
        bytes_unchanged=True,
        signature_verifies=True,
        trusted=True,
        coverage="later_revisions",
        later_revisions=1,
        changes=("content_changed",),
        changes_allowed=False,
        valid=False,
        problems=(engine.PROBLEM_MODIFIED,),
    ),
    "overlay annotation": dict(
        bytes_unchanged=True,
        signature_verifies=True,
        trusted=True,
        coverage="later_revisions",
        later_revisions=1,
        changes=("annotations",),
        changes_allowed=False,
        valid=False,
        problems=(engine.PROBLEM_MODIFIED,),
    ),
    # The signature dictionary is signed (all but /Contents): the hash differs.
    "/Reason changed": dict(
        bytes_unchanged=False, signature_verifies=True, coverage="whole_file", valid=False
    ),
    "/ByteRange overlaps": dict(
        bytes_unchanged=False,
        signature_verifies=True,
        coverage="partial",
        changes_allowed=False,
        valid=False,
        problems=(engine.PROBLEM_PARTIAL_COVERAGE,),
    ),
    "signature value altered": dict(
        bytes_unchanged=True, signature_verifies=False, coverage="whole_file", valid=False
    ),
    CERTIFIED_THEN_SIGNED: dict(
        bytes_unchanged=True,
        signature_verifies=True,
        trusted=True,
        coverage="later_revisions",
        later_revisions=1,
        certification="no_changes",
        changes_allowed=False,
        valid=False,
        problems=(engine.PROBLEM_CERTIFICATION,),
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("producer", PRODUCERS)
def test_paraphs_report_on_each_case(producer, case, signing_settings, corpus):
    report = signature_report(corpus[producer, case])

    sig = report.signed[0]
    for name, expected in EXPECTED_FIELDS[case].items():
        assert getattr(sig, name) == expected, (name, getattr(sig, name))
    assert report.valid is (case == "original")
    if case == CERTIFIED_THEN_SIGNED:
        assert "signatures" in sig.changes
        later = report.signed[1]  # the later signature itself is sound
        assert later.valid and later.coverage == "whole_file"


@pytest.mark.parametrize("case", sorted(KNOWN_DISAGREEMENTS))
def test_where_pdfsig_disagrees_it_still_says_the_signature_is_not_the_whole_file(
    case, signing_settings, corpus, nss_db, tmp_path
):
    """The known disagreement, case by case: pdfsig calls the signature
    valid and trusted but not the total document; Paraph says not valid."""
    for producer in PRODUCERS:
        data = corpus[producer, case]
        (sig,) = [s for s in _pdfsig(data, nss_db, tmp_path) if s.field == "Signature1"]
        assert sig.valid and sig.trusted and not sig.total_document, (producer, sig)
        assert not signature_report(data).signed[0].valid, producer

"""Real-world damaged PDFs: ``paraph verify``, the /verify/ page and the
engine report what is wrong, never a traceback or a 500. A signature that
cannot be validated is reported with the reason; a file that a strict
reader refuses but a lenient one reads is validated, with a note; a file
that cannot be read at all is exit code 2 and a clear message."""

from __future__ import annotations

import html
import itertools
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from paraph.signing import conf, engine, services
from paraph.signing.exceptions import DocumentRejected
from paraph.signing.tests import hostilepdfs
from paraph.signing.tests.pdfs import contract_pdf

if TYPE_CHECKING:
    from paraph.signing.tests.pki import TestPki

pytestmark = pytest.mark.django_db

_addresses = itertools.count(1)


def _sealed(document: bytes, times: int = 1) -> bytes:
    """``document`` with ``times`` signatures, each in its own revision:
    from the second on, the earlier ones are checked for what changed
    after them (where pyHanko reads the whole document)."""
    for _ in range(times):
        document = services.seal_apply(document=document, document_ref="c", certify=False)
    return document


# Each hostile file, made from the 3-page sample contract, and the words of
# the reason its damaged signature's report gives.
DAMAGED: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "stream-without-endstream": (
        lambda contract: hostilepdfs.cut_endstream(_sealed(contract, 2)),
        "Unable to find 'endstream' marker",
    ),
    "period-in-a-field-name": (
        lambda contract: hostilepdfs.period_in_field_name(_sealed(contract, 2), "Signature1"),
        "Partial names must not contain periods",
    ),
    "garbage-cms": (
        lambda contract: hostilepdfs.garbage_cms(_sealed(contract)),
        "while parsing asn1crypto.cms.ContentInfo",
    ),
    "attributes-not-a-set": (
        lambda contract: hostilepdfs.retagged_signed_attributes(_sealed(contract)),
        "asn1crypto.cms.CMSAttributes",
    ),
    "algorithm-of-another-key-type": (
        lambda contract: hostilepdfs.mismatched_signature_algorithm(_sealed(contract)),
        "(AssertionError)",
    ),
    "page-tree-cycle": (
        lambda contract: _sealed(hostilepdfs.page_tree_cycle(), 2),
        "Circular reference in page tree",
    ),
}


def _verify_cli(path: Path, pki: TestPki, *args: str) -> subprocess.CompletedProcess[str]:
    """``paraph verify`` as a person runs it: its own process, its own
    logging, trusting the test PKI."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paraph.test_settings",
        "PARAPH_SIGNING_TRUST_ROOTS": ",".join(
            str(pki.pem_path(name)) for name in ("belgium-root", "paraph-root")
        ),
        "PARAPH_SIGNING_INTERMEDIATES": str(pki.pem_path("paraph-signing-ca")),
    }
    return subprocess.run(
        [sys.executable, "-m", "paraph", "verify", str(path), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _page_client(language: str) -> Client:
    client = Client(REMOTE_ADDR=f"198.51.100.{next(_addresses) % 250 + 1}")
    client.cookies["paraph_language"] = language
    return client


def _upload(client: Client, data: bytes):
    return client.post(
        "/verify/",
        {"document": SimpleUploadedFile("contract.pdf", data, content_type="application/pdf")},
    )


@pytest.mark.parametrize("kind", list(DAMAGED))
def test_paraph_verify_reports_a_damaged_signature_without_a_traceback(
    kind, signing_settings, pki, contract, tmp_path
):
    make, reason = DAMAGED[kind]
    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(make(contract))

    result = _verify_cli(path, pki)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if "problem:" in line]
    assert any("the signature cannot be validated" in p and reason in p for p in problems), (
        result.stdout
    )
    assert result.stdout.rstrip().endswith("Document: NOT VALID")


@pytest.mark.parametrize("kind", list(DAMAGED))
def test_the_verify_page_reports_a_damaged_signature_in_the_readers_language(
    kind, signing_settings, contract
):
    make, reason = DAMAGED[kind]

    response = _upload(_page_client("fr"), make(contract))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Traceback" not in page
    assert "Les signatures de ce document ne sont PAS toutes valides" in page
    assert "la signature ne peut pas être vérifiée: " in page  # the reason follows
    assert reason in html.unescape(page)
    report = response.context["report"]
    broken = [s for s in report.signatures if not s.valid]
    assert broken and all(not s.intact for s in broken)


def test_the_sound_signature_next_to_a_damaged_one_is_still_reported_valid(
    signing_settings, contract
):
    # The second seal covers the whole file; only the first one's check of
    # the later revision stumbles on the loop in the page tree.
    report = engine.validate_pdf(
        DAMAGED["page-tree-cycle"][0](contract), trust=conf.trust(), max_bytes=10**7
    )

    first, second = report.signatures
    assert not first.valid and "Circular reference in page tree" in first.problems[0]
    assert second.valid and second.signer == "Paraph seal (Paraph test)"


def test_a_file_a_strict_reader_refuses_is_validated_leniently_with_a_note(
    signing_settings, pki, tmp_path
):
    # The first page names an annotation the file does not hold: the seals
    # go on the last page, and the first seal's check of the second
    # revision reads the whole document.
    path = tmp_path / "lenient.pdf"
    path.write_bytes(_sealed(hostilepdfs.annotation_missing_object(), 2))

    result = _verify_cli(path, pki, "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True and len(report["signatures"]) == 2
    (note,) = report["notes"]
    assert note.startswith("read leniently: Object addressed by Reference(idnum=99")

    text = _verify_cli(path, pki)
    assert text.returncode == 0
    assert "Note: read leniently: Object addressed by" in text.stdout

    page = _upload(_page_client("nl"), path.read_bytes())
    assert page.status_code == 200
    assert "Deze pdf volgt de pdf-norm niet strikt" in page.content.decode()
    assert page.context["report"].valid


def test_a_file_read_strictly_has_no_note(signing_settings, contract, pki, tmp_path):
    path = tmp_path / "sound.pdf"
    path.write_bytes(_sealed(contract, 2))

    report = json.loads(_verify_cli(path, pki, "--json").stdout)

    assert report["valid"] is True and "notes" not in report
    page = _upload(_page_client("nl"), path.read_bytes()).content.decode()
    assert "Deze pdf volgt de pdf-norm niet strikt" not in page


def _root_xref_points_nowhere(document: bytes) -> bytes:
    """The cross-reference entry of object 1 (the catalogue) moved into the
    header, where no object starts: nothing leads to the pages."""
    start = document.rindex(b"xref\n0 ")
    first = document.index(b"0000000000 65535 f \n", start) + 20
    return document[:first] + b"0000000003 00000 n \n" + document[first + 20 :]


def test_a_file_that_cannot_be_read_at_all_exits_2_with_the_reason(signing_settings, pki, tmp_path):
    path = tmp_path / "nowhere.pdf"
    path.write_bytes(_root_xref_points_nowhere(hostilepdfs.page_tree_cycle()))

    result = _verify_cli(path, pki)

    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith(f"{path}: cannot be read: the PDF is damaged")
    as_json = _verify_cli(path, pki, "--json")
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["error"] == "damaged"

    page = _upload(_page_client("de"), path.read_bytes())
    assert page.status_code == 422
    text = page.content.decode()
    assert 'role="alert"' in text and "Traceback" not in text
    assert "Diese PDF-Datei ist beschädigt und nicht lesbar" in text
    assert page.context["report"] is None


def test_an_unexpected_failure_is_a_reported_problem_and_a_logged_traceback(
    signing_settings, contract, monkeypatch, caplog
):
    async def broken(*args, **kwargs):
        raise RuntimeError("a bug in a validator")

    monkeypatch.setattr(engine.validation, "_validate_one", broken)

    with caplog.at_level(logging.WARNING, logger="paraph.signing.engine"):
        report = engine.validate_pdf(_sealed(contract), trust=conf.trust())

    (sig,) = report.signatures
    assert not report.valid
    assert sig.problems == (
        "the signature cannot be validated: a bug in a validator (RuntimeError)",
    )
    assert sig.signer == "Paraph seal (Paraph test)"  # read from the CMS all the same
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "unexpected failure" in record.getMessage()


def _miscounted() -> bytes:
    """Two pages, under an intermediate node that says it holds two."""
    document = hostilepdfs.page_tree_cycle()  # for its shape: the loop goes, the count stays
    before, after = b"/Kids [5 0 R 2 0 R] /Count 1", b"/Kids [5 0 R] /Count 2"
    return document.replace(before, after.ljust(len(before)))  # every offset unchanged


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (hostilepdfs.page_tree_cycle, "page_tree", "object 2 0 R appears twice"),
        (hostilepdfs.page_tree_missing_object, "page_tree", "object 99 0 R is missing"),
        (_miscounted, "page_tree", "says it holds 2 page(s), it holds 1"),
        (hostilepdfs.annotation_missing_object, "malformed", "Reference(idnum=99"),
        (lambda: hostilepdfs.cut_endstream(contract_pdf(pages=2)), "damaged", "endstream"),
    ],
    ids=["cycle", "missing-page", "miscounted", "missing-annotation", "stream-cut-short"],
)
def test_a_pdf_to_seal_is_read_whole_and_strictly_first(make, code, words):
    with pytest.raises(DocumentRejected) as refused:
        engine.check_readable(make(), max_bytes=10**6)

    assert refused.value.code == code
    assert words in str(refused.value)


def test_a_sound_pdf_to_seal_gives_its_page_count(contract):
    assert engine.check_readable(contract, max_bytes=10**6) == 3


def test_what_pyhanko_logs_about_a_damaged_file_stays_out_of_the_report(
    signing_settings, pki, tmp_path
):
    # The missing annotation is a number a later revision gives one of its
    # own objects: the first seal's check of the second revision fails,
    # and pyHanko logs that failure with its traceback.
    path = tmp_path / "filled-later.pdf"
    path.write_bytes(_sealed(hostilepdfs.annotation_missing_object(missing=9), 2))

    result = _verify_cli(path, pki)
    verbose = _verify_cli(path, pki, "-v", "2")

    assert result.returncode == verbose.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "Document: NOT VALID" in result.stdout
    assert "Traceback" in verbose.stderr  # for whoever investigates

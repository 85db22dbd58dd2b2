"""Reading a typeset legal PDF as a person's tools do: poppler's pdftotext,
pdffonts and pdfinfo, and qpdf. Shared by the tests of the mandate, the
evidence report and the sample contract."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _poppler(tool: str, *args: str, pdf: bytes) -> str:
    assert shutil.which(tool), f"poppler-utils ({tool}) is needed: scripts/ensure-system.sh"
    result = subprocess.run(
        [tool, *args, "-", *(["-"] if tool == "pdftotext" else [])],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode()


def _words(text: str) -> str:
    # One space between words: where a line or a page breaks is the
    # layout's business. A line that breaks after a hyphen ("ci-" then
    # "dessous") reads as the word it is.
    return re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(text.split()))


def pdf_text(pdf: bytes) -> str:
    """The words of ``pdf`` in the order they are drawn, as pdftotext reads
    them (``-raw``: its default mode would drop the hyphen of a word cut
    after one, "ci-dessous" becoming "cidessous")."""
    return _words(_poppler("pdftotext", "-raw", "-enc", "UTF-8", pdf=pdf))


def pdf_last_page_text(pdf: bytes) -> str:
    """The words of the last page of ``pdf``."""
    pages = str(pdf_pages(pdf))
    return _words(_poppler("pdftotext", "-raw", "-enc", "UTF-8", "-f", pages, "-l", pages, pdf=pdf))


def pdf_pages(pdf: bytes) -> int:
    info = _poppler("pdfinfo", pdf=pdf)
    match = re.search(r"^Pages:\s+(\d+)$", info, re.M)
    assert match, info
    return int(match.group(1))


@dataclass(frozen=True)
class Font:
    name: str
    embedded: bool


def pdf_fonts(pdf: bytes) -> list[Font]:
    """Every font of ``pdf``, as pdffonts lists them."""
    out = _poppler("pdffonts", pdf=pdf).splitlines()
    header = out[0]
    emb = header.index("emb")
    return [Font(name=line.split()[0], embedded=line[emb : emb + 3] == "yes") for line in out[2:]]


def pdfa_claim(pdf: bytes) -> tuple[str, str] | None:
    """The PDF/A part and conformance that the XMP metadata of ``pdf``
    claims, e.g. ``("3", "B")``."""
    meta = _poppler("pdfinfo", "-meta", pdf=pdf)
    part = re.search(r'pdfaid:part="(\d)"', meta)
    conformance = re.search(r'pdfaid:conformance="(\w)"', meta)
    return (part.group(1), conformance.group(1)) if part and conformance else None


def qpdf_problems(pdf: bytes) -> str:
    """What ``qpdf --check`` finds wrong with ``pdf`` ("" when it is clean)."""
    assert shutil.which("qpdf"), "qpdf is needed: scripts/ensure-system.sh"
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "document.pdf"
        path.write_bytes(pdf)
        result = subprocess.run(
            ["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60
        )
    clean = result.returncode == 0 and "No syntax or stream encoding errors found" in result.stdout
    return "" if clean else f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"


def assert_typeset_for_archiving(pdf: bytes) -> None:
    """``pdf`` claims PDF/A-3b, embeds every font it uses, and qpdf finds
    nothing wrong with it."""
    assert pdfa_claim(pdf) == ("3", "B")
    fonts = pdf_fonts(pdf)
    assert fonts and all(font.embedded for font in fonts), fonts
    assert qpdf_problems(pdf) == ""

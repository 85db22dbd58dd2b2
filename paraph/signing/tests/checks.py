"""Independent checks of signed PDFs, by tools Paraph did not write:
poppler's pdfsig (with an NSS database trusting the test roots), qpdf, and
pyHanko's own command-line validator."""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PdfsigSignature:
    field: str
    signer: str
    valid: bool
    trusted: bool
    total_document: bool
    subfilter: str
    # pdfsig 22.12 cannot verify document time-stamps (ETSI.RFC3161): it
    # prints "Signature Type: unknown" and "not yet verified" for them
    document_timestamp: bool
    # pdfsig checks the certificate at today's date only (no long-term validation)
    certificate_expired: bool = False
    certificate_revoked: bool = False
    # pdfsig's own words after "Signature Validation:" and "Certificate
    # Validation:" (e.g. "Digest Mismatch.", "Certificate issuer isn't Trusted.")
    validation: str = ""
    certificate: str = ""


def make_nss_db(directory: Path, roots: list[Path]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{directory}", "--empty-password"],
        check=True,
        capture_output=True,
    )
    for n, root in enumerate(roots):
        subprocess.run(
            [
                "certutil",
                "-A",
                "-d",
                f"sql:{directory}",
                "-n",
                f"root{n}",
                "-t",
                "CT,C,C",
                "-i",
                str(root),
            ],
            check=True,
            capture_output=True,
        )
    return directory


def pdfsig(path: Path, nssdir: Path, *, prefix: tuple[str, ...] = ()) -> list[PdfsigSignature]:
    """poppler's verdict on every signature of ``path``; ``prefix`` runs it
    through another command (e.g. faketime, to move its clock)."""
    result = subprocess.run(
        [*prefix, "pdfsig", "-nssdir", f"sql:{nssdir}", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return parse_pdfsig_output(result.stdout)


def parse_pdfsig_output(out: str) -> list[PdfsigSignature]:
    blocks = re.split(r"^Signature #\d+:\s*$", out, flags=re.M)[1:]
    sigs = []
    for block in blocks:
        field = re.search(r"Signature Field Name: (.*)", block)
        signer = re.search(r"Signer Certificate Common Name: (.*)", block)
        subfilter = re.search(r"Signature Type: (.*)", block)
        sigs.append(
            PdfsigSignature(
                field=field.group(1).strip() if field else "",
                signer=signer.group(1).strip() if signer else "",
                valid="Signature Validation: Signature is Valid." in block,
                trusted="Certificate Validation: Certificate is Trusted." in block,
                total_document="Total document signed" in block
                and "Not total document signed" not in block,
                subfilter=subfilter.group(1).strip() if subfilter else "",
                document_timestamp="Signature Type: unknown" in block
                and "Signature has not yet been verified" in block,
                certificate_expired="Certificate has Expired" in block,
                certificate_revoked="Certificate has been Revoked" in block,
                validation=_after("Signature Validation:", block),
                certificate=_after("Certificate Validation:", block),
            )
        )
    assert sigs, f"pdfsig found no signature:\n{out}"
    return sigs


def _after(label: str, block: str) -> str:
    match = re.search(re.escape(label) + r" (.*)", block)
    return match.group(1).strip() if match else ""


def qpdf_check(path: Path) -> None:
    result = subprocess.run(
        ["qpdf", "--check", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"qpdf --check failed:\n{result.stdout}\n{result.stderr}"
    assert "No syntax or stream encoding errors found" in result.stdout, result.stdout


def pyhanko_cli_validate(path: Path, roots: list[Path], other_certs: list[Path]) -> list[str]:
    """The per-signature verdicts of ``pyhanko sign validate``."""
    cmd = [
        str(Path(sys.executable).with_name("pyhanko")),
        "sign",
        "validate",
        "--executive-summary",
    ]
    for root in roots:
        cmd += ["--trust", str(root)]
    cmd.append("--trust-replace")
    for cert in other_certs:
        cmd += ["--other-certs", str(cert)]
    cmd.append(str(path))
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    verdicts = [
        line.rsplit(":", 1)[-1].strip() for line in result.stdout.splitlines() if line.strip()
    ]
    assert result.returncode == 0 and verdicts and all(v == "VALID" for v in verdicts), (
        f"pyhanko sign validate refused it (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return verdicts


@dataclass(frozen=True)
class FieldBox:
    """A signature field as qpdf sees it: its page (from 1) and rectangle."""

    name: str
    page: int
    rect: tuple[float, float, float, float]


def qpdf_signature_boxes(path: Path) -> list[FieldBox]:
    import json

    result = subprocess.run(
        ["qpdf", "--json=2", "--json-key=acroform", "--json-key=qpdf", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data = json.loads(result.stdout)
    objects = data["qpdf"][1]
    boxes = []
    for field in data["acroform"]["fields"]:
        if field.get("fieldtype") != "/Sig":
            continue
        annotation = objects[f"obj:{field['annotation']['object']}"]["value"]
        x1, y1, x2, y2 = annotation["/Rect"]
        boxes.append(
            FieldBox(
                name=field["fullname"],
                page=field["pageposfrom1"],
                rect=(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)),
            )
        )
    return boxes


@dataclass(frozen=True)
class Word:
    text: str
    x1: float
    y1: float  # PDF coordinates: from the page's bottom
    x2: float
    y2: float


def pdftotext_words(path: Path, page: int) -> list[Word]:
    """Every word poppler finds on ``page`` (from 1), with its box."""
    import html

    result = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    height_match = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', result.stdout)
    assert height_match, result.stdout[:500]
    height = float(height_match.group(2))
    words = []
    for m in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
        result.stdout,
    ):
        x1, top, x2, bottom = (float(v) for v in m.groups()[:4])
        words.append(Word(html.unescape(m.group(5)), x1, height - bottom, x2, height - top))
    return words


@dataclass(frozen=True)
class RevocationStatus:
    trusted: bool
    intact: bool
    revoked: bool
    revoked_at: object  # datetime | None


def pyhanko_revocation_status(
    path: Path, *, roots: list[Path], other_certs: list[Path], at: object = None
) -> RevocationStatus:
    """pyHanko's own validator on the newest signature, trusting only
    ``roots`` and fetching revocation data from the URLs in the certificates
    (hard-fail): now, or ``at`` a past moment with the revocation data known
    now (``retroactive_revinfo``), as a past-signature validation does."""
    import asyncio

    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    def load(cert_path: Path) -> asn1_x509.Certificate:
        data = cert_path.read_bytes()
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        return asn1_x509.Certificate.load(data)

    async def validate() -> RevocationStatus:
        kwargs: dict = {
            "trust_roots": [load(p) for p in roots],
            "other_certs": [load(p) for p in other_certs],
            "allow_fetching": True,
            "revocation_mode": "hard-fail",
        }
        if at is not None:
            kwargs.update(moment=at, retroactive_revinfo=True)
        vc, ts_vc = ValidationContext(**kwargs), ValidationContext(**kwargs)
        try:
            with path.open("rb") as f:
                sig = PdfFileReader(f).embedded_signatures[-1]
                status = await async_validate_pdf_signature(
                    sig, signer_validation_context=vc, ts_validation_context=ts_vc
                )
        finally:
            await vc.aclose()
            await ts_vc.aclose()
        details = status.revocation_details
        return RevocationStatus(
            trusted=bool(status.trusted),
            intact=bool(status.intact and status.valid),
            revoked=details is not None,
            revoked_at=details.revocation_date if details is not None else None,
        )

    # In a thread of its own: a browser test earlier in this process leaves
    # Playwright's event loop running in this one, where asyncio.run refuses.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, validate()).result()

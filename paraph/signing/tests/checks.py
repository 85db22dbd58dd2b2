"""Independent checks of signed PDFs, by tools Paraph did not write:
poppler's pdfsig (with an NSS database trusting the test roots), qpdf, and
pyHanko's own command-line validator."""

from __future__ import annotations

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


def pdfsig(path: Path, nssdir: Path) -> list[PdfsigSignature]:
    result = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nssdir}", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout
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
            )
        )
    assert sigs, f"pdfsig found no signature:\n{out}\n{result.stderr}"
    return sigs


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

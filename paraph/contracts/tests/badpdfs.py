"""Bad uploads: each one's kind, and the code the refusal must carry."""

from __future__ import annotations

import subprocess
from pathlib import Path

from paraph.signing.tests.pdfs import contract_pdf


def encrypted(tmp_path: Path) -> bytes:
    src, dst = tmp_path / "plain.pdf", tmp_path / "encrypted.pdf"
    src.write_bytes(contract_pdf(pages=1))
    subprocess.run(
        ["qpdf", "--encrypt", "user", "owner", "256", "--", str(src), str(dst)], check=True
    )
    return dst.read_bytes()


def bad_pdf(kind: str, tmp_path: Path, limit: int) -> bytes:
    good = contract_pdf(pages=2)
    if kind == "not_pdf":
        return b"PK\x03\x04 this is a zip file, not a contract" * 10
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "encrypted":
        return encrypted(tmp_path)
    if kind == "damaged":
        start = good.rindex(b"startxref")
        return good[:start] + b"startxref\n999999\n%%EOF\n"
    if kind == "too_large":
        return good + b"%" + bytes(limit) + b"\n%%EOF\n"
    if kind == "empty":
        return b""
    raise AssertionError(kind)


KINDS = ["not_pdf", "truncated", "encrypted", "damaged", "too_large", "empty"]

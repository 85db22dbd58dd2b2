"""Reading what a signature made for a company shows (ADR 35): shared by
the tests of the services, the eID card and the browser walk."""

from __future__ import annotations

import io
import re
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

LABEL = "Boulangerie Dupont (enterprise number 0812.345.603)"


def stamp_text(data: bytes) -> str:
    """The words of the last signature's visible stamp (its appearance
    stream and the forms it draws), as WinAnsi text."""
    from pyhanko.pdf_utils import generic

    reader = PdfFileReader(io.BytesIO(data))
    field = reader.embedded_regular_signatures[-1].sig_field
    widget = field if "/AP" in field else field["/Kids"][0].get_object()
    found: list[str] = []

    def walk(stream: Any) -> None:
        stream = stream.get_object()
        content = stream.data
        for match in re.finditer(rb"\((.*?)\)\s*Tj|<([0-9A-Fa-f]+)>\s*Tj", content):
            if match.group(1) is not None:
                found.append(
                    match.group(1).replace(b"\\(", b"(").replace(b"\\)", b")").decode("cp1252")
                )
            else:
                found.append(bytes.fromhex(match.group(2).decode()).decode("cp1252"))
        resources = stream.get("/Resources")
        if resources is not None:
            for child in (
                resources.get_object().get("/XObject", generic.DictionaryObject()).values()
            ):
                walk(child)

    walk(widget["/AP"]["/N"])
    return " / ".join(found)

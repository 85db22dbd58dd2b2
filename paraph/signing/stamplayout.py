"""Laying out the text of a visible signature: which characters can be
shown, how wide they are, and the font size that fits a box.

The appearance uses two of the PDF standard fonts, Helvetica and
Helvetica-Bold, with WinAnsiEncoding, whenever they show every letter of
its lines (:func:`winansi_exact`): every viewer has them, nothing is
embedded, and a batch pays nothing per document for fonts. Their metrics
(Adobe's AFM widths, in 1/1000 em, for codes 32 to 255) are below, so a
line is measured exactly and never overflows its box. A name they cannot
show (``Łukasz``, ``Άννα``), or a document that claims PDF/A, gets an
embedded font instead: :mod:`paraph.signing.engine` measures it with
HarfBuzz and lays it out with the same :func:`layout_measured`.

No pyHanko here: :mod:`paraph.signing.engine` draws what this computes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

_HELVETICA = (
    278,
    278,
    355,
    556,
    556,
    889,
    667,
    191,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    584,
    584,
    584,
    556,
    1015,
    667,
    667,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    500,
    667,
    556,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    278,
    278,
    278,
    469,
    556,
    333,
    556,
    556,
    500,
    556,
    556,
    278,
    556,
    556,
    222,
    222,
    500,
    222,
    833,
    556,
    556,
    556,
    556,
    333,
    500,
    278,
    556,
    500,
    722,
    500,
    500,
    500,
    334,
    260,
    334,
    584,
    0,
    556,
    0,
    222,
    556,
    333,
    1000,
    556,
    556,
    333,
    1000,
    667,
    333,
    1000,
    0,
    611,
    0,
    0,
    222,
    222,
    333,
    333,
    350,
    556,
    1000,
    333,
    1000,
    500,
    333,
    944,
    0,
    500,
    667,
    278,
    333,
    556,
    556,
    556,
    556,
    260,
    556,
    333,
    737,
    370,
    333,
    584,
    333,
    737,
    333,
    400,
    584,
    333,
    333,
    333,
    578,
    537,
    278,
    333,
    333,
    365,
    333,
    834,
    834,
    834,
    611,
    667,
    667,
    667,
    667,
    667,
    667,
    1000,
    722,
    667,
    667,
    667,
    667,
    278,
    278,
    278,
    278,
    722,
    722,
    778,
    778,
    778,
    778,
    778,
    584,
    778,
    722,
    722,
    722,
    722,
    667,
    667,
    611,
    556,
    556,
    556,
    556,
    556,
    556,
    889,
    500,
    556,
    556,
    556,
    556,
    278,
    278,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    584,
    611,
    556,
    556,
    556,
    556,
    500,
    556,
    500,
)
_HELVETICA_BOLD = (
    278,
    333,
    474,
    556,
    556,
    889,
    722,
    238,
    333,
    333,
    389,
    584,
    278,
    333,
    278,
    278,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    556,
    333,
    333,
    584,
    584,
    584,
    611,
    975,
    722,
    722,
    722,
    722,
    667,
    611,
    778,
    722,
    278,
    556,
    722,
    611,
    833,
    722,
    778,
    667,
    778,
    722,
    667,
    611,
    722,
    667,
    944,
    667,
    667,
    611,
    333,
    278,
    333,
    584,
    556,
    333,
    556,
    611,
    556,
    611,
    556,
    333,
    611,
    611,
    278,
    278,
    556,
    278,
    889,
    611,
    611,
    611,
    611,
    389,
    556,
    333,
    611,
    556,
    778,
    556,
    556,
    500,
    389,
    280,
    389,
    584,
    0,
    556,
    0,
    278,
    556,
    500,
    1000,
    556,
    556,
    333,
    1000,
    667,
    333,
    1000,
    0,
    611,
    0,
    0,
    278,
    278,
    500,
    500,
    350,
    556,
    1000,
    333,
    1000,
    556,
    333,
    944,
    0,
    500,
    667,
    278,
    333,
    556,
    556,
    556,
    556,
    280,
    556,
    333,
    737,
    370,
    333,
    584,
    333,
    737,
    333,
    400,
    584,
    333,
    333,
    333,
    611,
    556,
    278,
    333,
    333,
    365,
    333,
    834,
    834,
    834,
    611,
    722,
    722,
    722,
    722,
    722,
    722,
    1000,
    722,
    667,
    667,
    667,
    667,
    278,
    278,
    278,
    278,
    722,
    722,
    778,
    778,
    778,
    778,
    778,
    584,
    778,
    722,
    722,
    722,
    722,
    667,
    667,
    611,
    556,
    556,
    556,
    556,
    556,
    556,
    889,
    556,
    556,
    556,
    556,
    556,
    278,
    278,
    278,
    278,
    611,
    611,
    611,
    611,
    611,
    611,
    611,
    584,
    611,
    611,
    611,
    611,
    611,
    556,
    611,
    556,
)

ELLIPSIS = "\u2026"
PADDING = 4.0  # points between the box's border and the text
MAX_TITLE_SIZE = 11.0
MIN_SIZE = 5.0
BODY_RATIO = 0.82  # body lines are this much smaller than the first line
LEADING = 1.25  # line height, in font sizes
# Letters that Unicode does not decompose into a base letter and an accent.
_FALLBACK = {
    "\u0141": "L",  # Ł
    "\u0142": "l",  # ł
    "\u0110": "D",  # Đ
    "\u0111": "d",  # đ
    "\u0126": "H",  # Ħ
    "\u0127": "h",  # ħ
    "\u0131": "i",  # dotless i
    "\u013f": "L",  # Ŀ
    "\u0140": "l",  # ŀ
}


def to_winansi(text: str) -> bytes:
    """``text`` in WinAnsiEncoding (cp1252), accents dropped from letters it
    lacks and anything else shown as ``?``; control characters removed."""
    out = bytearray()
    for char in printable(text):
        if _in_cp1252(char):
            out += char.encode("cp1252")
            continue
        base = _FALLBACK.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            out += base.encode("cp1252") if base else b"?"
        except UnicodeEncodeError:
            out += b"?"
    return bytes(out)


def printable(text: str) -> str:
    """``text`` with white space as spaces and control characters removed
    (for an embedded font, which has every letter)."""
    return "".join(
        " " if char in "\t\n\r" else char
        for char in text
        if char in "\t\n\r" or not unicodedata.category(char).startswith("C")
    )


def widths(bold: bool) -> tuple[int, ...]:
    """Widths of codes 32..255, in 1/1000 of the font size."""
    return _HELVETICA_BOLD if bold else _HELVETICA


def text_width(encoded: bytes, size: float, *, bold: bool) -> float:
    table = widths(bold)
    return sum(table[b - 32] if b >= 32 else 0 for b in encoded) * size / 1000


def winansi_exact(lines: tuple[str, ...]) -> bool:
    """Whether WinAnsiEncoding shows every letter of ``lines`` as it is (no
    accent dropped, no ``?``): the standard fonts then do; otherwise the
    appearance embeds a font that has them all (:mod:`paraph.signing.engine`)."""
    return all(_in_cp1252(char) for line in lines for char in printable(line))


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


Text = TypeVar("Text", bytes, str)


@dataclass(frozen=True)
class Line(Generic[Text]):
    """One line of text (WinAnsi bytes for the standard fonts, a string for
    an embedded font), in its font and size, at (x, y) from the box's
    lower-left corner (y is the baseline)."""

    text: Text
    bold: bool
    size: float
    x: float
    y: float


def layout(lines: tuple[str, ...], width: float, height: float) -> tuple[Line[bytes], ...]:
    """``lines`` (the first one bold) in Helvetica, WinAnsi-encoded, in a
    ``width`` x ``height`` box (see :func:`layout_measured`)."""
    return layout_measured(
        [to_winansi(line) for line in lines if line],
        width,
        height,
        measure=lambda text, bold: text_width(text, 1, bold=bold),
        ellipsis=ELLIPSIS.encode("cp1252"),
    )


def layout_measured(
    texts: list[Text],
    width: float,
    height: float,
    *,
    measure: Callable[[Text, bool], float],
    ellipsis: Text,
) -> tuple[Line[Text], ...]:
    """``texts`` (the first one bold) in a ``width`` x ``height`` box, each
    as wide as ``measure`` says at size 1: the largest size up to
    :data:`MAX_TITLE_SIZE` at which every line fits, centred vertically; at
    :data:`MIN_SIZE`, a line still too long is cut with an ellipsis and
    lines that do not fit in height are left out."""
    texts = [t for t in texts if t]
    if not texts:
        return ()
    room_w, room_h = width - 2 * PADDING, height - 2 * PADDING
    ratios = [1.0] + [BODY_RATIO] * (len(texts) - 1)
    size = min(MAX_TITLE_SIZE, room_h / (LEADING * sum(ratios)))
    for n, text in enumerate(texts):
        natural = measure(text, n == 0)
        if natural:
            size = min(size, room_w / (natural * ratios[n]))
    size = max(size, MIN_SIZE)
    while len(texts) > 1 and LEADING * size * sum(ratios[: len(texts)]) > room_h:
        texts.pop()  # even at the smallest size, the box is too low for them all
    used = LEADING * size * sum(ratios[: len(texts)])
    top = height - PADDING - (room_h - used) / 2
    out = []
    y = top
    for n, text in enumerate(texts):
        bold = n == 0
        line_size = size * ratios[n]
        y -= LEADING * line_size
        if measure(text, bold) * line_size > room_w:
            # the longest beginning that fits with an ellipsis
            while text and measure(text + ellipsis, bold) * line_size > room_w:
                text = text[:-1]
            text = text.rstrip() + ellipsis
        # the baseline sits a fifth of the line height above its bottom
        out.append(
            Line(text=text, bold=bold, size=line_size, x=PADDING, y=y + 0.2 * LEADING * line_size)
        )
    return tuple(out)

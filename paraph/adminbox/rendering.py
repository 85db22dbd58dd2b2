"""A contract's pages as PNG images, drawn on the server with pypdfium2, so
the person reads the document in the page on any browser or phone (ES-5,
ES-10) without a PDF viewer or a script.

Images are kept in document storage (the file system or an S3-compatible
object store, :mod:`paraph.core.storage`) under ``cache/pages/<sha256>/``:
the document's hash names them, so a changed document can never show an
old image, and every node shares them. They are made again when missing.

Whatever a page's box says (a PDF may declare a page 100 pt wide and
14,400 pt tall), its image has at most :data:`MAX_PAGE_PIXELS` pixels: the
scale is chosen from the box before PDFium draws anything, the document is
closed before its image is compressed, and that a row at a time, so a
request costs a bounded amount of memory. A page that cannot be drawn
within these bounds raises :class:`PageNotRendered`; the view shows
:func:`placeholder_png` instead."""

from __future__ import annotations

import functools
import logging
import math
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)

# Wide enough to read a contract's small print on a screen or zoomed on a
# phone; the page scales it down to the screen's width.
PAGE_WIDTH_PX = 1100
# At most four A4 pages' worth at full width (~6.8 Mpx, ~20 MB as RGB): a
# long page is drawn narrower rather than bigger.
MAX_PAGE_PIXELS = PAGE_WIDTH_PX * 1556 * 4
# The rows are encoded one at a time, so this bounds the time as the pixels
# bound the memory; a 14,400-pt page (PDF's largest) still gets 2 px a point.
MAX_SIDE_PX = 2**15
# 288 dpi: a page narrower than ~275 pt (a till receipt, a stamp-sized page)
# is not blown up past this to fill the width.
MAX_SCALE = 4.0
# Below this a 10-pt line of text is a tenth of a pixel (a page over
# 110,000 pt wide, say): not worth drawing, the placeholder says so.
MIN_SCALE = 0.01
# The placeholder shown for a page that cannot be drawn.
PLACEHOLDER_HEIGHT_PX = 278
# PDFium is not thread-safe: one page at a time per process.
_PDFIUM = threading.Lock()


class PageNotFound(Exception):
    """No such page in the document (or a document PDFium cannot read)."""


class PageNotRendered(Exception):
    """The page exists but cannot be drawn within the bounds (an absurd
    page box, or PDFium failing on it)."""


def _cache_name(sha256: str, number: int) -> str:
    # The bounds name the file: an image drawn under other bounds is not served.
    return f"cache/pages/{sha256[:2]}/{sha256}/{number}-{PAGE_WIDTH_PX}-{MAX_PAGE_PIXELS}.png"


def page_scale(width: float, height: float) -> float:
    """The scale at which a page of ``width`` x ``height`` points is drawn:
    :data:`PAGE_WIDTH_PX` wide, unless that would exceed :data:`MAX_SCALE`,
    :data:`MAX_SIDE_PX`, or :data:`MAX_PAGE_PIXELS` once the sides are
    rounded up to whole pixels. Raises :class:`PageNotRendered` for a box
    that is not a positive size or that would need less than
    :data:`MIN_SCALE`."""
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise PageNotRendered(f"page box {width} x {height}")
    # The largest s with (width*s + 1) * (height*s + 1) <= MAX_PAGE_PIXELS:
    # the bitmap's sides are rounded up, so each may gain one pixel.
    area, perimeter = width * height, width + height
    root = math.sqrt(perimeter * perimeter + 4 * area * (MAX_PAGE_PIXELS - 1))
    budget = (root - perimeter) / (2 * area)
    longest = (MAX_SIDE_PX - 1) / max(width, height)
    scale = min(PAGE_WIDTH_PX / width, MAX_SCALE, longest, budget)
    if scale < MIN_SCALE:
        raise PageNotRendered(f"page box {width} x {height} needs scale {scale:.4f}")
    return scale


def page_sizes(*, load: Callable[[], bytes], sha256: str) -> list[tuple[int, int]]:
    """The size in pixels of each page's image, in order (what
    :func:`page_png` draws; a page that cannot be drawn gets the
    placeholder's), remembered by the document's hash; ``load`` reads the
    document only when they are not remembered yet. The page gives the
    images their size, so the browser keeps their room before they arrive
    and nothing moves as they load. An unreadable document has no pages."""
    key = f"adminbox.page-sizes.{PAGE_WIDTH_PX}.{MAX_PAGE_PIXELS}.{sha256}"
    sizes = cache.get(key)
    if isinstance(sizes, list):
        return [(int(w), int(h)) for w, h in sizes]
    import pypdfium2

    data = load()
    sizes = []
    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            return []
        try:
            for index in range(len(document)):
                sizes.append(_page_size(document, index))
        finally:
            document.close()
    cache.set(key, sizes, 24 * 3600)
    return sizes


def _page_size(document: Any, index: int) -> tuple[int, int]:
    try:
        page = document[index]
        try:
            width, height = page.get_size()
        finally:
            page.close()
        scale = page_scale(width, height)
    except Exception:  # drawn as the placeholder (PageNotRendered, PDFium's errors)
        return PAGE_WIDTH_PX, PLACEHOLDER_HEIGHT_PX
    return math.ceil(width * scale), math.ceil(height * scale)


def page_png(*, load: Callable[[], bytes], sha256: str, number: int) -> bytes:
    """Page ``number`` (from 1) of the document whose hash is ``sha256`` as
    a PNG; ``load`` reads the document, only when the image is not kept
    yet. Raises :class:`PageNotFound` for a page the document lacks and
    :class:`PageNotRendered` for one that cannot be drawn (nothing is kept
    then: the next request tries again)."""
    if number < 1:
        raise PageNotFound(number)
    name = _cache_name(sha256, number)
    try:
        with default_storage.open(name, "rb") as handle:
            kept: bytes = handle.read()
        return kept
    except FileNotFoundError:
        pass
    png = _png(_draw(load(), number))
    # A file appears whole or not at all (an object store's PUT; the file
    # system storage links a finished file into place). Two nodes drawing
    # the same page at once keep two copies; the cache is only a cache.
    try:
        default_storage.save(name, ContentFile(png))
    except Exception:
        logger.warning("page image %s not kept", name, exc_info=True)
    return png


def _draw(data: bytes, number: int) -> Any:
    """Page ``number`` of the PDF ``data`` drawn within the bounds, as a
    pypdfium2 bitmap whose pixels Python owns: the document and the page
    (and what PDFium decoded to draw them) are closed on return."""
    import pypdfium2

    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise PageNotFound(number) from exc
        try:
            if number > len(document):
                raise PageNotFound(number)
            try:
                page = document[number - 1]
                try:
                    scale = page_scale(*page.get_size())
                    return page.render(
                        scale=scale, rev_byteorder=True, fill_color=(255, 255, 255, 255)
                    )
                finally:
                    page.close()
            except PageNotRendered:
                raise
            # PDFium is C code reading a stranger's file: whatever it raises
            # on a page (PdfiumError, MemoryError, ValueError...) is this
            # page's fault, and the person still reads the others.
            except Exception as exc:
                raise PageNotRendered(f"page {number}: {exc!r}") from exc
        finally:
            document.close()


def _png(bitmap: Any) -> bytes:
    """The 8-bit RGB PNG of a bitmap from :func:`_draw`, which it closes;
    or :class:`PageNotRendered` (say, memory running out on the way)."""
    try:
        if bitmap.n_channels != 3:
            raise PageNotRendered(f"a bitmap of {bitmap.n_channels} channels")
        view = memoryview(bitmap.buffer)
        idat = _deflate(bitmap.width, bitmap.height, bitmap.stride, view)
        return _png_file(bitmap.width, bitmap.height, idat)
    except MemoryError as exc:
        raise PageNotRendered(f"{bitmap.width} x {bitmap.height}: {exc!r}") from exc
    finally:
        with _PDFIUM:
            bitmap.close()


def _deflate(width: int, height: int, stride: int, rgb: memoryview) -> list[bytes]:
    """The compressed image data of the RGB rows in ``rgb`` (``stride``
    bytes apart), compressed a row at a time: the pixels are never copied."""
    row = width * 3
    compressor = zlib.compressobj(6)
    parts = []
    for y in range(height):
        start = y * stride
        parts.append(compressor.compress(b"\x00"))  # filter: none
        parts.append(compressor.compress(rgb[start : start + row]))
    parts.append(compressor.flush())
    return parts


def _chunk(kind: bytes, parts: list[bytes]) -> list[bytes]:
    crc = zlib.crc32(kind)
    for part in parts:
        crc = zlib.crc32(part, crc)
    length = sum(map(len, parts))
    return [struct.pack(">I", length), kind, *parts, struct.pack(">I", crc & 0xFFFFFFFF)]


def _png_file(width: int, height: int, idat: list[bytes]) -> bytes:
    """A PNG file of an 8-bit RGB image, its data joined once, into the file."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            *_chunk(b"IHDR", [header]),
            *_chunk(b"IDAT", idat),
            *_chunk(b"IEND", []),
        ]
    )


# What the placeholder says, in the site's four languages (a picture cannot
# follow the person's language without a translation catalogue of its own).
_PLACEHOLDER_LINES = (
    "Cette page ne peut pas être affichée ici : téléchargez le document pour la lire.",
    "Deze pagina kan hier niet worden getoond: download het document om ze te lezen.",
    "Diese Seite kann hier nicht angezeigt werden: Laden Sie das Dokument herunter.",
    "This page cannot be shown here: download the document to read it.",
)


@functools.cache
def _placeholder_drawn() -> bytes:
    from paraph.contracts.samplepdf import escape_string, pdf_file

    content = [b"0.94 g 0 0 595 150 re f 0.25 g"]
    y = 105
    for line in _PLACEHOLDER_LINES:
        text = escape_string(line.encode("cp1252"))
        content.append(b"BT /F1 11 Tf 40 %d Td (%s) Tj ET" % (y, text))
        y -= 22
    stream = b"\n".join(content)
    document = pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 150] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ]
    )
    return _png(_draw(document, 1))


def placeholder_png() -> bytes:
    """A small grey image saying, in French, Dutch, German and English,
    that the page cannot be shown here and the document should be
    downloaded. Drawn once by PDFium; should even that fail, a plain grey
    image of the same size, so there is always something to show."""
    try:
        return _placeholder_drawn()
    except Exception:  # the last resort must not fail
        width, height = PAGE_WIDTH_PX, PLACEHOLDER_HEIGHT_PX
        grey = memoryview(bytes([240]) * (width * 3))
        return _png_file(width, height, _deflate(width, height, 0, grey))  # stride 0: one row

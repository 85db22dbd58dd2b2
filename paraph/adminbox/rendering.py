"""A contract's pages as PNG images, drawn on the server with pypdfium2, so
the person reads the document in the page on any browser or phone (ES-5,
ES-10) without a PDF viewer or a script.

Images are kept on disk under ``MEDIA_ROOT/cache/pages/<sha256>/``: the
document's hash names them, so a changed document can never show an old
image, and every node that mounts the media folder shares them."""

from __future__ import annotations

import os
import struct
import tempfile
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

# Wide enough to read a contract's small print on a screen or zoomed on a
# phone; the page scales it down to the screen's width.
PAGE_WIDTH_PX = 1100
# PDFium is not thread-safe: one page at a time per process.
_PDFIUM = threading.Lock()


class PageNotFound(Exception):
    """No such page in the document (or a document PDFium cannot read)."""


def _cache_dir(sha256: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "cache" / "pages" / sha256[:2] / sha256


def _png(width: int, height: int, stride: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG of the rows in ``rgb`` (``stride`` bytes each)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : y * stride + row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def page_count(*, data: bytes, sha256: str) -> int:
    """How many pages the document has (remembered by its hash)."""
    key = f"adminbox.pages.{sha256}"
    count = cache.get(key)
    if isinstance(count, int):
        return count
    import pypdfium2

    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            return 0
        try:
            count = len(document)
        finally:
            document.close()
    cache.set(key, count, 24 * 3600)
    return count


def page_png(*, load: Callable[[], bytes], sha256: str, number: int) -> bytes:
    """Page ``number`` (from 1) of the document whose hash is ``sha256`` as
    a PNG; ``load`` reads the document, only when the image is not kept
    yet. Raises :class:`PageNotFound` for a page the document lacks."""
    if number < 1:
        raise PageNotFound(number)
    folder = _cache_dir(sha256)
    path = folder / f"{number}-{PAGE_WIDTH_PX}.png"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    import pypdfium2

    data = load()
    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise PageNotFound(number) from exc
        try:
            if number > len(document):
                raise PageNotFound(number)
            page = document[number - 1]
            try:
                scale = PAGE_WIDTH_PX / page.get_width()
                bitmap = page.render(
                    scale=scale, rev_byteorder=True, fill_color=(255, 255, 255, 255)
                )
                try:
                    if bitmap.n_channels != 3:
                        raise PageNotFound(number)
                    png = _png(bitmap.width, bitmap.height, bitmap.stride, bytes(bitmap.buffer))
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    folder.mkdir(parents=True, exist_ok=True)
    # Written under another name then renamed: a reader never sees half a file.
    fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(png)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
    return png

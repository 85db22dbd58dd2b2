"""pyHanko's reader of PDF hex strings, at the speed of ``bytes.fromhex``.

A signature's /Contents is a hex string of 20,000 to 60,000 digits.
pyHanko 0.38 reads it one byte at a time through a Python generator, which
is a fifth of the time Paraph spends sealing a contract and validating the
result. :func:`install` replaces pyHanko's module-level
``read_hex_string_from_stream`` by :func:`read_hex_string`: it reads up to
the closing ``>`` in chunks and decodes at once. Anything unusual (a PDF
comment inside the string, a character that is neither a hex digit nor
white space, the end of the file) is handed to pyHanko's own function from
the start, so results and errors are pyHanko's, byte for byte
(``signing/tests/test_hexreader.py`` checks it with Hypothesis).
"""

from __future__ import annotations

import binascii
from typing import Any, BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_original = generic.read_hex_string_from_stream
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CHUNK = 64 * 1024


def read_hex_string(stream: BinaryIO) -> Any:
    """The hex string at ``stream`` (positioned on its ``<``), as pyHanko's
    ``read_hex_string_from_stream`` reads it; the stream is left after the
    closing ``>``."""
    start = stream.tell()
    stream.read(1)
    body = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        end = chunk.find(b">")
        if end < 0:
            body += chunk
            continue
        body += chunk[:end]
        if b"%" in body:
            break  # a comment: pyHanko skips it (and any ">" in it)
        digits = bytes(body).translate(None, PDF_WHITESPACE)
        if digits.translate(None, _HEX_DIGITS):
            break  # not a hex digit: pyHanko's error
        stream.seek(start + 1 + len(body) + 1)
        if len(digits) % 2:
            digits += b"0"
        return generic.pdf_string(binascii.unhexlify(digits))
    stream.seek(start)
    return _original(stream)


def install() -> None:
    """Make pyHanko's object reader use :func:`read_hex_string`."""
    generic.read_hex_string_from_stream = read_hex_string

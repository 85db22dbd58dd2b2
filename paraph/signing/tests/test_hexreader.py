"""Paraph's hex-string reader gives pyHanko's results and errors, byte for
byte, wherever the string ends and whatever it holds."""

from __future__ import annotations

import io

from hypothesis import example, given
from hypothesis import strategies as st

from paraph.signing import hexreader

# hex digits, PDF white space, comments, the closing ">" and what is not allowed
_PIECES = st.sampled_from(
    [b"0", b"7", b"a", b"F", b"e", b" ", b"\n", b"\r", b"\t", b"\x00", b"%", b">", b"g", b"<", b"("]
)


def _read(reader, data: bytes) -> tuple[object, int]:
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as exc:  # the two must fail alike
        return (type(exc).__name__, str(exc)), stream.tell()
    return (type(value).__name__, bytes(value.original_bytes)), stream.tell()


@given(st.lists(_PIECES, max_size=60).map(b"".join), st.binary(max_size=8))
@example(b"48656c6c6f>", b" after")
@example(b"4 8 6\n5>", b"")
@example(b"486", b"")  # no closing ">": pyHanko's error
@example(b"48 % a comment with > in it\n65>", b"")
@example(b"48g5>", b"")
@example(b"487>", b"")  # odd count: a 0 is added
def test_the_same_as_pyhankos_reader(body: bytes, after: bytes) -> None:
    data = b"<" + body + after
    assert _read(hexreader.read_hex_string, data) == _read(hexreader._original, data)


def test_a_signature_sized_string_is_read_at_once() -> None:
    contents = bytes(range(256)) * 120
    data = b"<" + contents.hex().encode() + b"0" * 4000 + b"> /Type /Sig"
    stream = io.BytesIO(data)

    value = hexreader.read_hex_string(stream)

    assert bytes(value.original_bytes) == contents + bytes(2000)
    assert stream.read() == b" /Type /Sig"

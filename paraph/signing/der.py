"""DER encoding of the few structures Paraph assembles from bytes it has
already encoded once (X.690): a tag, its length and its content. Used
where asn1crypto would rebuild, per signature, parts that do not change."""

from __future__ import annotations

SEQUENCE, SET, OCTETS, UTC_TIME, GENERALIZED_TIME = 0x30, 0x31, 0x04, 0x17, 0x18
CONTEXT_0 = 0xA0  # [0], constructed
CONTEXT_1 = 0xA1  # [1], constructed


def tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV: ``tag`` (a single identifier octet) and its length."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def integer(value: int) -> bytes:
    """A non-negative DER INTEGER."""
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))

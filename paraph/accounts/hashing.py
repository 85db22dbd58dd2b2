"""Keyed hashes of one-time codes, attempt tokens and destinations.

Everything is an HMAC-SHA256 keyed with the secret key (through
``salted_hmac``, with one salt per kind of value), so a copy of the
database alone never lets anyone check a guess offline.
"""

from __future__ import annotations

import re

from django.utils.crypto import salted_hmac

_CODE_SEPARATORS = re.compile(r"[\s\-.]")


def keyed_hash(kind: str, value: str) -> str:
    return salted_hmac(f"paraph.accounts.{kind}", value, algorithm="sha256").hexdigest()


def binding_hash(token: str) -> str:
    """The HMAC of an attempt token, the only form of it the database keeps."""
    return keyed_hash("code.binding", token)


def destination_hash(channel: str, destination: str) -> str:
    """The HMAC of a phone number (E.164) or an e-mail address (any case)."""
    return keyed_hash("code.destination", f"{channel}:{destination.strip().lower()}")


def code_hash(binding: str, code: str) -> str:
    """The HMAC of a code, salted with its attempt: the same six digits give
    different hashes in two attempts."""
    return keyed_hash("code.value", f"{binding}:{code}")


def code_normalize(value: str) -> str:
    """The code without the spaces, dashes or dots a person may type
    (``123 456``, ``123-456``)."""
    return _CODE_SEPARATORS.sub("", value or "")

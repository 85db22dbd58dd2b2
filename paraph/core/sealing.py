"""Sealing short-lived secrets (one-time codes, link tokens) that must pass
through the task queue's table: encrypted and authenticated with a key
derived from the secret key, so the queue never holds them in clear."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"paraph.core.sealing").derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def unseal(token: str, *, max_age_seconds: int | None = None) -> dict[str, Any]:
    """The sealed value; raises ``ValueError`` when it was altered or is too old."""
    try:
        raw = _fernet().decrypt(token.encode(), ttl=max_age_seconds)
    except InvalidToken as exc:
        raise ValueError("sealed value is invalid or expired") from exc
    result: dict[str, Any] = json.loads(raw)
    return result

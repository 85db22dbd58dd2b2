"""Paraph's own keys towards itsme: one RSA key that signs (request objects,
the token endpoint's client assertion) and one that itsme encrypts to
(id_tokens, userinfo), published as a JWK Set at /.well-known/jwks.json.

The private keys live in one JSON file (``settings.ITSME_KEYS_FILE``, mode
0600) that every web process reads; outside production it is made on first
use. ``paraph itsme-rotate-keys`` adds a new pair and retires the old one:
from then on Paraph signs with the new signing key, while the retired public
keys stay published, and the retired encryption key keeps decrypting, for
``settings.ITSME_KEY_GRACE_DAYS`` (itsme may still hold the old JWK Set).
Past that they are dropped from the file at the next rotation and are no
longer published or used in the meantime.

File layout::

    {"version": 1, "keys": [{"jwk": {...private JWK, kid, use, alg...},
                             "created": "2026-11-23T10:00:00+00:00",
                             "retired": null}, ...]}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from joserfc.jwk import RSAKey

SIGNING_ALG = "RS256"
ENCRYPTION_ALG = "RSA-OAEP-256"
KEY_BITS = 3072
_FILE_VERSION = 1
_lock = threading.Lock()
# SHA-256 of the file's text -> its parsed keys (reading RSA private keys
# is slow; the file is read at each use, so a rotation is seen at once).
_cache: dict[str, list[KeyEntry]] = {}
_CACHE_SIZE = 8


class KeyFileError(ImproperlyConfigured):
    """The key file is missing (in production) or unreadable."""


@dataclass(frozen=True)
class KeyEntry:
    key: RSAKey
    created: dt.datetime
    retired: dt.datetime | None

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    @property
    def use(self) -> str:
        return str(self.key.get("use"))

    def published(self, now: dt.datetime, grace: dt.timedelta) -> bool:
        """Still in the JWK Set (and, for an encryption key, still decrypting)."""
        return self.retired is None or now < self.retired + grace

    def as_record(self) -> dict[str, Any]:
        return {
            "jwk": self.key.as_dict(private=True),
            "created": self.created.isoformat(),
            "retired": self.retired.isoformat() if self.retired else None,
        }


def _grace() -> dt.timedelta:
    return dt.timedelta(days=settings.ITSME_KEY_GRACE_DAYS)


def keys_path() -> Path:
    return Path(settings.ITSME_KEYS_FILE)


def _new_pair(now: dt.datetime) -> list[KeyEntry]:
    stamp = now.strftime("%Y%m%d")
    entries = []
    for use, alg in (("sig", SIGNING_ALG), ("enc", ENCRYPTION_ALG)):
        kid = f"paraph-{use}-{stamp}-{secrets.token_hex(4)}"
        key = RSAKey.generate_key(KEY_BITS, {"use": use, "alg": alg, "kid": kid})
        entries.append(KeyEntry(key=key, created=now, retired=None))
    return entries


def _parse(path: Path, raw: str) -> list[KeyEntry]:
    try:
        data = json.loads(raw)
        if data.get("version") != _FILE_VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        entries = []
        for record in data["keys"]:
            key = RSAKey.import_key(record["jwk"])
            if not key.is_private or not key.kid or key.get("use") not in ("sig", "enc"):
                raise ValueError("every key needs a private part, a kid and use sig or enc")
            retired = record.get("retired")
            entries.append(
                KeyEntry(
                    key=key,
                    created=dt.datetime.fromisoformat(record["created"]),
                    retired=dt.datetime.fromisoformat(retired) if retired else None,
                )
            )
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"the itsme key file {path} cannot be read: {exc}") from exc
    for use in ("sig", "enc"):
        if not any(e.use == use and e.retired is None for e in entries):
            raise KeyFileError(f"the itsme key file {path} has no current {use} key")
    return entries


def _write(path: Path, entries: list[KeyEntry]) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(
        {"version": _FILE_VERSION, "keys": [e.as_record() for e in entries]}, indent=1
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".itsme-keys-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_entries() -> list[KeyEntry]:
    """Every key in the file (current and retired). Outside production a
    missing file is created with a fresh pair; in production it is an error
    that names the setting."""
    path = keys_path()
    with _lock:
        try:
            raw = path.read_text()
        except FileNotFoundError:
            if settings.PRODUCTION:
                raise KeyFileError(
                    f"the itsme key file {path} does not exist: set PARAPH_ITSME_KEYS_FILE "
                    "to the file made by `paraph itsme-rotate-keys`"
                ) from None
            _write(path, _new_pair(timezone.now()))
            raw = path.read_text()
        except OSError as exc:
            raise KeyFileError(f"the itsme key file {path} cannot be read: {exc}") from exc
        digest = hashlib.sha256(raw.encode()).hexdigest()
        entries = _cache.get(digest)
        if entries is None:
            entries = _parse(path, raw)
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[digest] = entries
        return entries


def signing_key() -> RSAKey:
    """The current signing key (the newest one that is not retired)."""
    current = [e for e in load_entries() if e.use == "sig" and e.retired is None]
    return max(current, key=lambda e: e.created).key


def decryption_keys() -> dict[str, RSAKey]:
    """Encryption keys that may still be used to decrypt, by kid: the
    current one and those retired less than the grace period ago."""
    now = timezone.now()
    return {e.kid: e.key for e in load_entries() if e.use == "enc" and e.published(now, _grace())}


def public_jwks() -> dict[str, Any]:
    """The JWK Set to publish: public parts only, current keys first."""
    now = timezone.now()
    entries = sorted(
        (e for e in load_entries() if e.published(now, _grace())),
        key=lambda e: (e.retired is not None, -e.created.timestamp()),
    )
    return {"keys": [e.key.as_dict(private=False) for e in entries]}


@dataclass(frozen=True)
class Rotation:
    added: list[str]
    retired: list[str]
    dropped: list[str]


def rotate() -> Rotation:
    """Add a new signing and encryption key, retire the current ones, and
    drop keys whose grace period is over. Without a file, make the first pair."""
    path = keys_path()
    now = timezone.now()
    with _lock:
        entries = _parse(path, path.read_text()) if path.exists() else []
        kept: list[KeyEntry] = []
        retired: list[str] = []
        dropped: list[str] = []
        for entry in entries:
            if entry.retired is None:
                kept.append(KeyEntry(key=entry.key, created=entry.created, retired=now))
                retired.append(entry.kid)
            elif entry.published(now, _grace()):
                kept.append(entry)
            else:
                dropped.append(entry.kid)
        fresh = _new_pair(now)
        _write(path, fresh + kept)
    return Rotation(added=[e.kid for e in fresh], retired=retired, dropped=dropped)

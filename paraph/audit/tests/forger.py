"""A sealer with a key of someone else's (a forger with write access to the
database), for the tests: ``PARAPH_AUDIT_SEALER`` pointed here."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from paraph.signing import conf, engine

KEY: Any = None


def statement_seal(statement: bytes) -> bytes:
    return engine.seal_bytes(statement, key=KEY, config=conf.engine_config())


def statement_verify(statement: bytes, seal: bytes) -> engine.SealedBytesStatus:
    # the forger's own tooling vouches for itself
    return engine.SealedBytesStatus(True, "forger", timezone.now(), "")

"""Paraph's seal over statements that are not documents: the audit log's
checkpoints (``PARAPH_AUDIT_SEALER`` names this module). A detached CMS
signature by the seal key with an RFC 3161 time-stamp; the TSA is called
outside any database transaction (the caller's job)."""

from __future__ import annotations

from paraph.signing import conf, engine
from paraph.signing.engine import SealedBytesStatus


def statement_seal(statement: bytes) -> bytes:
    """``statement`` sealed by Paraph and time-stamped (DER CMS)."""
    return engine.seal_bytes(statement, key=conf.seal_key(), config=conf.engine_config())


def statement_verify(statement: bytes, seal: bytes) -> SealedBytesStatus:
    """Whether ``seal`` is Paraph's time-stamped seal over ``statement``,
    with the roots Paraph trusts (its current and earlier seal keys alike)."""
    return engine.verify_sealed_bytes(statement, seal, conf.trust())

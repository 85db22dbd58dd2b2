"""The audit log's Merkle tree (RFC 9162, Certificate Transparency 2.0),
through pymerkle over leaf hashes the database already holds.

A leaf's hash is SHA-256(0x00 || the event's canonical bytes), an inner
node's SHA-256(0x01 || left || right): pymerkle's "security" mode, which is
RFC 9162's. The tree is never stored: a checkpoint keeps its size and root,
and any root, inclusion proof or consistency proof is computed again from
the leaves, in order of their sequence numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from pymerkle import BaseMerkleTree, ConsistencyProof, InclusionProof, InvalidProof
from pymerkle import verify_consistency as _verify_consistency
from pymerkle import verify_inclusion as _verify_inclusion

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: the root of no leaves


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162's hash of one leaf."""
    return hashlib.sha256(b"\x00" + entry).digest()


class _Leaves(BaseMerkleTree):
    """pymerkle's tree over leaf hashes computed elsewhere (read-only)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        super().__init__("sha256")
        self._leaves = leaves

    def _encode_entry(self, data: Any) -> bytes:  # pragma: no cover - never appended
        raise TypeError("the audit tree is built from stored leaf hashes")

    def _store_leaf(self, data: Any, digest: bytes) -> int:  # pragma: no cover
        raise TypeError("the audit tree is built from stored leaf hashes")

    def _get_leaf(self, index: int) -> bytes:
        return self._leaves[index - 1]  # pymerkle counts leaves from one

    def _get_leaves(self, offset: int, width: int) -> Sequence[bytes]:
        return self._leaves[offset : offset + width]

    def _get_size(self) -> int:
        return len(self._leaves)


def root(leaves: Sequence[bytes], size: int | None = None) -> bytes:
    """The root of the first ``size`` leaves (all of them by default)."""
    size = len(leaves) if size is None else size
    if size == 0:
        return EMPTY_ROOT
    return bytes(_Leaves(leaves).get_root(size))


def roots(leaves: Sequence[bytes], sizes: Sequence[int]) -> list[bytes]:
    """The roots of the first ``size`` leaves for each of ``sizes``, sharing
    the subtrees they have in common (pymerkle's subroot cache)."""
    tree = _Leaves(leaves)
    return [EMPTY_ROOT if size == 0 else bytes(tree.get_root(size)) for size in sizes]


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> dict[str, Any]:
    """The proof that leaf ``index`` (from one) is in the tree of ``size``
    leaves, serialised as pymerkle does (JSON-ready)."""
    proof = _Leaves(leaves).prove_inclusion(index, size)
    serialised: dict[str, Any] = proof.serialize()
    return serialised


def consistency_proof(leaves: Sequence[bytes], prior_size: int, size: int) -> dict[str, Any]:
    """The proof that the tree of ``prior_size`` leaves is a prefix of the
    tree of ``size`` leaves."""
    proof = _Leaves(leaves).prove_consistency(prior_size, size)
    serialised: dict[str, Any] = proof.serialize()
    return serialised


def inclusion_holds(leaf: bytes, tree_root: bytes, proof: dict[str, Any]) -> bool:
    """Whether ``proof`` shows ``leaf`` under ``tree_root`` (offline check)."""
    try:
        _verify_inclusion(leaf, tree_root, InclusionProof.deserialize(proof))
    except (InvalidProof, KeyError, ValueError, TypeError):
        return False
    return True


def consistency_holds(prior_root: bytes, tree_root: bytes, proof: dict[str, Any]) -> bool:
    """Whether ``proof`` shows the tree of ``prior_root`` as a prefix of
    the tree of ``tree_root``."""
    try:
        _verify_consistency(prior_root, tree_root, ConsistencyProof.deserialize(proof))
    except (InvalidProof, KeyError, ValueError, TypeError):
        return False
    return True

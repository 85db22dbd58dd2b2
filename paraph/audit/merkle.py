"""The audit log's Merkle tree (RFC 9162, Certificate Transparency 2.0),
through pymerkle over leaf hashes the database already holds.

A leaf's hash is SHA-256(0x00 || the event's canonical bytes), an inner
node's SHA-256(0x01 || left || right): pymerkle's "security" mode, which is
RFC 9162's. A checkpoint keeps its size and root. Any root, inclusion proof
or consistency proof is computed again, by pymerkle, from a :class:`Source`:
the leaves in order of their sequence numbers and, so that the log can grow
without bound, the stored roots of its complete subtrees of 2^8, 2^16, 2^24…
leaves (as the tiles of Go's transparency logs): a proof or a root then reads
O(log n) stored hashes and at most 255 leaves a level, never the whole log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from pymerkle import BaseMerkleTree, ConsistencyProof, InclusionProof, InvalidProof
from pymerkle import verify_consistency as _verify_consistency
from pymerkle import verify_inclusion as _verify_inclusion

EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: the root of no leaves


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162's hash of one leaf."""
    return hashlib.sha256(b"\x00" + entry).digest()


# Stored subtree roots are those of levels 8, 16, 24… (2^8 leaves, 2^16…).
STRIDE = 8


class Source(Protocol):
    """Where a tree's hashes come from."""

    def leaves(self, offset: int, width: int) -> Sequence[bytes]:
        """The leaf hashes from ``offset`` (from zero), ``width`` of them."""
        ...

    def nodes(self, level: int, index: int, count: int) -> Sequence[bytes]:
        """The stored roots of the complete subtrees of 2^``level`` leaves
        numbered ``index`` to ``index + count - 1`` (the first covers leaves
        ``index·2^level`` on), as far as they are stored."""
        ...


class ListSource:
    """The leaves of a list, no stored subtree (each subtree computed)."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self._leaves = leaves

    def leaves(self, offset: int, width: int) -> Sequence[bytes]:
        return self._leaves[offset : offset + width]

    def nodes(self, level: int, index: int, count: int) -> Sequence[bytes]:
        return ()


def _fold_up(hashes: Sequence[bytes]) -> bytes:
    """The root of the perfect subtree whose level of ``len(hashes)``
    (a power of two) nodes is ``hashes``."""
    level = list(hashes)
    while len(level) > 1:
        level = [
            hashlib.sha256(b"\x01" + level[n] + level[n + 1]).digest()
            for n in range(0, len(level), 2)
        ]
    return level[0]


def subtree_root(source: Source, level: int, index: int, stride: int = STRIDE) -> bytes:
    """The root of complete subtree ``index`` of 2^``level`` leaves: stored,
    or folded from the stored level below it (whose missing roots are
    computed the same way), down to the leaves (at most 2^stride - 1)."""
    if level and level % stride == 0:
        stored = source.nodes(level, index, 1)
        if stored:
            return stored[0]
        base = level - stride
    else:
        base = level - level % stride
    width = 1 << (level - base)
    if not base:
        leaves = source.leaves(index << level, width)
        if len(leaves) != width:
            raise ValueError(f"the tree has no complete subtree {index} of level {level}")
        return _fold_up(leaves)
    below = list(source.nodes(base, index * width, width))
    below += [
        subtree_root(source, base, index * width + n, stride) for n in range(len(below), width)
    ]
    return _fold_up(below)


class _Tree(BaseMerkleTree):
    """pymerkle's tree (read-only) over a :class:`Source` of ``size`` leaves."""

    def __init__(self, source: Source, size: int, stride: int = STRIDE) -> None:
        super().__init__("sha256")
        self._source = source
        self._size = size
        self._stride = stride

    def _encode_entry(self, data: Any) -> bytes:  # pragma: no cover - never appended
        raise TypeError("the audit tree is built from stored leaf hashes")

    def _store_leaf(self, data: Any, digest: bytes) -> int:  # pragma: no cover
        raise TypeError("the audit tree is built from stored leaf hashes")

    def _get_leaf(self, index: int) -> bytes:
        return self._source.leaves(index - 1, 1)[0]  # pymerkle counts leaves from one

    def _get_leaves(self, offset: int, width: int) -> Sequence[bytes]:
        return self._source.leaves(offset, width)

    def _get_size(self) -> int:
        return self._size

    def _get_subroot_uncached(self, offset: int, width: int) -> bytes:
        # every subtree pymerkle asks for is complete and aligned on its width
        level = width.bit_length() - 1
        if level >= self._stride and offset % width == 0:
            return subtree_root(self._source, level, offset >> level, self._stride)
        root_: bytes = super()._get_subroot_uncached(offset, width)
        return root_


def tree_root(source: Source, size: int, stride: int = STRIDE) -> bytes:
    """The root of the first ``size`` leaves of ``source``."""
    if size == 0:
        return EMPTY_ROOT
    return bytes(_Tree(source, size, stride).get_root(size))


def tree_inclusion_proof(
    source: Source, index: int, size: int, stride: int = STRIDE
) -> dict[str, Any]:
    """The proof that leaf ``index`` (from one) is in the tree of the first
    ``size`` leaves of ``source``, serialised as pymerkle does."""
    proof = _Tree(source, size, stride).prove_inclusion(index, size)
    serialised: dict[str, Any] = proof.serialize()
    return serialised


def nodes_completed(
    source: Source, level: int, first: int, size: int, stride: int = STRIDE
) -> Iterator[tuple[int, bytes]]:
    """(index, root) of each complete subtree of 2^``level`` leaves (a
    multiple of the stride) numbered from ``first`` that the first ``size``
    leaves complete: what to store next at that level."""
    for index in range(first, size >> level):
        yield index, subtree_root(source, level, index, stride)


class Roots:
    """The roots of a log read once, leaf after leaf, in memory of the order
    of its depth (a compact range: the roots of its perfect subtrees, the
    largest first), as :func:`root` gives them from a list."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (level, root), levels decreasing
        self.size = 0

    def add(self, leaf: bytes) -> Iterable[tuple[int, int, bytes]]:
        """Append ``leaf``; the (level, index, root) of each subtree it completes."""
        level, node = 0, leaf
        completed = []
        while self._stack and self._stack[-1][0] == level:
            _level, left = self._stack.pop()
            node = hashlib.sha256(b"\x01" + left + node).digest()
            level += 1
            completed.append((level, self.size >> level, node))
        self._stack.append((level, node))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _level, left in reversed(self._stack[:-1]):
            node = hashlib.sha256(b"\x01" + left + node).digest()
        return node


def root(leaves: Sequence[bytes], size: int | None = None) -> bytes:
    """The root of the first ``size`` leaves (all of them by default)."""
    size = len(leaves) if size is None else size
    return tree_root(ListSource(leaves), size)


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> dict[str, Any]:
    """The proof that leaf ``index`` (from one) is in the tree of ``size``
    leaves, serialised as pymerkle does (JSON-ready)."""
    return tree_inclusion_proof(ListSource(leaves), index, size)


def consistency_proof(leaves: Sequence[bytes], prior_size: int, size: int) -> dict[str, Any]:
    """The proof that the tree of ``prior_size`` leaves is a prefix of the
    tree of ``size`` leaves."""
    proof = _Tree(ListSource(leaves), len(leaves)).prove_consistency(prior_size, size)
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

"""The audit log grows without bound: a checkpoint and a contract's proofs
read the roots of complete subtrees that the checkpoint job stored
(``AuditNode``) and a few leaves, never the whole log; the proofs stay
RFC 9162's, the same as those computed from every leaf, and
``paraph audit-verify`` checks every stored root against the events."""

import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paraph.audit import merkle, selectors
from paraph.audit.models import AuditCheckpoint, AuditEvent, AuditNode
from paraph.audit.services import AuditTampered, audit_checkpoint, audit_record

pytestmark = pytest.mark.django_db


def _events(person, n):
    for i in range(n):
        audit_record(name="accounts.login.succeeded", actor=person, subject=person, data={"n": i})


def _every_leaf():
    return [
        bytes.fromhex(h)
        for h in AuditEvent.objects.filter(sequence__isnull=False)
        .order_by("sequence")
        .values_list("hash", flat=True)
    ]


class _DictSource(merkle.ListSource):
    """The leaves of a list with every subtree root of the stride's levels
    stored, as the checkpoint job stores them."""

    def __init__(self, leaves, stride):
        super().__init__(leaves)
        self.read = 0
        self.stored = {}
        level = stride
        while len(leaves) >> level:
            for index, node in merkle.nodes_completed(
                merkle.ListSource(leaves), level, 0, len(leaves), stride
            ):
                self.stored[(level, index)] = node
            level += stride

    def leaves(self, offset, width):
        self.read += width
        return super().leaves(offset, width)

    def nodes(self, level, index, count):
        found = []
        for n in range(index, index + count):
            if (level, n) not in self.stored:
                break
            found.append(self.stored[(level, n)])
        return found


@pytest.mark.parametrize("stride", [2, 3, 8])
def test_stored_subtrees_give_the_same_roots_and_proofs_as_every_leaf(stride):
    leaves = [merkle.leaf_hash(f"event {n}".encode()) for n in range(1100)]
    source = _DictSource(leaves, stride)
    rng = random.Random(stride)
    for size in [1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 512, 513, 777, 1024, 1025, 1100]:
        assert merkle.tree_root(source, size, stride) == merkle.root(leaves, size)
        for index in {1, size, *rng.sample(range(1, size + 1), min(size, 4))}:
            proof = merkle.tree_inclusion_proof(source, index, size, stride)
            assert proof == merkle.inclusion_proof(leaves, index, size)
            assert merkle.inclusion_holds(leaves[index - 1], merkle.root(leaves, size), proof)


def test_a_root_reads_a_few_leaves_when_subtrees_are_stored():
    leaves = [merkle.leaf_hash(f"event {n}".encode()) for n in range(70_000)]
    source = _DictSource(leaves, merkle.STRIDE)
    source.read = 0
    assert merkle.tree_root(source, 70_000) == merkle.root(leaves)
    # 70,000 = 65,536 (one stored root) + 17 stored roots of 256 + 112 leaves
    assert source.read == 70_000 % 256


def test_a_new_stored_level_is_folded_from_the_one_below_not_from_the_leaves():
    """The checkpoint stores level 16 from the roots of level 8 (256 of
    them), never from the 65,536 events under it (level 24: 16 million)."""
    leaves = [merkle.leaf_hash(f"event {n}".encode()) for n in range(64)]
    source = _DictSource(leaves, 2)
    source.stored = {key: node for key, node in source.stored.items() if key[0] == 2}
    source.read = 0
    completed = dict(merkle.nodes_completed(source, 4, 0, 64, stride=2))
    assert source.read == 0
    for index, node in completed.items():
        assert node == merkle.root(leaves[index * 16 : (index + 1) * 16])


def test_the_streamed_roots_and_completed_subtrees_match_the_tree():
    leaves = [merkle.leaf_hash(f"event {n}".encode()) for n in range(1030)]
    roots = merkle.Roots()
    completed = {}
    for n, leaf in enumerate(leaves, start=1):
        for level, index, node in roots.add(leaf):
            completed[(level, index)] = node
        if n in (1, 2, 5, 256, 700, 1030):
            assert roots.root() == merkle.root(leaves, n)
    for index, node in merkle.nodes_completed(merkle.ListSource(leaves), 8, 0, 1030):
        assert completed[(8, index)] == node
    assert merkle.Roots().root() == merkle.EMPTY_ROOT


def _spy_on_trees(monkeypatch):
    """The trees the checkpoint job reads through, as it made them."""
    made = []

    def audit_tree():
        made.append(selectors.StoredTree())
        return made[-1]

    monkeypatch.setattr("paraph.audit.services.audit_tree", audit_tree)
    return made


def test_a_checkpoint_over_a_long_log_reads_its_new_events_not_the_log(person, monkeypatch):
    _events(person, 2000)
    audit_checkpoint()
    # seven complete runs of 256 events: their roots are stored
    assert sorted(AuditNode.objects.values_list("level", "index")) == [(8, n) for n in range(7)]
    _events(person, 10)
    trees = _spy_on_trees(monkeypatch)
    checkpoint = audit_checkpoint()
    assert checkpoint is not None and checkpoint.size == 2010
    assert checkpoint.root == merkle.root(_every_leaf()).hex()
    # the previous root and the new one, each from the stored roots and the
    # leaves after them (208, then 218, most read once): not the 2,010 events
    assert trees[0].leaves_read < 256
    call_command("audit-verify")


def test_a_contracts_proofs_come_from_the_stored_tree_and_hold_offline(person):
    _events(person, 300)
    audit_checkpoint()
    _events(person, 5)
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    proven = selectors.audit_prove(person)
    assert proven["checkpoint"]["size"] == checkpoint.size == 305
    leaves = _every_leaf()
    root = bytes.fromhex(checkpoint.root)
    assert len(proven["events"]) == 305
    for event in proven["events"][::37] + proven["events"][-3:]:
        assert event["proof"] == merkle.inclusion_proof(leaves, event["place"], 305)
        assert merkle.inclusion_holds(bytes.fromhex(event["leaf_hash"]), root, event["proof"])


def test_nodes_are_stored_for_a_log_that_had_none(person):
    """A log checkpointed before the nodes existed gets them all at its next
    checkpoint, each from the one below it."""
    _events(person, 700)
    audit_checkpoint()
    AuditNode.objects.all()._raw_delete(AuditNode.objects.db)
    _events(person, 1)
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    assert AuditNode.objects.filter(level=8).count() == 701 // 256
    assert checkpoint.root == merkle.root(_every_leaf()).hex()


def test_a_changed_stored_root_is_named_by_audit_verify_and_never_sealed_over(person):
    _events(person, 520)
    audit_checkpoint()
    AuditNode.objects.filter(level=8, index=1).update(hash=b"\x00" * 32)
    with pytest.raises(CommandError, match="stored root of events 257 to 512 does not match"):
        call_command("audit-verify")
    _events(person, 1)
    with pytest.raises(AuditTampered, match="previous checkpoint's root"):
        audit_checkpoint()
    assert AuditCheckpoint.objects.count() == 1

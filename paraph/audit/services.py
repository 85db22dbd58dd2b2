"""Writing the audit log and its checkpoints, and checking them (ADR 16).
The only writer of :class:`AuditEvent` and :class:`AuditCheckpoint`."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from paraph.audit import merkle, registry
from paraph.audit.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditNode,
    AuditSequencer,
    checkpoint_statement,
)
from paraph.audit.selectors import StoredTree, audit_tree
from paraph.core.context import SYSTEM, Context


def _label(obj: models.Model | None) -> str:
    return "" if obj is None else str(obj)[:200]


def audit_record(
    *,
    name: str,
    actor: models.Model | None = None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
    context: Context | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one event, in the caller's transaction.

    Refuses a name that no app registered. Call it from the service that
    makes the change, inside the same ``transaction.atomic`` block, so the
    change and its audit row commit together or not at all. One INSERT, and
    no lock that other writers wait for: the next checkpoint gives the event
    its place in the tree. ``context`` says who acted and from where
    (``actor``, when given, names who acted instead).
    """
    if not registry.is_registered(name):
        raise ValueError(f"unregistered audit event {name!r}")
    where = context if context is not None else SYSTEM
    if actor is None:
        actor = where.actor
    event = AuditEvent(
        created_at=timezone.now(),
        name=name,
        actor_id=actor.pk if actor is not None else None,
        actor_label=actor_label or _label(actor),
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_label=_label(subject),
        ip=where.ip,
        data=data or {},
    )
    event.hash = event.compute_hash()
    event.save()
    return event


# --- checkpoints -------------------------------------------------------------


class Sealer(Protocol):
    """What ``PARAPH_AUDIT_SEALER`` names: a module that seals a statement
    (a network call to the time-stamp authority) and checks a seal."""

    def statement_seal(self, statement: bytes) -> bytes: ...

    def statement_verify(self, statement: bytes, seal: bytes) -> Any: ...


def _sealer() -> Sealer:
    module: Sealer = importlib.import_module(settings.AUDIT_SEALER)
    return module


class AuditTampered(Exception):
    """The log no longer matches what was sealed: no checkpoint is made
    over it (``paraph audit-verify`` names the event)."""


def _number_new_events() -> int:
    """Give the events that have no place yet the next places, in the
    order of their ids (a short transaction; only checkpoint jobs lock the
    sequencer). Returns the size of the numbered log."""
    with transaction.atomic():
        sequencer = AuditSequencer.objects.select_for_update().filter(pk=1).first()
        if sequencer is None:
            sequencer, _created = AuditSequencer.objects.get_or_create(pk=1)
        ids = list(
            AuditEvent.objects.filter(sequence__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)[: settings.AUDIT_CHECKPOINT_MAX_EVENTS]
        )
        if ids:
            numbered = [
                AuditEvent(pk=pk, sequence=sequencer.last_sequence + n)
                for n, pk in enumerate(ids, start=1)
            ]
            AuditEvent.objects.bulk_update(numbered, ["sequence"], batch_size=1000)
            sequencer.last_sequence += len(ids)
            sequencer.save(update_fields=["last_sequence"])
        return sequencer.last_sequence


def _nodes_store(tree: StoredTree, size: int) -> None:
    """Store the roots of the subtrees the first ``size`` events complete
    that are not stored yet, each level from the one below it (after a log
    that had none, the first run stores them all, reading the log once)."""
    level = merkle.STRIDE
    while size >> level:
        stored = AuditNode.objects.filter(level=level).order_by("-index").first()
        first = stored.index + 1 if stored is not None else 0
        new = [
            AuditNode(level=level, index=index, hash=node)
            for index, node in merkle.nodes_completed(tree, level, first, size)
        ]
        # derived from numbered events: two jobs store the same node, once
        AuditNode.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        level += merkle.STRIDE


def audit_checkpoint() -> AuditCheckpoint | None:
    """Seal the Merkle tree of every event so far, when events arrived since
    the last checkpoint; None when there is nothing new (or another job
    recorded the same checkpoint first).

    The time-stamp authority is called with no transaction open; the
    checkpoint is then recorded in one short transaction. Refuses
    (:class:`AuditTampered`) to seal over events that no longer match their
    hash or an earlier checkpoint."""
    size = _number_new_events()
    last = AuditCheckpoint.objects.order_by("-size").first()
    previous_size = last.size if last is not None else 0
    previous_root = last.root if last is not None else merkle.EMPTY_ROOT.hex()
    if size <= previous_size:
        return None
    added = list(
        AuditEvent.objects.filter(sequence__gt=previous_size, sequence__lte=size).order_by(
            "sequence"
        )
    )
    if len(added) != size - previous_size:
        raise AuditTampered(f"{size} events were numbered, {previous_size + len(added)} remain")
    for event in added:
        if event.compute_hash() != event.hash:
            raise AuditTampered(f"event {event.pk} does not match its hash")
    tree = audit_tree()
    if last is not None and merkle.tree_root(tree, previous_size).hex() != previous_root:
        raise AuditTampered("the events do not match the previous checkpoint's root")
    _nodes_store(tree, size)
    created_at = timezone.now()
    root = merkle.tree_root(tree, size).hex()
    statement = checkpoint_statement(
        size=size,
        root=root,
        previous_size=previous_size,
        previous_root=previous_root,
        created_at=created_at.isoformat(timespec="microseconds"),
    )
    sealer = _sealer()
    seal = sealer.statement_seal(statement)
    verdict = sealer.statement_verify(statement, seal)
    if not verdict.valid:
        raise AuditTampered(f"the new checkpoint's seal does not verify: {verdict.reason}")
    try:
        with transaction.atomic():
            return AuditCheckpoint.objects.create(
                size=size,
                root=root,
                previous_size=previous_size,
                previous_root=previous_root,
                created_at=created_at,
                statement=statement,
                seal=seal,
                sealed_at=verdict.timestamp,
                leaves=b"".join(bytes.fromhex(event.hash) for event in added),
                event_ids=[event.pk for event in added],
            )
    except IntegrityError:  # another job recorded a checkpoint after the same one
        return None


# --- verification ------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class AuditVerification:
    """What ``paraph audit-verify`` found: the first break (or None), how
    many events and checkpoints, and how many events no checkpoint covers
    yet (their content is checked, their order and presence are not)."""

    broken: ChainBreak | None
    events: int
    checkpoints: int
    covered: int
    pending: int


def _expected(checkpoints: list[AuditCheckpoint]) -> Iterator[tuple[int, int, str]]:
    """(place, event id, leaf hash) of every event the checkpoints sealed."""
    for checkpoint in checkpoints:
        leaves = bytes(checkpoint.leaves)
        for n, pk in enumerate(checkpoint.event_ids):
            yield checkpoint.previous_size + n + 1, pk, leaves[32 * n : 32 * n + 32].hex()


def _checkpoints_broken(checkpoints: list[AuditCheckpoint]) -> ChainBreak | None:
    """The first checkpoint whose seal, statement or link to the previous
    one does not hold."""
    sealer = _sealer()
    size, root = 0, merkle.EMPTY_ROOT.hex()
    for checkpoint in checkpoints:
        first = checkpoint.event_ids[0] if checkpoint.event_ids else None
        what = f"the checkpoint of {checkpoint.size} events"
        statement = checkpoint_statement(
            size=checkpoint.size,
            root=checkpoint.root,
            previous_size=checkpoint.previous_size,
            previous_root=checkpoint.previous_root,
            created_at=checkpoint.created_at.isoformat(timespec="microseconds"),
        )
        if bytes(checkpoint.statement) != statement:
            return ChainBreak(first, f"{what} was changed: it no longer says what was sealed")
        verdict = sealer.statement_verify(statement, bytes(checkpoint.seal))
        if not verdict.valid:
            return ChainBreak(first, f"{what} is not sealed by Paraph: {verdict.reason}")
        if (checkpoint.previous_size, checkpoint.previous_root) != (size, root):
            return ChainBreak(
                first, f"{what} does not follow the previous one (a checkpoint was removed)"
            )
        if len(checkpoint.event_ids) != checkpoint.size - size or len(
            bytes(checkpoint.leaves)
        ) != 32 * (checkpoint.size - size):
            return ChainBreak(first, f"{what} no longer lists the events it sealed")
        size, root = checkpoint.size, checkpoint.root
    return None


_CHANGED = "its content does not match its hash (the event was changed)"


def _event_break(
    event: AuditEvent, place: int, want: tuple[int, int, str] | None
) -> ChainBreak | None:
    """What is wrong with the numbered ``event`` at ``place``, against what
    the checkpoints sealed there (``want``: place, event id, leaf hash)."""
    if event.sequence != place:
        missing = want[1] if want is not None else None
        return ChainBreak(missing, f"the event at place {place} was removed")
    if event.compute_hash() != event.hash:
        return ChainBreak(event.pk, _CHANGED)
    if want is None:
        return None
    _place, pk, leaf = want
    if pk != event.pk:
        return ChainBreak(
            event.pk,
            f"it is at place {place}, where the checkpoint sealed event {pk} "
            "(events were reordered, or one was inserted)",
        )
    if leaf != event.hash:
        return ChainBreak(
            event.pk, "its content is not what the checkpoint sealed (it was changed)"
        )
    return None


class _TreeCheck:
    """The roots of the checkpoints and the stored subtree roots, checked as
    the numbered events are read once, in order, in memory of the order of
    the log's depth (a log of a billion events is never held whole)."""

    def __init__(self, checkpoints: list[AuditCheckpoint]) -> None:
        self._roots = merkle.Roots()
        self._checkpoints = iter(checkpoints)
        self._next = next(self._checkpoints, None)
        self._nodes: dict[tuple[int, int], bytes] = {}
        self.broken: ChainBreak | None = None

    def add(self, leaf: bytes) -> None:
        for level, index, node in self._roots.add(leaf):
            if level % merkle.STRIDE == 0:
                self._nodes[(level, index)] = node
        if len(self._nodes) >= 1000:
            self._nodes_check()
        checkpoint = self._next
        if checkpoint is None or self._roots.size != checkpoint.size:
            return
        if self.broken is None and self._roots.root().hex() != checkpoint.root:
            first = checkpoint.event_ids[0] if checkpoint.event_ids else None
            self.broken = ChainBreak(
                first,
                f"the events do not match the root of the checkpoint of {checkpoint.size} "
                "events (events and the checkpoint's list were changed together)",
            )
        self._next = next(self._checkpoints, None)

    def finish(self) -> ChainBreak | None:
        self._nodes_check()
        return self.broken

    def _nodes_check(self) -> None:
        """Each stored subtree root must be the one its events give (a
        subtree not stored yet is the checkpoint job's to store)."""
        computed, self._nodes = self._nodes, {}
        for level in sorted({level for level, _index in computed}):
            indexes = [index for lv, index in computed if lv == level]
            stored = AuditNode.objects.filter(level=level, index__in=indexes)
            for node in stored.order_by("index"):
                if self.broken is None and bytes(node.hash) != computed[(level, node.index)]:
                    width = 1 << level
                    self.broken = ChainBreak(
                        None,
                        f"the stored root of events {node.index * width + 1} to "
                        f"{(node.index + 1) * width} does not match them (the audit "
                        "tree was changed)",
                    )


def audit_verify() -> AuditVerification:
    """Check every checkpoint's seal and time-stamp and its link to the
    previous one, every event against its hash, and every event a
    checkpoint covers against its place in the sealed tree; name the first
    event that was changed, removed, inserted or reordered."""
    checkpoints = list(AuditCheckpoint.objects.order_by("size"))
    covered = checkpoints[-1].size if checkpoints else 0
    total = AuditEvent.objects.count()

    def result(broken: ChainBreak | None, pending: int = 0) -> AuditVerification:
        return AuditVerification(broken, total, len(checkpoints), covered, pending)

    broken = _checkpoints_broken(checkpoints)
    if broken is not None:
        return result(broken)
    expected = _expected(checkpoints)
    tree = _TreeCheck(checkpoints)
    place = 0
    numbered = AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence")
    for event in numbered.iterator(chunk_size=2000):
        place += 1
        broken = _event_break(event, place, next(expected, None))
        if broken is not None:
            return result(broken)
        tree.add(bytes.fromhex(event.hash))
    if place < covered:
        want = next(expected, None)
        return result(
            ChainBreak(
                want[1] if want is not None else None,
                f"the checkpoint covers {covered} events, {place} remain (the newest were removed)",
            )
        )
    broken = tree.finish()
    if broken is not None:
        return result(broken)
    pending = 0
    for event in AuditEvent.objects.filter(sequence__isnull=True).iterator(chunk_size=2000):
        pending += 1
        if event.compute_hash() != event.hash:
            return result(ChainBreak(event.pk, _CHANGED), pending)
    return result(None, pending + (place - covered))


def audit_verify_chain() -> ChainBreak | None:
    """The first break :func:`audit_verify` finds, or None."""
    return audit_verify().broken

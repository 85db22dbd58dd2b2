"""The audit log: events appended on their own, sealed by Merkle-tree
checkpoints (RFC 9162), and ``paraph audit-verify`` naming the first event
that was changed, removed, inserted or reordered after a checkpoint."""

import datetime
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from paraph.audit import merkle
from paraph.audit.models import AuditCheckpoint, AuditEvent, AuditLogIsAppendOnly
from paraph.audit.services import (
    AuditTampered,
    audit_checkpoint,
    audit_record,
    audit_verify_chain,
)
from paraph.signing import conf, engine
from paraph.signing.providers.keys import SoftwareKey
from paraph.signing.tests.outsiders import outside_key

pytestmark = pytest.mark.django_db


def _events(person, n=3):
    return [
        audit_record(name="accounts.login.succeeded", actor=person, subject=person, data={"n": i})
        for i in range(n)
    ]


def _raw_delete(*events):
    AuditEvent.objects.filter(pk__in=[e.pk for e in events])._raw_delete(AuditEvent.objects.db)


def test_each_event_carries_the_rfc_9162_leaf_hash_of_its_content(person):
    first, second, _third = _events(person)
    assert first.hash == merkle.leaf_hash(first.canonical_bytes()).hex()
    assert first.hash != second.hash
    assert audit_verify_chain() is None


def test_the_merkle_tree_matches_certificate_transparencys_test_vectors():
    # the eight leaves and roots of RFC 6962's reference implementation tests
    # (certificate-transparency, merkle_tree_test.cc)
    entries = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
    entries.append("606162636465666768696a6b6c6d6e6f")
    leaves = [merkle.leaf_hash(bytes.fromhex(e)) for e in entries]
    assert merkle.root(leaves, 1).hex().startswith("6e340b9cffb37a989ca544e6bb780a2c")
    assert merkle.root(leaves, 5).hex().startswith("4e3bbb1f7b478dcfe71fb631631519a3")
    assert merkle.root(leaves).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )
    proof = merkle.inclusion_proof(leaves, 6, 8)
    assert merkle.inclusion_holds(leaves[5], merkle.root(leaves), proof)
    assert not merkle.inclusion_holds(leaves[4], merkle.root(leaves), proof)
    consistency = merkle.consistency_proof(leaves, 3, 8)
    assert merkle.consistency_holds(merkle.root(leaves, 3), merkle.root(leaves), consistency)
    assert not merkle.consistency_holds(merkle.root(leaves, 4), merkle.root(leaves), consistency)


def test_an_unregistered_event_name_is_refused(person):
    with pytest.raises(ValueError, match="unregistered"):
        audit_record(name="accounts.login.typo", actor=person)


def test_events_and_checkpoints_cannot_be_changed_or_deleted_through_the_model(person):
    event, *_ = _events(person)
    event.data = {"n": 99}
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    with pytest.raises(AuditLogIsAppendOnly):
        checkpoint.delete()


def test_a_checkpoint_seals_the_tree_and_the_next_one_follows_it(person, capsys):
    _events(person)
    first = audit_checkpoint()
    assert first is not None and first.size == 3 and first.previous_size == 0
    assert audit_checkpoint() is None, "nothing new: no second checkpoint"

    _events(person, 2)
    second = audit_checkpoint()

    assert second is not None
    assert (second.size, second.previous_size, second.previous_root) == (5, 3, first.root)
    assert abs(second.sealed_at - timezone.now()) < datetime.timedelta(minutes=1)
    call_command("audit-verify")
    out = capsys.readouterr().out
    assert "audit log intact: 5 events, 2 sealed checkpoint(s) covering 5" in out


def test_openssl_accepts_a_checkpoints_seal_over_its_statement(person, tmp_path):
    _events(person)
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    (tmp_path / "statement.json").write_bytes(bytes(checkpoint.statement))
    (tmp_path / "seal.der").write_bytes(bytes(checkpoint.seal))
    roots = tmp_path / "roots.pem"
    roots.write_bytes(
        b"".join(
            x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
            for der in conf.trust().roots
        )
    )
    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in"]
    command += [str(tmp_path / "seal.der"), "-content", str(tmp_path / "statement.json")]
    command += ["-CAfile", str(roots), "-purpose", "any", "-out", "/dev/null"]

    intact = subprocess.run(command, capture_output=True, text=True)
    (tmp_path / "statement.json").write_bytes(
        bytes(checkpoint.statement).replace(b'"size":3', b'"size":2')
    )
    changed = subprocess.run(command, capture_output=True, text=True)

    assert intact.returncode == 0, intact.stderr
    assert "Verification successful" in intact.stderr
    assert changed.returncode != 0


def test_a_row_edited_in_the_database_is_named_by_audit_verify(person):
    _first, second, _third = _events(person)
    audit_checkpoint()
    AuditEvent.objects.filter(pk=second.pk).update(data={"n": 42})
    with pytest.raises(CommandError, match=f"broken at event {second.pk}: its content"):
        call_command("audit-verify")


def test_an_edit_that_also_rewrites_the_hash_is_named_against_the_checkpoint(person):
    _first, second, _third = _events(person)
    audit_checkpoint()
    second.data = {"n": 42}
    AuditEvent.objects.filter(pk=second.pk).update(data={"n": 42}, hash=second.compute_hash())
    broken = audit_verify_chain()
    assert broken is not None and broken.event_id == second.pk
    assert "not what the checkpoint sealed" in broken.reason


def test_an_edit_not_yet_checkpointed_is_found_and_never_sealed(person):
    _first, second, _third = _events(person)
    AuditEvent.objects.filter(pk=second.pk).update(data={"n": 42})

    broken = audit_verify_chain()
    assert broken is not None and broken.event_id == second.pk
    with pytest.raises(AuditTampered, match=f"event {second.pk}"):
        audit_checkpoint()
    assert not AuditCheckpoint.objects.exists()


def test_a_deleted_row_is_named_by_audit_verify(person):
    _first, second, _third = _events(person)
    audit_checkpoint()
    _raw_delete(second)
    with pytest.raises(CommandError, match=f"broken at event {second.pk}: the event at place 2"):
        call_command("audit-verify")


def test_removing_the_newest_events_is_detected(person):
    *_, second, third = _events(person)
    audit_checkpoint()
    _raw_delete(second, third)
    broken = audit_verify_chain()
    assert broken is not None and broken.event_id == second.pk
    assert "covers 3 events, 1 remain" in broken.reason


def test_reordered_events_are_named(person):
    first, second, _third = _events(person)
    audit_checkpoint()
    AuditEvent.objects.filter(pk=first.pk).update(sequence=100)
    AuditEvent.objects.filter(pk=second.pk).update(sequence=1)
    AuditEvent.objects.filter(pk=first.pk).update(sequence=2)

    broken = audit_verify_chain()

    assert broken is not None and broken.event_id == second.pk
    assert f"where the checkpoint sealed event {first.pk}" in broken.reason


def test_an_inserted_event_is_named(person):
    _first, second, third = _events(person)
    audit_checkpoint()
    AuditEvent.objects.filter(pk__in=[second.pk, third.pk]).update(sequence=None)
    AuditEvent.objects.filter(pk=third.pk).update(sequence=4)
    AuditEvent.objects.filter(pk=second.pk).update(sequence=3)
    forged = audit_record(name="accounts.login.succeeded", actor=person, subject=person)
    AuditEvent.objects.filter(pk=forged.pk).update(sequence=2)

    broken = audit_verify_chain()

    assert broken is not None and broken.event_id == forged.pk
    assert "reordered, or one was inserted" in broken.reason


def _foreign_key() -> SoftwareKey:
    return outside_key("Paraph seal")


def test_a_rewritten_tail_with_a_forged_checkpoint_is_named(person, settings):
    _events(person)
    audit_checkpoint()
    *_, tail = _events(person, 2)
    # someone with write access to the database rewrites the newest event and
    # seals a checkpoint over it with a key of their own
    AuditEvent.objects.filter(pk=tail.pk).update(data={"n": "rewritten"})
    tail.refresh_from_db()
    AuditEvent.objects.filter(pk=tail.pk).update(hash=tail.compute_hash())
    forger = _foreign_key()
    settings.AUDIT_SEALER = "paraph.audit.tests.forger"
    from paraph.audit.tests import forger as forger_module

    forger_module.KEY = forger
    audit_checkpoint()
    settings.AUDIT_SEALER = "paraph.signing.statements"

    broken = audit_verify_chain()

    assert broken is not None and "the checkpoint of 5 events is not sealed by Paraph" in (
        broken.reason
    )
    assert "a key Paraph trusts" in broken.reason


def test_a_checkpoint_whose_root_was_changed_is_refused(person):
    _events(person)
    checkpoint = audit_checkpoint()
    assert checkpoint is not None
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(root="0" * 64)
    broken = audit_verify_chain()
    assert broken is not None and "no longer says what was sealed" in broken.reason


def test_a_removed_checkpoint_in_the_middle_is_found(person):
    _events(person)
    first = audit_checkpoint()
    assert first is not None
    _events(person)
    audit_checkpoint()
    AuditCheckpoint.objects.filter(pk=first.pk)._raw_delete(AuditCheckpoint.objects.db)
    broken = audit_verify_chain()
    assert broken is not None and "does not follow the previous one" in broken.reason


def test_an_intact_log_passes(person, capsys):
    _events(person)
    audit_checkpoint()
    _events(person, 1)
    call_command("audit-verify")
    out = capsys.readouterr().out
    assert "audit log intact: 4 events, 1 sealed checkpoint(s) covering 3" in out
    assert "1 newer event(s) await the next checkpoint" in out


@pytest.mark.django_db(transaction=True)
def test_the_time_stamp_is_asked_with_no_transaction_open(person, outside_calls):
    _events(person)
    outside_calls.clear()

    assert audit_checkpoint() is not None
    assert outside_calls == [("time-stamp", False)]


def test_engine_seal_of_a_foreign_key_is_valid_but_not_trusted():
    sealed = engine.seal_bytes(b"statement", key=_foreign_key(), config=conf.engine_config())
    verdict = engine.verify_sealed_bytes(b"statement", sealed, conf.trust())
    assert not verdict.valid and "a key Paraph trusts" in verdict.reason
    assert not engine.verify_sealed_bytes(b"other", sealed, conf.trust()).valid


@pytest.mark.redis  # the PostgreSQL run: SQLite lets one writer at a time anyway
@pytest.mark.django_db(transaction=True)
def test_a_transaction_left_open_after_an_event_does_not_hold_other_writers(person):
    """No global lock: while one transaction that recorded an event stays
    open (a slow request), another records and commits its own; the
    checkpoint then takes the late one too, in a later place."""
    import threading

    from django.db import connection, transaction

    recorded, release = threading.Event(), threading.Event()

    def slow() -> None:
        try:
            with transaction.atomic():
                audit_record(name="accounts.login.succeeded", subject=person, data={"slow": 1})
                recorded.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    assert recorded.wait(30)
    try:
        done = threading.Event()

        def quick() -> None:
            try:
                with transaction.atomic():
                    audit_record(name="accounts.login.succeeded", subject=person, data={"q": 1})
                done.set()
            finally:
                connection.close()

        other = threading.Thread(target=quick)
        other.start()
        assert done.wait(10), "the second writer waited for the first one's transaction"
        other.join()
        first = audit_checkpoint()
    finally:
        release.set()
        thread.join()
    second = audit_checkpoint()

    assert first is not None and first.size == 1
    assert second is not None and second.size == 2
    assert audit_verify_chain() is None

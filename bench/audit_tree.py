"""The audit log's checkpoint and a contract's proofs as the log grows.

    .venv/bin/python bench/audit_tree.py [--small 10000] [--large 100000] [--new 100]
                                         [--postgres URL]

On the embedded default (SQLite in a throw-away data folder, the sandbox
seal and TSA), or with ``--postgres URL`` on a database of the bench's own
there, for a log of ``--small`` events and then one of ``--large`` (each
numbered and sealed by a first checkpoint, which also stores the roots of
its complete subtrees):

- the checkpoint job over ``--new`` new events (number them, check them and
  the previous root, store new subtree roots, the new root, the seal and
  its time-stamp);
- a subject's inclusion proofs (``audit_prove``: 20 events spread over the
  log).

Prints the time of each and ends with ``checkpoint_large_over_small=<x>``
and ``prove_large_over_small=<x>``: about 1 when their cost does not grow
with the log (before ADR 42, each read every leaf of the log: the ratio was
the ratio of the sizes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

RUNS = 3


def _events(count: int, subject: object, every: int) -> None:
    """``count`` events written as ``audit_record`` writes them (in bulk:
    the bench times the checkpoint, not the writers), one in ``every``
    about ``subject`` (none when ``every`` is 0)."""
    from django.utils import timezone

    from paraph.audit.models import AuditEvent

    now = timezone.now()
    batch = []
    for n in range(count):
        about = subject if every and n % every == 0 else None
        event = AuditEvent(
            created_at=now,
            name="accounts.login.succeeded",
            subject_type=about._meta.label_lower if about is not None else "",  # type: ignore[attr-defined]
            subject_id=str(about.pk) if about is not None else "",  # type: ignore[attr-defined]
            data={"n": n},
        )
        event.hash = event.compute_hash()
        batch.append(event)
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def measure(size: int, new: int, person: object) -> tuple[float, float]:
    """(checkpoint over ``new`` events, a subject's proofs) on a log of
    ``size`` events, in seconds: the best of three runs each."""
    from paraph.audit.selectors import audit_prove
    from paraph.audit.services import audit_checkpoint

    _events(size, person, max(1, size // 20))
    began = time.perf_counter()
    audit_checkpoint()
    print(f"  first checkpoint of {size} events: {time.perf_counter() - began:.2f} s")
    checkpoints = []
    for _ in range(RUNS):
        _events(new, None, 0)
        began = time.perf_counter()
        if audit_checkpoint() is None:
            raise SystemExit("the checkpoint found nothing new")
        checkpoints.append(time.perf_counter() - began)
    proofs = []
    for _ in range(RUNS):
        began = time.perf_counter()
        proven = audit_prove(person)
        proofs.append(time.perf_counter() - began)
        if len(proven["events"]) < 20:
            raise SystemExit(f"only {len(proven['events'])} events proven")
    return min(checkpoints), min(proofs)


def _clear() -> None:
    from django.db import connection

    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in ("audit_auditnode", "audit_auditcheckpoint", "audit_auditevent"):
            if table in tables:  # the code before ADR 42 had no nodes
                cursor.execute(f"DELETE FROM {table}")
        cursor.execute("UPDATE audit_auditsequencer SET last_sequence = 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    from dispatch import _postgres_database, _setup

    database_url, drop = (
        _postgres_database(args.postgres) if args.postgres else (None, lambda: None)
    )
    try:
        with tempfile.TemporaryDirectory(prefix="paraph-bench-") as data_dir:
            _setup(data_dir, database_url)
            from paraph.accounts.models import Person

            person = Person.objects.create_user("audited@bench.example", first_name="Audited")
            where = "PostgreSQL" if database_url else "SQLite"
            results = {}
            for label, size in (("small", args.small), ("large", args.large)):
                print(f"a log of {size} events ({where}):")
                _clear()
                results[label] = measure(size, args.new, person)
                checkpoint_time, prove_time = results[label]
                print(
                    f"  checkpoint of {args.new} new events: {checkpoint_time * 1000:.1f} ms; "
                    f"a subject's proofs: {prove_time * 1000:.1f} ms"
                )
            small, large = results["small"], results["large"]
            print(f"checkpoint_large_over_small={large[0] / small[0]:.2f}")
            print(f"prove_large_over_small={large[1] / small[1]:.2f}")
    finally:
        drop()  # type: ignore[operator]


if __name__ == "__main__":
    main()

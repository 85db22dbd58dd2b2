"""Dispatch throughput: contracts sent through the API's bulk path, against
writing the same rows and files with plain ``bulk_create``.

    .venv/bin/python bench/dispatch.py [--contracts 10000] [--per-request 1000] [--people 0]

With ``--people N``, N people are known to Paraph before the run (none a
recipient of it), as in production: a recipient looked up by reading the
whole people table shows there, not in an empty one.

Runs on the embedded default (SQLite in a throw-away data folder, the
sandbox seal and TSA, tasks run in process) and measures:

- Paraph: ``POST /api/batches`` (JSON, PDFs in base64) in requests of
  ``--per-request`` contracts, through the whole stack (API key, parsing,
  staging, the batch task: checks, Paraph's seal with a time-stamp, the
  recipient's person, the contract, its evidence and audit events, two
  links and a queued e-mail per contract), from the first request until
  every contract is "sent";
- the baseline, in the same run: the same number of people and contracts
  written with ``bulk_create`` and their two PDF files written to disk,
  with no check, no seal, no audit, no e-mail.

Prints contracts per second for both, the cost per contract broken down
(the strict read of the upload, Paraph's seal without its time-stamps,
the time-stamps, the check of the sealed result, audit events, e-mails,
the database queries, and the rest: parsing, building rows, files,
links), measured by timing those calls wherever the code calls them in
the same run (each part's own time, without the parts it calls), and
ends with ``ratio_vs_bulk_insert=<x>`` (Paraph's rate over the baseline's;
below 1: the price of sealing, evidence and audit per contract).

With ``--postgres URL`` (a server where the bench may create and drop a
database of its own), the same requests run on PostgreSQL with the
database task queue. The batches are first made in the bench's own
process, as one worker makes them, to time the parts of a contract's cost
there too (e-mails are then only queued); then by real ``paraph worker``
processes: first one, then two (each batch shared by the free workers,
``PARAPH_BATCH_CHUNK`` contracts at a time). It prints the rates,
``ratio_vs_bulk_insert=<x>`` with one worker process, and
``parallel_2_over_1=<x>`` (a global lock shows as about 1.0; on two cores,
about 1.8 is the most there is to gain). Each run sends to new people.
Before the timed runs, a few contracts warm the process up (imports,
keys, the stamp font cut to size: once per worker, not per contract).

The adminbox page timing of the issue's benchmark
(``adminbox_10000_over_10``) is ``bench/adminbox.py``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import inspect
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _setup(data_dir: str, database_url: str | None = None) -> None:
    os.environ.update(
        PARAPH_DATA_DIR=data_dir,
        PARAPH_SANDBOX="true",
        PARAPH_TASK_BACKEND="database" if database_url else "immediate",
        PARAPH_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PARAPH_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="paraph.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Breakdown:
    """Wall time spent in a few functions, each part's own time (a part
    called inside another is subtracted from the outer one). Installed by
    replacing the function wherever a loaded ``paraph`` module holds it,
    so it follows the code however it is split into modules."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self._stack: list[float] = []  # time spent in inner parts, per open call

    def call(self, label: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)``, its own time counted under ``label``."""
        self._stack.append(0.0)
        began = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            self._count(label, began)

    def _count(self, label: str, began: float) -> None:
        """Close the part opened at ``began``: its time, less its inner
        parts', is ``label``'s; the whole of it is its caller's inner time."""
        elapsed = time.perf_counter() - began
        inner = self._stack.pop()
        self.own[label] = self.own.get(label, 0.0) + elapsed - inner
        if self._stack:
            self._stack[-1] += elapsed

    def database(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """A connection's ``execute_wrapper``: the time of every query (its
        round trip to the database and the driver's work) as one part."""
        return self.call("database queries", execute, sql, params, many, context)

    def wrap(self, label: str, func: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            return self.call(label, func, *args, **kwargs)

        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(0.0)
            began = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                self._count(label, began)

        return timed_async if inspect.iscoroutinefunction(func) else timed

    def install(self, label: str, func: Any) -> int:
        """Time ``func`` under ``label`` in every loaded paraph module
        (and on the class that defines it, for a method); how many places."""
        timed = self.wrap(label, func)
        places = 0
        for name, module in list(sys.modules.items()):
            if not name.startswith("paraph") or module is None:
                continue
            for attr, value in list(vars(module).items()):
                if value is func:
                    setattr(module, attr, timed)
                    places += 1
                elif inspect.isclass(value) and vars(value).get(func.__name__) is func:
                    setattr(value, func.__name__, timed)
                    places += 1
        if not places:
            raise SystemExit(f"breakdown: {label} ({func.__qualname__}) is called nowhere")
        return places

    def report(self, count: int, total: float) -> list[str]:
        parts = dict(self.own)
        parts["the rest: ORM, files, links, parsing"] = total - sum(parts.values())
        return [
            f"  {label:38s} {seconds / count * 1000:7.2f} ms  {seconds / total:6.1%}"
            for label, seconds in parts.items()
        ]


def breakdown_install() -> Breakdown:
    """The parts of a contract's cost the issue names, timed."""
    from paraph.audit import services as audit
    from paraph.notifications import services as notifications
    from paraph.notifications import tasks as notification_tasks
    from paraph.signing import engine, selectors
    from paraph.signing import services as signing

    # every module that may call them is loaded before they are replaced
    for module in ("paraph.api.api", "paraph.contracts.tasks", "paraph.senderdesk.views"):
        __import__(module)
    breakdown = Breakdown()
    breakdown.install("strict read of the upload", engine.check_signable)
    breakdown.install("seal (without its time-stamps)", signing.seal_apply)
    breakdown.install("time-stamps", engine.cms._AuthorityTimeStamper.async_request_tsa_response)
    breakdown.install("check of the sealed result", selectors.signature_report)
    breakdown.install("audit events", audit.audit_record)
    breakdown.install("e-mail", notifications.email_send)
    breakdown.install("e-mail", notification_tasks._deliver)
    return breakdown


WARM_UP = 5


def people_existing(count: int) -> None:
    """``count`` people already known to Paraph before the run (none of them
    a recipient of it), as in production, where every contract sent looks its
    recipient up among them by address: a look-up that reads the whole table
    shows here, not with an empty one."""
    if not count:
        return
    from paraph.accounts.models import Person

    began = time.perf_counter()
    for first in range(0, count, 5000):
        Person.objects.bulk_create(
            [
                Person(
                    email=f"Known{n:07d}@Existing.example",
                    first_name="Known",
                    last_name=f"N{n:07d}",
                    phone=f"+3249{n:07d}",
                )
                for n in range(first, min(count, first + 5000))
            ]
        )
    print(f"{count} people known before the run (written in {time.perf_counter() - began:.1f} s)")


def _contract(n: int, pdf64: str, start: str) -> dict[str, object]:
    return {
        "title": "Contrat de travail intérimaire",
        "recipient": {
            "first_name": "Worker",
            "last_name": f"N{n:05d}",
            "email": f"worker{n:05d}@bench.example",
            "phone": f"+3247{n:07d}",
        },
        "external_reference": f"B-{n:05d}",
        "start_of_work": start,
        "pdf_base64": pdf64,
    }


def paraph_rate(
    count: int,
    per_request: int,
    pdf: bytes,
    *,
    workers: int = 0,
    run: int = 0,
    breakdown: Breakdown | None = None,
    in_process: bool = False,
) -> float:
    """Contracts per second from the first request until every contract is
    sent: made in the request's process (``workers=0``, the immediate task
    backend), or queued and made by ``workers`` ``paraph worker`` processes
    started once every request was answered (then timed from their start)."""
    import datetime as dt

    from django.db import connection
    from django.test import Client

    from paraph.contracts.models import Contract
    from paraph.senders.services import api_key_create, sender_create

    sender = sender_create(
        name=f"Bench Interim {run}",
        enterprise_number=["0403.170.701", "0403.199.702", "0202.239.951", "0207.437.468"][run],
        contact_email="hr@bench.example",
    )
    _key, token = api_key_create(
        sender=sender, name="bench", scopes=["contracts:read", "contracts:write"], actor=None
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    pdf64 = base64.b64encode(pdf).decode()
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    queries_timed = (
        connection.execute_wrapper(breakdown.database)
        if breakdown is not None
        else contextlib.nullcontext()
    )
    with queries_timed:
        began = time.perf_counter()
        for first in range(0, count, per_request):
            body = {
                "contracts": [
                    # other recipients in each run: new people, as in the first
                    _contract(run * 3_000_000 + n, pdf64, start)
                    for n in range(first, min(count, first + per_request))
                ]
            }
            response = client.post("/api/batches", body, content_type="application/json")
            if response.status_code != 202:
                raise SystemExit(
                    f"bulk request refused: {response.status_code} {response.content!r}"
                )
            batch = client.get(response["Location"]).json()
            if batch["failed"]:
                raise SystemExit(f"contracts refused: {batch['items'][:3]}")
        if workers:
            began = time.perf_counter()
            _work_until_sent(workers, sender, count)
        elif in_process:
            if breakdown is not None:
                breakdown.own.clear()  # the requests' queries are not the batches'
            began = time.perf_counter()
            _process_here(sender)
        elapsed = time.perf_counter() - began
        sent = Contract.objects.filter(sender=sender, status="sent").count()
        if sent != count:
            raise SystemExit(f"only {sent} of {count} contracts were sent")
        if breakdown is not None:
            print("cost per contract, by part:")
            print("\n".join(breakdown.report(count, elapsed)))
        return count / elapsed


def _process_here(sender: Any) -> None:
    """Make the sender's queued batches in this process, as one worker
    would (the task's own function), so that its parts can be timed."""
    from paraph.contracts.models import BulkBatch
    from paraph.contracts.services import batch_process

    for batch in BulkBatch.objects.filter(sender=sender).order_by("pk"):
        batch_process(batch_id=batch.pk)
    # their queued wake-ups have nothing left to do: not for the workers after
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.ready().delete()


def _work_until_sent(workers: int, sender: object, count: int) -> None:
    """Start ``workers`` worker processes on the bulk queue, wait until the
    sender's ``count`` contracts are sent (at most ten minutes), stop them."""
    import signal
    import subprocess

    from paraph.contracts.models import Contract

    paraph = str(Path(sys.executable).with_name("paraph"))
    env = dict(os.environ, PARAPH_WORKER_INTERACTIVE_PROCESSES="0")
    procs = [
        subprocess.Popen(
            [paraph, "worker", "--queues", "default"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        deadline = time.monotonic() + 600
        while Contract.objects.filter(sender=sender, status="sent").count() < count:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise SystemExit("the workers stopped or did not finish in ten minutes")
            time.sleep(0.05)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=60)


def _postgres_database(server_url: str) -> tuple[str, object]:
    """A database of the bench's own on ``server_url``, and its dropper."""
    import psycopg

    name = f"paraph_bench_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return server_url.rsplit("/", 1)[0] + f"/{name}", drop


BASELINE_RUNS = 3


def baseline_rate(count: int, pdf: bytes, media: Path) -> float:
    """The baseline's rate: the best of ``BASELINE_RUNS`` runs (each to new
    people and a new sender). A single run of plain inserts and file writes
    moves by a factor of two or more with what else the disk is doing; the
    best one is the least disturbed, and the ratio against it the least
    flattering to Paraph."""
    rates = [_baseline_once(count, pdf, media, run) for run in range(BASELINE_RUNS)]
    print("baseline runs: " + ", ".join(f"{rate:.0f}" for rate in rates) + " contracts/s")
    return max(rates)


def _baseline_once(count: int, pdf: bytes, media: Path, run: int) -> float:
    import datetime as dt

    from django.utils import timezone

    from paraph.accounts.models import Person
    from paraph.contracts.models import Contract
    from paraph.senders.models import Sender

    sender = Sender.objects.create(
        name=f"Baseline {run}",
        enterprise_number=["0123456749", "0123456848", "0123456947"][run],
        contact_email="b@bench.example",
    )
    sha = hashlib.sha256(pdf).hexdigest()
    now = timezone.now()
    start = now + dt.timedelta(days=3)
    began = time.perf_counter()
    people = Person.objects.bulk_create(
        [
            Person(
                email=f"base{run}-{n:06d}@bench.example",
                first_name="Base",
                last_name=f"N{n:06d}",
                phone=f"+3248{run}{n:06d}",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    contracts = []
    for n, person in enumerate(people):
        public_id = uuid.uuid4()
        folder = media / "contracts" / str(sender.pk) / str(public_id)
        folder.mkdir(parents=True)
        (folder / "original.pdf").write_bytes(pdf)
        (folder / "document.pdf").write_bytes(pdf)
        relative = f"contracts/{sender.pk}/{public_id}"
        contracts.append(
            Contract(
                public_id=public_id,
                sender=sender,
                recipient=person,
                title="Contrat de travail intérimaire",
                recipient_first_name="Base",
                recipient_last_name=f"N{n:05d}",
                recipient_email=person.email,
                language="fr",
                original_pdf=f"{relative}/original.pdf",
                original_sha256=sha,
                original_size=len(pdf),
                document_pdf=f"{relative}/document.pdf",
                document_sha256=sha,
                start_of_work=start,
                deadline=start,
                status="sent",
                sent_at=now,
            )
        )
    Contract.objects.bulk_create(contracts, batch_size=1000)
    return count / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--per-request", type=int, default=1000)
    parser.add_argument(
        "--people",
        type=int,
        default=0,
        help="people Paraph already knows before the run (e.g. 200000)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/postgres): "
        "run there, with one worker process then two",
    )
    args = parser.parse_args()
    if args.postgres:
        postgres(args)
        return
    with tempfile.TemporaryDirectory(prefix="paraph-bench-") as data_dir:
        _setup(data_dir)
        from django.conf import settings

        from paraph.contracts.samplepdf import sample_contract_pdf

        pdf = sample_contract_pdf(
            title="Contrat de travail intérimaire",
            lines=[f"Article {n}. Clause of the contract." for n in range(1, 30)],
        )
        print(f"{args.contracts} contracts, PDF of {len(pdf)} bytes, SQLite, sandbox seal and TSA")
        people_existing(args.people)
        # A worker's one-time start (imports, keys, the stamp font cut to
        # size) is paid once per process, not per contract: timed apart.
        began = time.perf_counter()
        paraph_rate(WARM_UP, WARM_UP, pdf, run=1)
        print(f"start-up: the first {WARM_UP} contracts took {time.perf_counter() - began:.2f} s")
        paraph = paraph_rate(args.contracts, args.per_request, pdf, breakdown=breakdown_install())
        print(f"paraph (API bulk path, request to 'sent'): {paraph:.1f} contracts/s")
        baseline = baseline_rate(args.contracts, pdf, Path(settings.MEDIA_ROOT))
        print(f"baseline (bulk_create + file writes, best): {baseline:.1f} contracts/s")
        print(f"ratio_vs_bulk_insert={paraph / baseline:.4f}")


def postgres(args: argparse.Namespace) -> None:
    database_url, drop = _postgres_database(args.postgres)
    try:
        with tempfile.TemporaryDirectory(prefix="paraph-bench-") as data_dir:
            _setup(data_dir, database_url)
            from django.conf import settings

            from paraph.contracts.samplepdf import sample_contract_pdf

            pdf = sample_contract_pdf(
                title="Contrat de travail intérimaire",
                lines=[f"Article {n}. Clause of the contract." for n in range(1, 30)],
            )
            print(
                f"{args.contracts} contracts per run, PDF of {len(pdf)} bytes, PostgreSQL, "
                f"database task queue, sandbox seal and TSA, batches of "
                f"{args.per_request}, chunks of {settings.BATCH_CHUNK}"
            )
            people_existing(args.people)
            # The parts of a contract's cost, timed in this process making the
            # batches as one worker does (a worker process cannot be timed
            # from here); then the same work done by real worker processes.
            paraph_rate(WARM_UP, WARM_UP, pdf, in_process=True, run=0)
            here = paraph_rate(
                args.contracts,
                args.per_request,
                pdf,
                in_process=True,
                run=3,
                breakdown=breakdown_install(),
            )
            print(f"paraph, made in this process: {here:.1f} contracts/s")
            one = paraph_rate(args.contracts, args.per_request, pdf, workers=1, run=1)
            print(f"paraph, one worker process:  {one:.1f} contracts/s")
            two = paraph_rate(args.contracts, args.per_request, pdf, workers=2, run=2)
            print(f"paraph, two worker processes: {two:.1f} contracts/s")
            baseline = baseline_rate(args.contracts, pdf, Path(settings.MEDIA_ROOT))
            print(f"baseline (bulk_create + file writes, best): {baseline:.1f} contracts/s")
            print(f"ratio_vs_bulk_insert={one / baseline:.4f}")
            print(f"parallel_2_over_1={two / one:.2f}")
    finally:
        drop()


if __name__ == "__main__":
    main()

"""How long a log-in SMS takes while a bulk send runs (issue 11, ADR 25).

    .venv/bin/python bench/login_sms.py [--contracts 1000] [--samples 3]
    .venv/bin/python bench/login_sms.py --backend rq [--redis-url redis://127.0.0.1:6379/12]

Starts the real worker setup (``paraph worker``: one process for every queue
and one for the interactive queue alone) on a throw-away site (SQLite in a
temporary data folder, the sandbox seal, TSA and SMS gateway; with
``--backend rq``, RQ on the Redis named, under a key prefix of this run's
own that is removed at the end). Then:

- baseline: with nothing else to do, a person asks for a log-in code on the
  log-in page (``POST /account/login/`` with their phone number) and the delay until
  the sandbox SMS gateway holds the SMS is measured, ``--samples`` times;
- during a batch: ``POST /api/batches`` with ``--contracts`` contracts (one
  request, as a sender's system does), and once the worker is sending them,
  the same log-in code asked again, ``--samples`` times, each while the
  batch is still running.

Prints each delay, and ends with ``login_sms_baseline_ms=<worst>`` and
``login_sms_during_batch_ms=<worst>`` (aim: below 2,000 ms). Loopback only;
stops by itself (``--timeout`` seconds at most), stopping the workers it
started.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _environment(args: argparse.Namespace, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="paraph.settings",
        PARAPH_DATA_DIR=data_dir,
        PARAPH_SANDBOX="true",
        PARAPH_BASE_URL="http://127.0.0.1:8000",
        PARAPH_LOG_LEVEL="WARNING",
        PARAPH_TASK_BACKEND=args.backend,
        PARAPH_CACHE_PREFIX=args.prefix,
    )
    if args.backend == "rq":
        env["REDIS_URL"] = args.redis_url
    return env


def _setup(env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "paraph", "worker"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its interactive workers are in its group
    )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Stop every process of the worker's group (its interactive workers,
    RQ's work horses): SIGTERM, then SIGKILL after 10 s; returns once none
    is left, so nothing writes after the bench cleaned up."""
    if _group_alive(worker.pid):
        os.killpg(worker.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _group_alive(worker.pid) and time.monotonic() < deadline:
        worker.poll()
        time.sleep(0.1)
    if _group_alive(worker.pid):
        os.killpg(worker.pid, signal.SIGKILL)
    while _group_alive(worker.pid):
        worker.poll()
        time.sleep(0.1)


def _wait(what: str, condition: Any, deadline: float, step: float = 0.02) -> None:
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(step)


def _people(count: int) -> list[str]:
    from django.utils import timezone

    from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod

    phones = []
    for n in range(count):
        phone = f"+3247{9000000 + n:07d}"
        Person.objects.create_user(
            f"waiting{n}@bench.example",
            first_name="Waiting",
            last_name=f"Person{n}",
            phone=phone,
            phone_verified_at=timezone.now(),
            language="fr",
            assurance_level=AssuranceLevel.LOW,
            registration_method=RegistrationMethod.BACKOFFICE,
        )
        phones.append(phone)
    return phones


def login_sms_ms(phone: str, n: int, deadline: float) -> float:
    """Ask for a log-in code as the log-in page does; milliseconds until the
    sandbox gateway holds the SMS."""
    from django.test import Client

    from paraph.notifications.models import SandboxMessage

    client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=f"127.0.1.{n + 1}")
    began = time.perf_counter()
    response = client.post("/account/login/", {"identifier": phone})
    if response.status_code != 302 or "/login/code/" not in response["Location"]:
        raise SystemExit(f"the log-in page refused: {response.status_code}")
    _wait(
        f"the SMS to {phone}",
        lambda: SandboxMessage.objects.filter(channel="sms", to=phone).exists(),
        deadline,
    )
    return (time.perf_counter() - began) * 1000


def batch_post(count: int) -> str:
    """``POST /api/batches`` with ``count`` contracts; the batch's address."""
    from django.test import Client

    from paraph.contracts.samplepdf import sample_contract_pdf
    from paraph.senders.services import api_key_create, sender_create

    sender = sender_create(
        name="Bench Interim", enterprise_number="0403.170.701", contact_email="hr@bench.example"
    )
    _key, token = api_key_create(
        sender=sender, name="bench", scopes=["contracts:read", "contracts:write"], actor=None
    )
    pdf64 = base64.b64encode(
        sample_contract_pdf(title="Contrat de travail intérimaire", lines=["Article 1."])
    ).decode()
    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    contracts = [
        {
            "title": "Contrat de travail intérimaire",
            "recipient": {
                "first_name": "Worker",
                "last_name": f"N{n:05d}",
                "email": f"worker{n:05d}@bench.example",
                "phone": f"+3246{n:07d}",
            },
            "external_reference": f"B-{n:05d}",
            "start_of_work": start,
            "pdf_base64": pdf64,
        }
        for n in range(count)
    ]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    response = client.post(
        "/api/batches", {"contracts": contracts}, content_type="application/json"
    )
    if response.status_code != 202:
        raise SystemExit(f"bulk request refused: {response.status_code} {response.content!r}")
    return str(response["Location"])


def _batch_progress() -> tuple[str, int, int]:
    from paraph.contracts.models import BulkBatch

    batch = BulkBatch.objects.get()
    return batch.status, batch.processed, batch.total


def _forget_redis_keys(args: argparse.Namespace) -> None:
    import redis

    connection = redis.Redis.from_url(args.redis_url)
    keys = list(connection.scan_iter(match=f"{args.prefix}:*", count=1000))
    if keys:
        connection.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--backend", choices=["database", "rq"], default="database")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--prefix", default=f"paraph-bench-{os.getpid()}")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    with tempfile.TemporaryDirectory(
        prefix="paraph-bench-", ignore_cleanup_errors=True
    ) as data_dir:
        env = _environment(args, data_dir)
        _setup(env)
        from paraph.core.models import WorkerHeartbeat

        phones = _people(2 * args.samples)
        log = Path(data_dir) / "worker.log"
        worker = _worker(env, log)
        try:
            # Both processes said they are alive: the one for every queue and
            # the interactive one.
            _wait("the workers", lambda: WorkerHeartbeat.objects.count() >= 2, deadline, 0.2)
            print(
                f"{args.backend} queue, workers: {sorted(WorkerHeartbeat.objects.values_list('queues', flat=True))}"
            )
            baseline = []
            for n in range(args.samples):
                baseline.append(login_sms_ms(phones[n], n, deadline))
                print(f"baseline: log-in SMS after {baseline[-1]:.0f} ms")
            began = time.perf_counter()
            batch_post(args.contracts)
            print(
                f"POST /api/batches ({args.contracts} contracts): {time.perf_counter() - began:.1f} s"
            )
            _wait("the batch to start", lambda: _batch_progress()[1] >= 5, deadline, 0.2)
            during = []
            for n in range(args.samples, 2 * args.samples):
                status, processed, total = _batch_progress()
                during.append(login_sms_ms(phones[n], n, deadline))
                after = _batch_progress()
                print(
                    f"during the batch ({status} {processed}/{total} -> {after[0]} "
                    f"{after[1]}/{after[2]}): log-in SMS after {during[-1]:.0f} ms"
                )
                if after[0] != "running":
                    print("  (the batch had ended: this sample does not count)")
                    during.pop()
                time.sleep(1)
        finally:
            _stop(worker)
            if args.backend == "rq":
                _forget_redis_keys(args)
        if not during:
            raise SystemExit("the batch ended before any sample: use more --contracts")
        print(f"login_sms_baseline_ms={max(baseline):.0f}")
        print(f"login_sms_during_batch_ms={max(during):.0f}")


if __name__ == "__main__":
    main()

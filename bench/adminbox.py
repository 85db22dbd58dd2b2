"""Adminbox page time: a person with 10 documents against one with 10,000.

    .venv/bin/python bench/adminbox.py [--small 10] [--large 10000] [--requests 40]

Runs on the embedded default (SQLite in a throw-away data folder, set up as
``bench/dispatch.py`` does). Each person's contracts are written with
``bulk_create`` (half waiting for a signature, half signed, from two
senders); then the tasks tab and the documents tab are requested, logged
in, through the whole Django stack with the test client, ``--requests``
times each after a warm-up, and the median time is kept.

Prints the median of each tab for both people and ends with
``adminbox_10000_over_10=<x>``: the slower tab's time for the large
person over the same tab's time for the small one (aim: under 2, since a
page is one query whatever the number of documents).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dispatch import _setup

TABS = {"tasks": "/adminbox/", "documents": "/adminbox/documents/"}


def _person_with(count: int, n: int, senders: list, pdf_path: str, sha: str, size: int):
    from django.utils import timezone

    from paraph.accounts.models import Person
    from paraph.contracts.models import Contract

    now = timezone.now()
    person = Person.objects.create_user(
        f"person{n}@bench.example",
        first_name="Bench",
        last_name=f"Person {n}",
        phone=f"+3247{n:07d}",
        language="en",
        email_verified_at=now,
        phone_verified_at=now,
    )
    rows = []
    for i in range(count):
        signed = i % 2 == 1
        created = now - dt.timedelta(minutes=count - i)
        rows.append(
            Contract(
                public_id=uuid.uuid4(),
                sender=senders[i % len(senders)],
                recipient=person,
                title=f"Contract {i:05d}",
                recipient_first_name="Bench",
                recipient_last_name=f"Person {n}",
                recipient_email=person.email,
                language="en",
                original_pdf=pdf_path,
                original_sha256=sha,
                original_size=size,
                document_pdf=pdf_path,
                document_sha256=sha,
                start_of_work=now + dt.timedelta(days=3, minutes=i),
                deadline=now + dt.timedelta(days=3, minutes=i),
                status="signed" if signed else "sent",
                created_at=created,
                sent_at=created,
                signed_at=now if signed else None,
                signed_pdf=pdf_path if signed else "",
                signed_sha256=sha if signed else "",
            )
        )
    Contract.objects.bulk_create(rows, batch_size=1000)
    return person


def _median_ms(client, url: str, requests: int) -> float:
    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paraph-bench-") as data_dir:
        _setup(data_dir)
        from django.conf import settings
        from django.test import Client

        from paraph.contracts.samplepdf import sample_contract_pdf
        from paraph.senders.models import Sender

        pdf = sample_contract_pdf(title="Contrat", lines=["Article 1."])
        relative = "contracts/bench/document.pdf"
        target = Path(settings.MEDIA_ROOT) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(pdf)
        sha = hashlib.sha256(pdf).hexdigest()
        senders = [
            Sender.objects.create(
                name=name, enterprise_number=number, contact_email=f"hr{i}@bench.example"
            )
            for i, (name, number) in enumerate(
                [("Bench Interim", "0123456749"), ("Bench Insurance", "0403170701")]
            )
        ]
        people = {
            "small": _person_with(args.small, 1, senders, relative, sha, len(pdf)),
            "large": _person_with(args.large, 2, senders, relative, sha, len(pdf)),
        }
        print(
            f"adminbox tabs, {args.requests} requests each after warm-up, median, "
            "SQLite, Django test client"
        )
        results: dict[tuple[str, str], float] = {}
        for size, person in people.items():
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(person)
            for tab, url in TABS.items():
                results[(size, tab)] = _median_ms(client, url, args.requests)
        for tab in TABS:
            small, large = results[("small", tab)], results[("large", tab)]
            print(
                f"{tab:<10} {args.small:>6} documents: {small:7.2f} ms   "
                f"{args.large:>6} documents: {large:7.2f} ms   ratio {large / small:.2f}"
            )
        worst = max(results[("large", tab)] / results[("small", tab)] for tab in TABS)
        print(f"adminbox_10000_over_10={worst:.4f}")


if __name__ == "__main__":
    main()

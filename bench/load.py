"""Load through the production server: Paraph's pages against a Django
hello-world view on the same server and settings (issue 11 §6).

    .venv/bin/python bench/load.py [--clients 50] [--seconds 5] [--workers 2] [--threads 4]

Runs ``paraph serve`` (gunicorn with paraph/gunicorn.conf.py) on a free
loopback port, on the embedded default (SQLite in a throw-away data folder,
set up as ``bench/dispatch.py`` does), with one extra URL: ``/bench-hello/``,
a Django view that answers "hello" through the same middleware. Then, for
``--seconds`` each, ``--clients`` concurrent clients ask the home page, the
log-in page, the adminbox of a logged-in person and ``GET /api/contracts``
(an API key with 20 contracts), and the hello view. Loopback only; the
server is stopped at the end, whatever happens; the whole run is bounded
(five times ``--seconds`` plus a second of warm-up each, plus start-up).

Prints requests/s, p50 and p99 and errors of each, and ends with one line
per page ``load_<page>_over_hello=<ratio>`` (requests/s of the page over
the hello view's). Aim: ≥ 0.6 for the pages, ≥ 0.4 for the API list, 0
errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

URLCONF = """
from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("hello")


urlpatterns = [path("bench-hello/", hello), path("", include("paraph.urls"))]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(data_dir: str) -> tuple[str, str]:
    """Migrate, make a person (their session cookie) and an API key with
    contracts; returns (session cookie header, API token)."""
    from dispatch import _setup

    _setup(data_dir)
    from django.conf import settings
    from django.test import Client

    from paraph.contracts.inputs import ContractIn
    from paraph.contracts.services import ContractData, contract_create
    from paraph.contracts.tests.fixtures import contract_fields, enterprise_number
    from paraph.senders.services import api_key_create, sender_create
    from paraph.signing.tests.pdfs import contract_pdf

    sender = sender_create(
        name="Intérim Bench",
        enterprise_number=enterprise_number("04031799"),
        contact_email="hr@bench.example",
    )
    _key, token = api_key_create(
        sender=sender, name="bench", scopes=("contracts:read", "contracts:write"), actor=None
    )
    pdf = contract_pdf(pages=1, title="Contrat")
    person = None
    for n in range(20):
        data = ContractData.from_input(
            ContractIn.model_validate(
                contract_fields(
                    recipient={"email": "bench.person@bench.example", "phone": "+32470000001"},
                    external_reference=f"B-{n}",
                )
            )
        )
        contract = contract_create(sender=sender, data=data, pdf=pdf, actor=None, send=True)
        person = contract.recipient
    client = Client()
    client.force_login(person)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return cookie, token


async def _load(url: str, headers: dict[str, str], clients: int, seconds: float) -> dict:
    import httpx

    times: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def one_client() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    answer = await client.get(url)
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                times.append(time.perf_counter() - start)
                errors += not ok

        started = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        took = time.monotonic() - started
    times.sort()
    return {
        "rps": len(times) / took,
        "p50": statistics.median(times) * 1000 if times else 0.0,
        "p99": times[int(len(times) * 0.99) - 1] * 1000 if times else 0.0,
        "requests": len(times),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="paraph-load-") as data_dir:
        (Path(data_dir) / "bench_urls.py").write_text(URLCONF)
        (Path(data_dir) / "bench_settings.py").write_text(
            'from paraph.settings import *  # noqa: F403\nROOT_URLCONF = "bench_urls"\n'
        )
        cookie, token = _prepare(data_dir)
        port = _free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([data_dir, str(ROOT)]),
            "PARAPH_BIND": f"127.0.0.1:{port}",
            "PARAPH_WEB_WORKERS": str(args.workers),
            "PARAPH_WEB_THREADS": str(args.threads),
            # paraph.settings with the hello view's URL added
            "DJANGO_SETTINGS_MODULE": "bench_settings",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "paraph", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(f"{base}/bench-hello/")
            cases = {
                "hello": (f"{base}/bench-hello/", {}),
                "home": (f"{base}/", {}),
                "login": (f"{base}/account/login/", {}),
                "adminbox": (f"{base}/adminbox/", {"Cookie": cookie}),
                "api_list": (f"{base}/api/contracts", {"Authorization": f"Bearer {token}"}),
            }
            results = {}
            for name, (url, headers) in cases.items():
                asyncio.run(_load(url, headers, args.clients, 1.0))  # warm-up
                results[name] = asyncio.run(_load(url, headers, args.clients, args.seconds))
                r = results[name]
                print(
                    f"{name:9} {r['rps']:8.1f} req/s  p50 {r['p50']:7.1f} ms  "
                    f"p99 {r['p99']:7.1f} ms  {r['requests']} requests, {r['errors']} errors"
                )
            hello = results["hello"]["rps"]
            for name in ("home", "login", "adminbox", "api_list"):
                print(f"load_{name}_over_hello={results[name]['rps'] / hello:.2f}")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _wait(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


if __name__ == "__main__":
    main()

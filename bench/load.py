"""Load through the production server: Paraph's pages against a Django
hello-world view on the same server and settings (issue 11 §6).

    .venv/bin/python bench/load.py [--clients 50] [--seconds 5] [--workers 2] [--threads 4]
                                   [--postgres URL] [--redis URL]

Runs ``paraph serve`` (gunicorn with paraph/gunicorn.conf.py) on a free
loopback port, on the embedded default (SQLite in a throw-away data folder,
set up as ``bench/dispatch.py`` does), with one extra URL: ``/bench-hello/``,
a Django view that answers "hello" through the same middleware. Then, for
``--seconds`` each, ``--clients`` concurrent clients ask the home page, the
log-in page, the adminbox of a logged-in person and ``GET /api/contracts``
(an API key with 20 contracts), and the hello view. Then the same number
of clients log in, each time as another person and from another address
(as behind the TLS proxy: ``X-Forwarded-For``, one trusted hop): the log-in
page, the phone number typed, the code page, the code the sandbox SMS
gateway received, the adminbox: five requests a log-in, the SMS sent in the
request (tasks run in process). Loopback only; the server is stopped at the
end, whatever happens; the whole run is bounded (six times ``--seconds``
plus a second of warm-up each, plus start-up).

With ``--postgres URL`` (a server where the bench may create and drop a
database of its own), the site runs on PostgreSQL instead of SQLite, its
connections kept between requests (``PARAPH_DB_CONN_MAX_AGE=60``, as in
production); with ``--redis URL``, rate limits and the cache are in Redis,
under a key prefix of the run's own, removed at the end.

Prints requests/s, p50 and p99 and errors of each, log-ins/s with the p50
and p99 of a whole log-in, and ends with one line per page
``load_<page>_over_hello=<ratio>`` (requests/s of the page over the hello
view's; for the log-in, its five requests). Aim: ≥ 0.6 for the pages,
≥ 0.4 for the API list, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


LOGIN_PEOPLE = 5000


def _prepare(data_dir: str, database_url: str | None) -> tuple[str, str]:
    """Migrate, make a person (their session cookie) and an API key with
    contracts, and the people who log in; returns (session cookie header,
    API token)."""
    from dispatch import _setup

    _setup(data_dir, database_url)
    _login_people(LOGIN_PEOPLE)
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


def _login_phone(n: int) -> str:
    return f"+3248{n:07d}"


def _login_people(count: int) -> None:
    """``count`` people with a verified phone, each of whom logs in once."""
    from django.utils import timezone

    from paraph.accounts.models import AssuranceLevel, Person, RegistrationMethod

    now = timezone.now()
    people = []
    for n in range(count):
        person = Person(
            email=f"login{n}@bench.example",
            first_name="Login",
            last_name=f"Person{n}",
            phone=_login_phone(n),
            phone_verified_at=now,
            language="fr",
            assurance_level=AssuranceLevel.LOW,
            registration_method=RegistrationMethod.BACKOFFICE,
        )
        person.set_unusable_password()
        people.append(person)
    Person.objects.bulk_create(people, batch_size=1000)


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _sms_code(phone: str) -> str:
    """The code of the newest SMS the sandbox gateway holds for ``phone``
    (read in one of the event loop's threads, each with its connection)."""
    from paraph.notifications.models import SandboxMessage

    for _ in range(100):
        sms = SandboxMessage.objects.filter(channel="sms", to=phone).first()
        found = _CODE.search(sms.body_text) if sms else None
        if found:
            return found.group(1)
        time.sleep(0.05)
    raise LookupError(f"no log-in code for {phone}")


async def _log_in(client: Any, n: int) -> bool:
    """One person's log-in by SMS code, as a browser makes it; True when
    the adminbox opens at the end."""
    phone = _login_phone(n)
    forwarded = {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
    page = await client.get("/account/login/", headers=forwarded)
    token = _CSRF.search(page.text)
    form = {"csrfmiddlewaretoken": token.group(1) if token else "", "identifier": phone}
    asked = await client.post("/account/login/", data=form, headers=forwarded)
    if asked.status_code != 302 or "/login/code/" not in asked.headers.get("location", ""):
        return False
    page = await client.get("/account/login/code/", headers=forwarded)
    token = _CSRF.search(page.text)
    code = await asyncio.to_thread(_sms_code, phone)
    form = {"csrfmiddlewaretoken": token.group(1) if token else "", "code": code}
    checked = await client.post("/account/login/code/", data=form, headers=forwarded)
    if checked.status_code != 302:
        return False
    box = await client.get(checked.headers["location"], headers=forwarded)
    return box.status_code == 200 and "/adminbox/" in str(box.url)


async def _logins(base: str, clients: int, seconds: float, people: Any) -> dict:
    """``clients`` people logging in at once, each after the other, for
    ``seconds``: log-ins per second and the time of a whole log-in."""
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    transport = httpx.AsyncHTTPTransport(limits=limits)

    async def one() -> bool:
        # a browser of its own (its cookies) on the shared connections
        client = httpx.AsyncClient(base_url=base, transport=transport, timeout=30)
        try:
            return await _log_in(client, next(people))
        except (httpx.HTTPError, LookupError):
            return False

    try:
        return await _clients(clients, seconds, one)
    finally:
        await transport.aclose()


async def _load(url: str, headers: dict[str, str], clients: int, seconds: float) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def one() -> bool:
            try:
                return (await client.get(url)).status_code == 200
            except httpx.HTTPError:
                return False

        return await _clients(clients, seconds, one)


async def _clients(clients: int, seconds: float, one: Any) -> dict:
    """``clients`` loops, each awaiting ``one()`` (True when it went well)
    again and again for ``seconds``: how many per second, their p50 and
    p99, how many went wrong."""
    times: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            start = time.perf_counter()
            ok = await one()
            times.append(time.perf_counter() - start)
            errors += not ok

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(clients)))
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
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="a PostgreSQL server (e.g. postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument(
        "--redis", metavar="URL", help="a Redis server (e.g. redis://127.0.0.1:6379/12)"
    )
    args = parser.parse_args()
    database_url, drop = None, None
    if args.postgres:
        from dispatch import _postgres_database

        database_url, drop = _postgres_database(args.postgres)
    try:
        with tempfile.TemporaryDirectory(prefix="paraph-load-") as data_dir:
            (Path(data_dir) / "bench_urls.py").write_text(URLCONF)
            (Path(data_dir) / "bench_settings.py").write_text(
                'from paraph.settings import *  # noqa: F403\nROOT_URLCONF = "bench_urls"\n'
            )
            cookie, token = _prepare(data_dir, database_url)
            port = _free_port()
            server = _serve(data_dir, port, args, database_url)
            try:
                _measure(f"http://127.0.0.1:{port}", cookie, token, args)
            finally:
                _stop(server)
    finally:
        if drop is not None:
            drop()
        if args.redis:
            _forget_redis_keys(args.redis)


def _redis_prefix() -> str:
    return f"paraph-load-{os.getpid()}"


def _forget_redis_keys(url: str) -> None:
    import redis

    connection = redis.Redis.from_url(url)
    keys = list(connection.scan_iter(match=f"{_redis_prefix()}:*", count=1000))
    if keys:
        connection.delete(*keys)


def _serve(
    data_dir: str, port: int, args: argparse.Namespace, database_url: str | None
) -> subprocess.Popen[bytes]:
    """``paraph serve`` on ``port``, with the hello view's URL added, behind
    one trusted proxy (the log-ins come from many addresses)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([data_dir, str(ROOT)]),
        "PARAPH_BIND": f"127.0.0.1:{port}",
        "PARAPH_WEB_WORKERS": str(args.workers),
        "PARAPH_WEB_THREADS": str(args.threads),
        "PARAPH_TRUSTED_PROXY_COUNT": "1",
        # tasks (the log-in SMS) run in the request, on PostgreSQL too
        "PARAPH_TASK_BACKEND": "immediate",
        # the API key's limit (600 a minute) would answer 429 within seconds:
        # the bench measures the server, not the limit
        "PARAPH_API_RATE_LIMIT_PER_MINUTE": "1000000",
        # paraph.settings with the hello view's URL added
        "DJANGO_SETTINGS_MODULE": "bench_settings",
    }
    if database_url:
        env.update(DATABASE_URL=database_url, PARAPH_DB_CONN_MAX_AGE="60")
    if args.redis:
        env.update(REDIS_URL=args.redis, PARAPH_CACHE_PREFIX=_redis_prefix())
    return subprocess.Popen(
        [sys.executable, "-m", "paraph", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _measure(base: str, cookie: str, token: str, args: argparse.Namespace) -> None:
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
    people = itertools.count()
    asyncio.run(_logins(base, args.clients, 1.0, people))  # warm-up
    r = asyncio.run(_logins(base, args.clients, args.seconds, people))
    if next(people) > LOGIN_PEOPLE:
        raise SystemExit(f"more than {LOGIN_PEOPLE} log-ins: raise LOGIN_PEOPLE")
    print(
        f"log-ins   {r['rps']:8.1f} /s     p50 {r['p50']:7.1f} ms  "
        f"p99 {r['p99']:7.1f} ms  {r['requests']} log-ins (5 requests each), "
        f"{r['errors']} errors"
    )
    hello = results["hello"]["rps"]
    for name in ("home", "login", "adminbox", "api_list"):
        print(f"load_{name}_over_hello={results[name]['rps'] / hello:.2f}")
    print(f"load_login_journey_over_hello={r['rps'] * 5 / hello:.2f}")


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

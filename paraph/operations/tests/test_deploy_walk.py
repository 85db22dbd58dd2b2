"""docs/operations.md's production example, walked (PostgreSQL + Redis run
only): the production profile on a database of its own (paraph_walk) and a
Redis of its own, Debian's nginx with deploy/nginx/paraph.conf and a test
certificate, two ``paraph serve`` and one ``paraph worker`` started as
deploy/systemd's units start them; one contract from ``POST /api/contracts``
to its signed PDF at the production level (B-LTA), signed by its recipient
in Chromium through nginx (log-in and mandate with the codes the SMS gateway
received), checked by pdfsig and pyHanko's CLI; ``/health/ready`` green,
then red when Redis goes away."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paraph.contracts.tests.fixtures import contract_json
from paraph.core.tests.test_production_settings import production_env
from paraph.notifications.tests.conftest import free_port
from paraph.operations.tests.test_deployment import (
    NGINX,
    PARAPH,
    WEB_UNIT,
    WORKER_UNIT,
    site_on_loopback,
    stop,
    timeout_stop_seconds,
    unit_command,
    wait_for,
)
from paraph.signing.tests.conftest import P12_PASSWORD
from paraph.signing.tests.pdfs import contract_pdf

pytestmark = pytest.mark.redis

WALK_DB = "paraph_walk"
PREFIX = "paraph-walk"

SETUP = """
from paraph.contracts.tests.fixtures import enterprise_number
from paraph.senders.services import api_key_create, sender_create
sender = sender_create(name="Intérim Walk", enterprise_number=enterprise_number("04031799"),
                       contact_email="hr@interim.test")
_key, token = api_key_create(sender=sender, name="HR system",
                             scopes=("contracts:read", "contracts:write"), actor=None)
print(token)
"""

# The recipient's adminbox, activated (e-mail and phone verified, as after
# the activation steps, which have walks of their own), in English; prints
# the page where they sign with a password.
RECIPIENT = """
from django.urls import reverse
from paraph.contracts.models import Contract
from paraph.mandates.tests.conftest import verified
contract = Contract.objects.get(public_id="%(id)s")
person = verified(contract.recipient)
person.language = "en"
person.save(update_fields=["language"])
print(reverse("mandates:sign_password", kwargs={"public_id": contract.public_id}))
"""


def sms_code(gateway: Any, seen: int) -> str:
    """The code in the first SMS the gateway received after ``seen`` ones."""
    deadline = time.monotonic() + 60
    while len(gateway.requests) <= seen:
        assert time.monotonic() < deadline, "no SMS reached the gateway"
        time.sleep(0.2)
    match = re.search(r"\b(\d{6})\b", gateway.requests[seen].json()["text"])
    assert match, gateway.requests[seen].json()
    return match.group(1)


def sign_in_browser(
    browser: Any, base: str, email: str, sign_path: str, gateway: Any, shots: Path
) -> None:
    """The recipient, in Chromium through nginx: log-in with the code sent
    by SMS, the mandate signed with another SMS code, a password chosen,
    the contract signed with it."""
    from playwright.sync_api import expect

    from paraph.mandates.tests.conftest import PASSWORD

    context = browser.new_context(
        base_url=base,
        # The walk's certificate is made for this test, in no trust store
        # Chromium reads; Python's client checks it (see tls above).
        ignore_https_errors=True,
        locale="en-GB",
        viewport={"width": 1280, "height": 800},
        timezone_id="Europe/Brussels",
    )
    context.set_default_timeout(60_000)  # a B-LTA signature on a busy machine
    try:
        page = context.new_page()
        page.goto("/account/login/")
        page.get_by_label("Mobile phone number or e-mail address").fill(email)
        seen = len(gateway.requests)
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_url("**/account/login/code/")
        page.get_by_label("Code", exact=True).fill(sms_code(gateway, seen))
        page.get_by_role("button", name="Log in", exact=True).click()
        page.wait_for_url(lambda url: "/account/login/" not in url)

        page.goto(sign_path)
        page.wait_for_url("**/adminbox/mandate/?next=*")
        page.get_by_label("By SMS to my mobile phone").check()
        seen = len(gateway.requests)
        page.get_by_role("button", name="Send me the code").click()
        page.wait_for_url("**/adminbox/mandate/code/")
        page.get_by_label("Code", exact=True).fill(sms_code(gateway, seen))
        page.get_by_role("button", name="Sign my mandate").click()
        page.wait_for_url("**/adminbox/mandate/password/")
        page.get_by_label("Your signing password").fill(PASSWORD)
        page.get_by_label("The same password again").fill(PASSWORD)
        page.get_by_role("button", name="Confirm my mandate").click()
        page.wait_for_url("**/adminbox/mandate/done/")
        page.get_by_role("link", name="Continue to your contract").click()
        page.wait_for_url(f"**{sign_path}")
        page.get_by_label("I have read the contract and I sign it.").check()
        page.get_by_label("Your signing password").fill(PASSWORD)
        page.get_by_role("button", name="Sign the contract").click()
        page.wait_for_url("**/signed/")
        expect(page.get_by_role("heading", name="Signed")).to_be_visible()
        page.screenshot(path=str(shots / "signed.png"))
    finally:
        context.close()


@pytest.fixture
def walk_database() -> Iterator[str]:
    """A database of its own on the run's PostgreSQL server, dropped after."""
    import psycopg

    server = os.environ["DATABASE_URL"]
    assert server.startswith(("postgres://", "postgresql://")), "the walk needs PostgreSQL"
    base, _, _name = server.rpartition("/")

    def admin(sql: str) -> None:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {WALK_DB} WITH (FORCE)")
    admin(f"CREATE DATABASE {WALK_DB}")
    yield f"{base}/{WALK_DB}"
    admin(f"DROP DATABASE IF EXISTS {WALK_DB} WITH (FORCE)")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of the walk's own, which the test can stop."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing (scripts/ensure-system.sh services)"
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    import redis

    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(port=port).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "the walk's redis-server did not start"
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/10", process
    if process.poll() is None:
        process.kill()
        process.wait()


def walk_env(
    tmp_path: Path, pki: Any, *, database: str, redis_url: str, https: int, smtp: Any, sms: Any
) -> dict[str, str]:
    """The production example's /etc/paraph/paraph.env, for loopback."""
    keys = {
        "seal": pki.pkcs12_path("paraph-seal", chain=("paraph-root",), password=P12_PASSWORD),
        "ca": pki.pkcs12_path("paraph-signing-ca", chain=("paraph-root",), password=P12_PASSWORD),
    }
    env = production_env(
        tmp_path,
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        PARAPH_CACHE_PREFIX=PREFIX,
        PARAPH_ALLOWED_HOSTS="127.0.0.1",
        PARAPH_BASE_URL=f"https://127.0.0.1:{https}",
        PARAPH_BEHIND_PROXY="true",
        PARAPH_TRUSTED_PROXY_COUNT="1",
        PARAPH_TRUST_REQUEST_ID="true",
        PARAPH_LOG_FORMAT="json",
        PARAPH_WEB_WORKERS="1",
        PARAPH_WEB_THREADS="2",
        PARAPH_WORKER_INTERACTIVE_PROCESSES="0",
        EMAIL_HOST=smtp.host,
        EMAIL_PORT=str(smtp.port),
        PARAPH_SMS_HTTP_URL=sms.url,
        # The production default: the signature, its validation data and a
        # document time-stamp.
        PARAPH_SIGNING_LEVEL="B-LTA",
        PARAPH_SIGNING_SEAL_PKCS12=str(keys["seal"]),
        PARAPH_SIGNING_SEAL_PKCS12_PASSWORD=P12_PASSWORD,
        PARAPH_SIGNING_CA_PKCS12=str(keys["ca"]),
        PARAPH_SIGNING_CA_PKCS12_PASSWORD=P12_PASSWORD,
        PARAPH_SIGNING_TSA_URL=pki.url("tsa/sandbox-tsa"),
        PARAPH_SIGNING_TRUST_ROOTS=f"{pki.pem_path('belgium-root')},{pki.pem_path('paraph-root')}",
        PARAPH_SIGNING_INTERMEDIATES=str(pki.pem_path("paraph-signing-ca")),
        PARAPH_EID_CAS=str(pki.pem_path("citizen-ca")),
        PARAPH_WORKER_SEEN_SECONDS="30",
    )
    for name in ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "LANG"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def paraph(env: dict[str, str], *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [PARAPH, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


def check_b_lta(data: bytes, pki: Any, tmp_path: Path) -> None:
    """The PDF the sender downloads, checked by two validators that are not
    Paraph: pdfsig (poppler) finds the person's signature and the seal valid
    and trusted, and a document time-stamp last (B-LTA); pyHanko's AdES validation
    (``pyhanko sign adesverify``) finds both valid."""
    from paraph.signing.tests.checks import make_nss_db, pdfsig

    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    roots = [pki.pem_path("belgium-root"), pki.pem_path("paraph-root")]
    sigs = pdfsig(path, make_nss_db(tmp_path / "nss", roots))
    signatures = [s for s in sigs if not s.document_timestamp]
    # The recipient's signature, then Paraph's seal over it.
    assert [s.signer for s in signatures] == ["Anne Martin", "Paraph seal (Paraph test)"], sigs
    assert all(s.valid and s.trusted for s in signatures), sigs
    assert sigs[-1].document_timestamp, f"no document time-stamp last: {sigs}"
    # pyHanko's AdES validation (ETSI EN 319 102-1), with the validation
    # data the file carries: every signature VALID.
    command = [str(Path(sys.executable).with_name("pyhanko")), "sign", "adesverify"]
    for root in roots:
        command += ["--trust", str(root)]
    command += ["--trust-replace", "--other-certs", str(pki.pem_path("paraph-signing-ca"))]
    done = subprocess.run(
        [*command, "--executive-summary", str(path)], capture_output=True, text=True, timeout=120
    )
    verdicts = dict(re.findall(r"^([\w.-]+):[0-9a-f]+:(\w+)$", done.stdout, flags=re.M))
    assert done.returncode == 0, done.stdout + done.stderr
    assert verdicts == {"Paraph-Recipient": "VALID", "Signature1": "VALID"}, done.stdout


def test_the_production_example_walks_from_api_to_signed_pdf(
    tmp_path, pki, walk_database, private_redis, smtp_server, http_gateway, browser
):
    assert os.access(NGINX, os.X_OK), "Debian's nginx is missing (scripts/ensure-system.sh)"
    redis_url, redis_process = private_redis
    first, second, http, https = free_port(), free_port(), free_port(), free_port()
    env = walk_env(
        tmp_path,
        pki,
        database=walk_database,
        redis_url=redis_url,
        https=https,
        smtp=smtp_server,
        sms=http_gateway,
    )
    # The example's installation steps.
    paraph(env, "migrate", "--noinput", "-v0", cwd=tmp_path)
    paraph(env, "collectstatic", "--noinput", "-v0", cwd=tmp_path)
    paraph(env, "check", "--deploy", cwd=tmp_path)
    token = paraph(env, "shell", "-c", SETUP, cwd=tmp_path).strip().splitlines()[-1]

    conf, cert = site_on_loopback(tmp_path, http=http, https=https, upstreams=[first, second])
    processes: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for port in (first, second):
            command, unit_env = unit_command(WEB_UNIT, str(port))
            with (tmp_path / f"web-{port}.log").open("wb") as out:
                processes.append(
                    (
                        subprocess.Popen(
                            command, env={**env, **unit_env}, cwd=tmp_path, stdout=out, stderr=out
                        ),
                        timeout_stop_seconds(WEB_UNIT),
                    )
                )
        command, unit_env = unit_command(WORKER_UNIT)
        with (tmp_path / "worker.log").open("wb") as out:
            processes.append(
                (
                    subprocess.Popen(
                        command, env={**env, **unit_env}, cwd=tmp_path, stdout=out, stderr=out
                    ),
                    timeout_stop_seconds(WORKER_UNIT),
                )
            )
        check = subprocess.run(
            [NGINX, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, timeout=30
        )
        assert check.returncode == 0, check.stderr
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(tmp_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append((nginx, 10))
        tls = ssl.create_default_context(cafile=str(cert))
        base = f"https://127.0.0.1:{https}"
        for port in (first, second):
            wait_for(f"http://127.0.0.1:{port}/health/live", seconds=60)
        wait_for(f"{base}/health/live", verify=tls)
        # The first start made itsme's keys (PARAPH_ITSME_KEYS_FILE did not exist).
        jwks = httpx.get(f"{base}/.well-known/jwks.json", verify=tls)
        assert jwks.status_code == 200 and len(jwks.json()["keys"]) == 2

        with httpx.Client(
            base_url=base, verify=tls, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as api:
            pdf = contract_pdf(pages=2, title="Contrat")
            created = api.post("/api/contracts", json=contract_json(pdf))
            assert created.status_code == 201, created.text
            public_id = created.json()["id"]

            # The worker delivers the invitation by e-mail.
            deadline = time.monotonic() + 90
            while not any("anne.martin@example.be" in m.rcpt_tos for m in smtp_server.received):
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-4000:]
                time.sleep(0.5)

            recipient = RECIPIENT % {"id": public_id}
            sign_path = paraph(env, "shell", "-c", recipient, cwd=tmp_path).split()[-1]
            started = time.monotonic()
            sign_in_browser(
                browser, base, "anne.martin@example.be", sign_path, http_gateway, tmp_path
            )
            print(f"signed in Chromium through nginx in {time.monotonic() - started:.1f} s")

            shown = api.get(f"/api/contracts/{public_id}")
            signed = api.get(f"/api/contracts/{public_id}/signed.pdf")
        assert shown.json()["status"] == "signed"
        assert signed.status_code == 200 and signed.headers["Content-Type"] == "application/pdf"
        assert signed.content.startswith(b"%PDF") and b"/ByteRange" in signed.content
        assert len(signed.content) > len(pdf)
        check_b_lta(signed.content, pki, tmp_path)

        # Ready through nginx once the worker said it is alive...
        deadline = time.monotonic() + 60
        while (ready := httpx.get(f"{base}/health/ready", verify=tls)).status_code != 200:
            assert time.monotonic() < deadline, ready.text
            time.sleep(1)
        assert ready.json()["status"] == "ready"
        # ... and not ready once Redis is gone.
        redis_process.kill()
        redis_process.wait()
        gone = httpx.get(f"{base}/health/ready", verify=tls, timeout=30)
        assert gone.status_code == 503 and gone.json()["status"] == "not ready"
    finally:
        for process, seconds in reversed(processes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                stop(process, seconds=seconds)

"""The reference deployment, run for real: ``paraph serve`` (gunicorn with
paraph/gunicorn.conf.py) started as deploy/systemd's units start it, behind
Debian's nginx running deploy/nginx/paraph.conf on loopback with a test
certificate. Every file under deploy/ is exercised here (ADR 26)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from paraph.notifications.tests.conftest import free_port

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "paraph.conf"
WEB_UNIT = DEPLOY / "systemd" / "paraph-web@.service"
WORKER_UNIT = DEPLOY / "systemd" / "paraph-worker.service"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PARAPH = str(Path(sys.executable).with_name("paraph"))
INSTALLED_PARAPH = "/opt/paraph/venv/bin/paraph"

needs_nginx = pytest.mark.skipif(
    not os.access(NGINX, os.X_OK) and os.environ.get("CI") != "true",
    reason="Debian's nginx is missing (scripts/ensure-system.sh packages installs it)",
)


def unit(path: Path) -> dict[str, list[str]]:
    """A systemd unit's settings: name -> every value given, in order."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            name, _, value = line.partition("=")
            values.setdefault(name.strip(), []).append(value.strip())
    return values


def unit_command(path: Path, instance: str = "") -> tuple[list[str], dict[str, str]]:
    """The command a unit starts (with this checkout's ``paraph``) and the
    environment its Environment= lines add."""
    values = unit(path)
    (exec_start,) = values["ExecStart"]
    command = shlex.split(exec_start.replace("%i", instance))
    assert command[0] == INSTALLED_PARAPH
    command[0] = PARAPH
    env = {}
    for assignment in values.get("Environment", []):
        name, _, value = assignment.replace("%i", instance).partition("=")
        env[name] = value
    return command, env


def serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PARAPH_", "DJANGO_", "PYTEST_")) and key != "DATABASE_URL"
    }
    # The development profile, on a database of its own (migrated first).
    env.update(
        PARAPH_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'paraph.sqlite3'}",
        PARAPH_LOG_FORMAT="json",
        PARAPH_WEB_WORKERS="1",
        PARAPH_WEB_THREADS="2",
        PARAPH_TRUST_REQUEST_ID="true",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def wait_for(
    url: str, *, verify: bool | ssl.SSLContext = True, seconds: float = 30
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, verify=verify, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], *, seconds: float) -> int:
    """Stop it as systemd does (SIGTERM), within the unit's TimeoutStopSec."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def timeout_stop_seconds(path: Path) -> int:
    (value,) = unit(path)["TimeoutStopSec"]
    return int(value)


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    env = serve_env(tmp_path)
    subprocess.run(
        [PARAPH, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=tmp_path, timeout=300
    )
    return tmp_path


@pytest.fixture
def web(migrated: Path) -> Iterator[object]:
    """Start ``paraph serve`` the way paraph-web@<port>.service does."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(port: int) -> tuple[subprocess.Popen[bytes], Path]:
        command, unit_env = unit_command(WEB_UNIT, str(port))
        log = migrated / f"web-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                env=serve_env(migrated, **unit_env),
                cwd=migrated,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append((process, log))
        wait_for(f"http://127.0.0.1:{port}/health/live")
        return process, log

    yield start
    for process, _log in started:
        stop(process, seconds=timeout_stop_seconds(WEB_UNIT))


def json_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_paraph_serve_runs_gunicorn_with_json_access_lines(web, migrated):
    port = free_port()
    process, log = web(port)

    answer = httpx.get(
        f"http://127.0.0.1:{port}/health/live", headers={"X-Request-ID": "walk-0001-abcd"}
    )
    home = httpx.get(f"http://127.0.0.1:{port}/")
    time.sleep(0.5)

    assert answer.status_code == 200 and home.status_code == 200
    lines = json_lines(log)
    assert any(line["message"].startswith("Listening at: http://127.0.0.1:") for line in lines)
    access = [line for line in lines if line["logger"] == "paraph.access"]
    live = [line for line in access if line["path"] == "/health/live"][-1]
    assert live["status"] == 200 and live["method"] == "GET"
    assert live["request_id"] == "walk-0001-abcd" == answer.headers["X-Request-ID"]
    assert isinstance(live["duration_ms"], float)
    # systemd's stop: the server ends cleanly within the unit's time.
    assert stop(process, seconds=timeout_stop_seconds(WEB_UNIT)) == 0


def test_a_start_with_unsafe_production_settings_names_them(tmp_path):
    env = serve_env(tmp_path, PARAPH_PRODUCTION="true")
    done = subprocess.run([PARAPH, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "PARAPH_SECRET_KEY is not set" in done.stderr and "Traceback" not in done.stderr


def test_the_worker_unit_starts_paraph_worker_and_stops_on_sigterm(migrated):
    command, unit_env = unit_command(WORKER_UNIT)
    assert command[1:] == ["worker"]
    env = serve_env(migrated, **unit_env)
    with (migrated / "worker.log").open("wb") as out:
        process = subprocess.Popen(
            command, env=env, cwd=migrated, stdout=out, stderr=subprocess.STDOUT
        )
    time.sleep(4)
    assert process.poll() is None, (migrated / "worker.log").read_text()
    assert stop(process, seconds=timeout_stop_seconds(WORKER_UNIT)) == 0


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None and os.environ.get("CI") != "true",
    reason="systemd-analyze is missing (scripts/ensure-system.sh packages installs it)",
)
def test_the_systemd_units_are_valid(tmp_path):
    for path in (WEB_UNIT, WORKER_UNIT):
        text = path.read_text().replace(INSTALLED_PARAPH, PARAPH)
        copy = tmp_path / path.name.replace("@", "@8001")
        copy.write_text(text)
        done = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(copy)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        problems = [
            line
            for line in done.stderr.splitlines()
            if path.stem.rstrip("@") in line
            # the user and the files a machine has once Paraph is installed
            and "paraph.env" not in line
            and "User" not in line
        ]
        assert not problems, done.stderr


# --- nginx -------------------------------------------------------------------


def test_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


test_certificate.__test__ = False  # type: ignore[attr-defined]


def site_on_loopback(
    directory: Path, *, http: int, https: int, upstreams: list[int]
) -> tuple[Path, Path]:
    """deploy/nginx/paraph.conf with only its EDIT lines and listen lines
    changed for loopback, in a private nginx; returns (nginx.conf, the CA file)."""
    cert_file, key_file = test_certificate(directory)
    site = SITE.read_text()
    changes = {
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:80;": "",
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{upstreams[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{upstreams[1]} ",
        "/etc/ssl/paraph/fullchain.pem": str(cert_file),
        "/etc/ssl/paraph/privkey.pem": str(key_file),
    }
    for old, new in changes.items():
        assert old in site, f"{SITE} no longer has {old!r}: update this test and the doc"
        site = site.replace(old, new)
    (directory / "site.conf").write_text(site)
    temp = directory / "nginx-temp"
    temp.mkdir()
    main = f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 128; }}
http {{
    access_log {directory}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/site.conf;
}}
"""
    conf = directory / "nginx.conf"
    conf.write_text(main)
    return conf, cert_file


@pytest.fixture
def nginx() -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start(conf: Path) -> subprocess.Popen[bytes]:
        check = subprocess.run(
            [NGINX, "-t", "-c", str(conf), "-p", str(conf.parent)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert check.returncode == 0, check.stderr
        process = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(conf.parent)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process, seconds=10)


def raw_request(port: int, cert: Path, head: bytes) -> bytes:
    context = ssl.create_default_context(cafile=str(cert))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(head)
        return tls.recv(4096)


@needs_nginx
def test_nginx_site_serves_two_paraph_servers_over_tls(web, nginx, migrated):
    first, second = free_port(), free_port()
    http, https = free_port(), free_port()
    conf, cert = site_on_loopback(migrated, http=http, https=https, upstreams=[first, second])
    _process_1, log_1 = web(first)
    process_2, log_2 = web(second)
    nginx(conf)
    base = f"https://127.0.0.1:{https}"
    tls = ssl.create_default_context(cafile=str(cert))

    live = wait_for(f"{base}/health/live", verify=tls)
    home = httpx.get(f"{base}/", verify=tls)
    answers = [httpx.get(f"{base}/health/live", verify=tls) for _ in range(6)]
    redirect = httpx.get(f"http://127.0.0.1:{http}/contracts?x=1")
    css = httpx.get(f"{base}/static/paraph/paraph.css", verify=tls)
    too_large = raw_request(
        https,
        cert,
        b"POST /api/contracts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Content-Length: {settings.API_MAX_REQUEST_BYTES + 1}\r\n\r\n".encode(),
    )
    time.sleep(0.5)

    assert live.status_code == 200 and home.status_code == 200 and "Paraph" in home.text
    assert all(answer.status_code == 200 for answer in answers)
    # both servers took requests, each with nginx's request id (PARAPH_TRUST_REQUEST_ID)
    for log in (log_1, log_2):
        access = [line for line in json_lines(log) if line["logger"] == "paraph.access"]
        assert any(line["path"] == "/health/live" for line in access)
        assert all(len(str(line["request_id"])) == 32 for line in access)
        assert {line["remote"] for line in access} == {"127.0.0.1"}
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "https://127.0.0.1/contracts?x=1"
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    # a body larger than Paraph takes is refused by nginx before gunicorn sees it
    assert too_large.startswith(b"HTTP/1.1 413")

    # One server stops (an upgrade restarts them one after the other): the
    # other answers every request.
    stop(process_2, seconds=timeout_stop_seconds(WEB_UNIT))
    during = [httpx.get(f"{base}/health/live", verify=tls) for _ in range(6)]
    assert [answer.status_code for answer in during] == [200] * 6


def test_nginx_body_limit_matches_the_largest_request_paraph_takes():
    line = next(
        line.strip() for line in SITE.read_text().splitlines() if "client_max_body_size" in line
    )
    megabytes = int(line.removeprefix("client_max_body_size").strip(" m;"))
    assert megabytes * 1024 * 1024 == settings.API_MAX_REQUEST_BYTES
    assert settings.API_MAX_REQUEST_BYTES >= settings.SIGNING_MAX_PDF_BYTES


# --- itsme's keys on first start -----------------------------------------------


@pytest.mark.django_db
def test_the_first_start_makes_the_itsme_keys_once_audited(settings, tmp_path):
    from paraph.audit.models import AuditEvent
    from paraph.identity.providers.itsme import jwks
    from paraph.identity.tests.oidc_peer.peer import fast_keys
    from paraph.operations.serving import itsme_keys_ensure

    settings.PRODUCTION = True
    settings.IDENTITY_PROVIDERS = {
        **settings.IDENTITY_PROVIDERS,
        "itsme": "paraph.identity.providers.itsme.ItsmeProvider",
    }
    settings.ITSME_KEYS_FILE = str(tmp_path / "itsme" / "keys.json")
    with fast_keys():
        made = itsme_keys_ensure()
        again = itsme_keys_ensure()
        published = jwks.public_jwks()

    assert len(made) == 2 and again == []
    assert sorted(k["kid"] for k in published["keys"]) == sorted(made)
    event = AuditEvent.objects.get(name="identity.itsme.keys_rotated")
    assert event.data["added"] == made and event.actor_label == "paraph serve"

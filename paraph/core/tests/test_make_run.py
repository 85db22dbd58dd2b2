"""``make run`` works on any port, on a first start or a later one: the links
Paraph writes and the sandbox cards' OCSP address follow the port it
serves on."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PARAPH_BASE_URL")
    }
    env["PARAPH_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _problem(port: int, process: subprocess.Popen[bytes]) -> dict[str, object]:
    """The API's answer without a key, once the server answers."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"make run stopped:\n{output}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contracts", timeout=5)
        except urllib.error.HTTPError as answer:
            return dict(json.loads(answer.read()))
        except OSError:
            time.sleep(0.5)
    raise AssertionError("make run did not answer within 3 minutes")


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _card_ocsp_address(data_dir: Path) -> str:
    pem = (data_dir / "eid-sandbox" / "cards" / "card1" / "sign.pem").read_bytes()
    aia = x509.load_pem_x509_certificate(pem).extensions.get_extension_for_class(
        x509.AuthorityInformationAccess
    )
    return str(aia.value[0].access_location.value)


def test_make_run_on_one_port_then_another(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    for port in (_free_port(), _free_port()):
        process = _start(port, data_dir)
        try:
            problem = _problem(port, process)
            # the cards' first use after the start (a validator asks their OCSP responder)
            urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/identity/sandbox/eid/ocsp/",
                    data=b"0",
                    headers={"Content-Type": "application/ocsp-request"},
                ),
                timeout=30,
            ).read()
        finally:
            _stop(process)

        assert problem["status"] == 401
        assert str(problem["type"]).startswith(f"http://127.0.0.1:{port}/api/problems#")
        assert _card_ocsp_address(data_dir).startswith(f"http://127.0.0.1:{port}/")

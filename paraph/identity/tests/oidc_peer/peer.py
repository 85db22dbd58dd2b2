"""Fixtures that run the itsme test peer (``server.js``) for the tests.

``itsme_peer`` (one per test process): installs the peer's npm packages
with ``npm ci`` when ``node_modules`` is missing, gives Paraph a key file of
its own, starts ``node server.js`` on 127.0.0.1 (a free port), waits for its
discovery document, and stops it at the end. Without Node.js or npm the
tests that need it fail under CI=true and are skipped elsewhere, saying why.

``itsme`` (per test): points Paraph's settings at the peer, resets the
peer's behaviour, and, after the test, prints what the peer logged during
it (pytest shows it only when the test failed).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest

PEER_DIR = Path(__file__).resolve().parent
CLIENT_ID = "paraph-test-client"
SERVICE_CODE = "PARAPH_TEST"
REDIRECT_URI = "http://testserver/identity/itsme/callback/"
ACCOUNT = "anne"
# A Belgian test person, as itsme would describe her (national number from
# the eID card's printed example, valid check digits).
ACCOUNT_CLAIMS: dict[str, Any] = {
    "given_name": "Anne-Marie",
    "family_name": "Dupont",
    "name": "Anne-Marie Dupont",
    "birthdate": "1985-07-30",
    "gender": "female",
    "locale": "FR",
    "email": "anne-marie.dupont@example.be",
    "email_verified": False,
    "phone_number": "+32 470123456",
    "phone_number_verified": True,
    "address": {
        "formatted": "Rue de la Loi 16 bte 3\n1000 Bruxelles",
        "street_address": "Rue de la Loi 16 bte 3",
        "postal_code": "1000",
        "locality": "Bruxelles",
    },
    "http://itsme.services/v2/claim/BENationalNumber": "85073003328",
    "http://itsme.services/v2/claim/BEeidSn": "591234567829",
}
START_TIMEOUT = 30.0


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"itsme test peer: {reason}", pytrace=False)
    pytest.skip(f"itsme test peer: {reason}")


def _installed() -> bool:
    return all(
        (PEER_DIR / "node_modules" / name / "package.json").exists()
        for name in ("oidc-provider", "jose")
    )


def _npm_install() -> None:
    """``npm ci`` once, even with several test processes starting together."""
    if _installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        _fail_or_skip("npm is not installed (Node.js 20+ with npm is needed)")
        return
    digest = hashlib.sha256(str(PEER_DIR).encode()).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"paraph-oidc-peer-{digest}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            pytest.fail(
                f"itsme test peer: npm ci failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
                pytrace=False,
            )


@dataclass
class Peer:
    issuer: str
    keys_file: Path
    log_file: Path
    process: subprocess.Popen[bytes]
    admin: httpx.Client = field(repr=False)
    client_jwks: dict[str, Any] = field(default_factory=dict)
    test_started_at: int = 0  # log offset when the current test began

    @property
    def origin(self) -> str:
        return self.issuer.rsplit("/v2", 1)[0]

    def behave(self, mode: str) -> None:
        """Misbehave on purpose from now on (see MODES in server.js)."""
        response = self.admin.post(f"{self.origin}/_peer/behaviour", json={"mode": mode})
        assert response.status_code == 200, response.text

    def know_client_keys(self, jwks: dict[str, Any]) -> None:
        """Give the peer Paraph's JWK Set, as itsme gets it from jwks_uri."""
        response = self.admin.post(f"{self.origin}/_peer/client", json={"jwks": jwks})
        assert response.status_code == 200, response.text

    def log_since(self, offset: int) -> str:
        with self.log_file.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", errors="replace")

    def log_size(self) -> int:
        return self.log_file.stat().st_size

    def test_log(self) -> str:
        """What the peer logged since the current test began."""
        return self.log_since(self.test_started_at)


def _paraph_keys(keys_file: Path) -> dict[str, Any]:
    from django.test import override_settings

    from paraph.identity.providers.itsme import jwks

    with override_settings(ITSME_KEYS_FILE=str(keys_file)), fast_keys():
        jwks.rotate()
        return jwks.public_jwks()


@contextlib.contextmanager
def fast_keys() -> Iterator[None]:
    """RSA-2048 instead of Paraph's RSA-3072 while testing: quicker to make."""
    from paraph.identity.providers.itsme import jwks

    bits = jwks.KEY_BITS
    jwks.KEY_BITS = 2048
    try:
        yield
    finally:
        jwks.KEY_BITS = bits


def _first_line(stream: Any, timeout: float) -> str:
    """The first line the peer prints; whatever it prints later is read and
    dropped, so a full pipe never blocks it."""
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        lines.put(stream.readline())
        for _line in stream:
            pass

    threading.Thread(target=read, daemon=True).start()
    try:
        return lines.get(timeout=timeout).decode()
    except queue.Empty:
        return ""


@pytest.fixture(scope="session")
def itsme_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    node = shutil.which("node")
    if node is None:
        _fail_or_skip("Node.js is not installed (Node.js 20+ with npm is needed)")
    _npm_install()
    workdir = tmp_path_factory.mktemp("itsme-peer")
    keys_file = workdir / "paraph-itsme-keys.json"
    client_jwks = _paraph_keys(keys_file)
    config = {
        "client_id": CLIENT_ID,
        "service_code": SERVICE_CODE,
        "redirect_uris": [REDIRECT_URI],
        "client_jwks": client_jwks,
        "accounts": {ACCOUNT: ACCOUNT_CLAIMS},
    }
    (workdir / "config.json").write_text(json.dumps(config))
    log_file = workdir / "peer.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [str(node), "server.js"],
            cwd=PEER_DIR,
            env={**os.environ, "PEER_CONFIG": str(workdir / "config.json"), "NODE_ENV": "test"},
            stdout=subprocess.PIPE,
            stderr=log,
        )
    admin = httpx.Client(timeout=10)
    try:
        line = _first_line(process.stdout, START_TIMEOUT)
        if not line:
            process.kill()
            pytest.fail(
                f"itsme test peer did not start:\n{log_file.read_text()[-5000:]}", pytrace=False
            )
        issuer = json.loads(line)["issuer"]
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if admin.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(
                    f"itsme test peer has no discovery document:\n{log_file.read_text()[-5000:]}",
                    pytrace=False,
                )
            time.sleep(0.1)
        yield Peer(
            issuer=issuer,
            keys_file=keys_file,
            log_file=log_file,
            process=process,
            admin=admin,
            client_jwks=client_jwks,
        )
    finally:
        admin.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def itsme(itsme_peer: Peer, settings: Any, tmp_path: Path) -> Iterator[Peer]:
    """Paraph configured for the peer, with a copy of the session's key file
    (a test may rotate it), the peer behaving, its log shown on failure."""
    keys_file = tmp_path / "paraph-itsme-keys.json"
    shutil.copy(itsme_peer.keys_file, keys_file)
    settings.ITSME_CLIENT_ID = CLIENT_ID
    settings.ITSME_SERVICE_CODE = SERVICE_CODE
    settings.ITSME_ISSUER = itsme_peer.issuer
    settings.ITSME_REDIRECT_URI = REDIRECT_URI
    settings.ITSME_KEYS_FILE = str(keys_file)
    settings.ITSME_TIMEOUT = 5
    settings.IDENTITY_PROVIDERS = {
        **settings.IDENTITY_PROVIDERS,
        "itsme": "paraph.identity.providers.itsme.ItsmeProvider",
    }
    itsme_peer.behave("normal")
    itsme_peer.test_started_at = itsme_peer.log_size()
    with fast_keys():
        yield itsme_peer
    itsme_peer.behave("normal")
    itsme_peer.know_client_keys(itsme_peer.client_jwks)
    # Printed after the test: pytest shows it only for a failed test.
    print(f"--- itsme test peer log during this test ---\n{itsme_peer.test_log()}")


# --- Driving the person's browser at the peer ------------------------------------

_FORM = re.compile(r'<form method="post" action="([^"]+)"')


def confirm_at_peer(authorization_url: str, *, account: str = ACCOUNT) -> dict[str, str]:
    """What a person does at itsme: open the authorization URL, confirm
    with their account, and come back; returns the callback's query
    parameters (code, state, iss; or error)."""
    with httpx.Client(timeout=10, follow_redirects=False) as browser:
        url = authorization_url
        for _hop in range(10):
            if url.startswith(REDIRECT_URI):
                return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            response = browser.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            form = _FORM.search(response.text)
            assert form, f"no confirmation form at {url}: {response.status_code} {response.text}"
            response = browser.post(urljoin(url, form.group(1)), data={"account": account})
            assert response.is_redirect, f"confirmation refused: {response.text}"
            url = urljoin(url, response.headers["location"])
        raise AssertionError(f"the peer never sent the browser back (last: {url})")

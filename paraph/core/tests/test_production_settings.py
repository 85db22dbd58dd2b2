"""The strict production profile (PARAPH_PRODUCTION=true), started the way an
operator starts it: in a fresh process with only the environment it is given."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HOST = "paraph.example.be"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A complete production configuration; ``NAME=""`` leaves NAME out."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PARAPH_DATA_DIR": str(tmp_path / "data"),
        "PARAPH_PRODUCTION": "true",
        "PARAPH_SECRET_KEY": secrets.token_urlsafe(60),
        "PARAPH_ALLOWED_HOSTS": HOST,
        "PARAPH_BASE_URL": f"https://{HOST}",
        # Never contacted by these tests (.invalid does not resolve).
        "DATABASE_URL": "postgresql://paraph@db.invalid:5432/paraph",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "PARAPH_SMS_HTTP_URL": "https://sms.invalid/send",
        # Signatures: read when a document is signed, not at start-up.
        "PARAPH_SIGNING_SEAL_PKCS12": str(tmp_path / "seal.p12"),
        "PARAPH_SIGNING_CA_PKCS12": str(tmp_path / "ca.p12"),
        "PARAPH_SIGNING_TSA_URL": "https://tsa.invalid/",
        "PARAPH_SIGNING_TRUST_ROOTS": str(tmp_path / "root.pem"),
        # itsme: the key file is read when someone uses itsme, not at start-up.
        "PARAPH_ITSME_CLIENT_ID": "paraph-client",
        "PARAPH_ITSME_SERVICE_CODE": "PARAPH_LOGIN",
        "PARAPH_ITSME_ISSUER": "https://idp.prd.itsme.services/v2",
        "PARAPH_ITSME_KEYS_FILE": str(tmp_path / "itsme-keys.json"),
        "PARAPH_ITSME_REDIRECT_URI": f"https://{HOST}/identity/itsme/callback/",
        # IDnow: contacted only when someone starts an identification.
        "PARAPH_IDNOW_GATEWAY_URL": "https://gateway.idnow.invalid",
        "PARAPH_IDNOW_COMPANY_ID": "paraph",
        "PARAPH_IDNOW_API_KEY": "idnow-api-key",
        "PARAPH_IDNOW_WEBHOOK_SECRET": "w" * 40,
        # eID: the CA files are read when someone logs in or signs with a card.
        "PARAPH_EID_CAS": str(tmp_path / "citizen-ca.pem"),
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value != ""}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_production_start_without_settings_names_everything_missing(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PARAPH_PRODUCTION": "true",
        "PARAPH_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "paraph.settings",
    }

    result = run(["-c", "import django; django.setup()"], env)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: Paraph refuses")
    for name in (
        "PARAPH_SECRET_KEY",
        "PARAPH_ALLOWED_HOSTS",
        "PARAPH_BASE_URL must be an https:// address",
        "DATABASE_URL",
        "REDIS_URL",
        "PARAPH_SMS_HTTP_URL",
    ):
        assert name in message
    # No development secret key was made up and written on the way.
    assert list(tmp_path.iterdir()) == []


def test_the_paraph_command_prints_only_the_message(tmp_path):
    env = production_env(tmp_path, PARAPH_SECRET_KEY="", REDIS_URL="")

    result = run(["-m", "paraph", "check"], env)

    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("paraph: Paraph refuses to start in production: ")
    assert "PARAPH_SECRET_KEY is not set" in line
    assert "REDIS_URL is not set" in line
    assert line.endswith("See README.md, section 'Configuring production'.")


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"PARAPH_SANDBOX": "true"}, "PARAPH_SANDBOX must be false in production"),
        ({"PARAPH_EMAIL_BACKEND": "sandbox"}, "PARAPH_EMAIL_BACKEND must not be the sandbox"),
        ({"PARAPH_SMS_GATEWAY": "sandbox"}, "PARAPH_SMS_GATEWAY must not be the sandbox"),
        ({"PARAPH_SECRET_KEY": "too-short"}, "PARAPH_SECRET_KEY must be at least 50 characters"),
        ({"PARAPH_BASE_URL": f"http://{HOST}"}, "PARAPH_BASE_URL must be an https:// address"),
        (
            {"DATABASE_URL": "sqlite:////tmp/paraph.sqlite3"},
            "DATABASE_URL must point at PostgreSQL",
        ),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, overrides, complaint):
    result = run(["-m", "paraph", "check"], production_env(tmp_path, **overrides))

    assert result.returncode == 2
    assert complaint in result.stderr
    assert "Traceback" not in result.stderr


def test_a_complete_production_configuration_passes_the_deployment_checks(tmp_path):
    result = run(
        ["-m", "paraph", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )

    # Only Paraph's own deploy checks complain: this configuration's key
    # files and hosts do not exist (paraph/operations/tests/test_deploy_checks.py
    # runs them against real ones).
    complaints = [
        line for line in result.stderr.splitlines() if line.startswith(("?:", "paraph", "core"))
    ]
    assert complaints and all(line.startswith("?: (operations.E") for line in complaints), (
        result.stderr
    )


# Production settings exactly as an operator gets them, except the database:
# a throw-away SQLite one, so this test needs no PostgreSQL server.
RESPONSES = """
import json
from django.conf import settings
settings.DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from paraph.accounts.models import Person

call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
person = Person.objects.create_user("anne@example.be", first_name="Anne", last_name="Martin")
browser = Client(HTTP_HOST="%(host)s")
plain = browser.get("/")
browser.force_login(person)
page = browser.get("/", secure=True)
language = browser.post("/language/", {"language": "nl"}, secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "secure": [page.status_code, dict(page.headers)],
    "cookies": {
        name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]),
               "samesite": c["samesite"], "path": c["path"], "domain": c["domain"]}
        for response in (page, language) for name, c in response.cookies.items()
    },
}))
"""


def test_production_responses_force_https_and_secure_cookies(tmp_path):
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="paraph.settings")

    result = run(["-c", RESPONSES % {"host": HOST}], env)

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, f"https://{HOST}/"]
    status, headers = seen["secure"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    cookies = seen["cookies"]
    assert set(cookies) == {"__Host-paraph_session", "__Host-paraph_csrf", "paraph_language"}
    for name, cookie in cookies.items():
        assert cookie["secure"], name
        assert cookie["samesite"] == "Lax", name
    for name in ("__Host-paraph_session", "__Host-paraph_csrf"):
        # What browsers demand of a __Host- cookie: Secure, Path=/, no Domain.
        assert cookies[name]["path"] == "/" and cookies[name]["domain"] == ""
        assert cookies[name]["httponly"]

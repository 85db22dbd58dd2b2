"""Paraph's itsme keys: made on first use outside production, required in
production, rotated by ``paraph itsme-rotate-keys`` with a grace period."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat

import pytest
import time_machine
from django.core.management import call_command

from paraph.audit.models import AuditEvent
from paraph.core.tests.test_production_settings import production_env, run
from paraph.identity.providers.itsme import jwks
from paraph.identity.tests.oidc_peer.peer import fast_keys

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def key_path(settings, tmp_path):
    path = tmp_path / "itsme" / "keys.json"
    settings.ITSME_KEYS_FILE = str(path)
    settings.ITSME_KEY_GRACE_DAYS = 7
    with fast_keys():
        yield path


def test_paraph_makes_rsa_3072_keys():
    assert jwks.KEY_BITS == 3072


def test_outside_production_the_keys_are_made_on_first_use(key_path):
    published = jwks.public_jwks()

    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert sorted(k["use"] for k in published["keys"]) == ["enc", "sig"]
    assert all("d" not in k and "p" not in k for k in published["keys"])
    kid = jwks.signing_key().kid
    assert kid is not None and kid in json.dumps(published)
    assert jwks.public_jwks() == published  # made once, then read


def test_in_production_a_missing_key_file_is_an_error_that_names_the_setting(key_path, settings):
    settings.PRODUCTION = True

    with pytest.raises(jwks.KeyFileError, match="PARAPH_ITSME_KEYS_FILE"):
        jwks.signing_key()
    assert not key_path.exists()


@pytest.mark.parametrize(
    "content",
    ["not json", '{"version": 2, "keys": []}', '{"version": 1, "keys": []}'],
)
def test_an_unreadable_key_file_is_an_error(key_path, content):
    key_path.parent.mkdir(parents=True)
    key_path.write_text(content)

    with pytest.raises(jwks.KeyFileError, match="itsme key file"):
        jwks.public_jwks()


@pytest.mark.django_db
def test_rotation_signs_with_the_new_key_and_publishes_the_old_ones_for_the_grace_period(
    key_path,
):
    with time_machine.travel(NOW, tick=False):
        first = {k["use"]: k["kid"] for k in jwks.public_jwks()["keys"]}
        out = io.StringIO()

        call_command("itsme-rotate-keys", stdout=out)

        published = [k["kid"] for k in jwks.public_jwks()["keys"]]
        assert len(published) == 4 and set(first.values()) <= set(published[2:])
        assert jwks.signing_key().kid == published[0] != first["sig"]
        assert set(jwks.decryption_keys()) == {first["enc"], published[1]}
        assert "retired (still published for the grace period)" in out.getvalue()
        event = AuditEvent.objects.get(name="identity.itsme.keys_rotated")
        assert sorted(event.data["retired"]) == sorted(first.values())

    with time_machine.travel(NOW + dt.timedelta(days=7, seconds=1), tick=False):
        assert [k["kid"] for k in jwks.public_jwks()["keys"]] == published[:2]
        call_command("itsme-rotate-keys", stdout=out)
        assert "dropped: " in out.getvalue()
        assert first["sig"] not in key_path.read_text()


@pytest.mark.parametrize(
    "name",
    [
        "PARAPH_ITSME_CLIENT_ID",
        "PARAPH_ITSME_SERVICE_CODE",
        "PARAPH_ITSME_ISSUER",
        "PARAPH_ITSME_KEYS_FILE",
        "PARAPH_ITSME_REDIRECT_URI",
    ],
)
def test_production_with_the_real_itsme_needs_its_settings(tmp_path, name):
    result = run(["-m", "paraph", "check"], production_env(tmp_path, **{name: ""}))

    assert result.returncode == 2
    assert f"{name} is not set" in result.stderr

"""A registration method switched off (PARAPH_IDENTITY_METHODS) is offered
on no page, its pages answer 404, and production no longer asks for its
settings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from paraph.core.tests.test_production_settings import production_env, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def only(settings):
    def switch(*methods: str) -> None:
        settings.IDENTITY_METHODS = list(methods)

    return switch


def offered(client, url: str) -> set[str]:
    page = client.get(url).content.decode()
    return {
        name
        for name in ("itsme", "eid", "idnow")
        if f'data-testid="register-{name}"' in page
        or f'data-testid="login-{name}"' in page
        or f'data-testid="new-phone-{name}"' in page
    }


def _login_text(client) -> str:
    """The log-in page's words, in English (the site's default is French)."""
    import html
    import re

    client.cookies["paraph_language"] = "en"
    page = client.get(reverse("accounts:login")).content.decode()
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_only_idnow_leaves_no_itsme_or_card_log_in_on_the_log_in_page(client, only):
    only("idnow")

    login = _login_text(client)

    assert offered(client, reverse("accounts:login")) == set()
    assert "Registered by video identification?" in login
    assert "Or log in with" not in login


def test_every_method_is_offered_by_default(client):
    assert offered(client, reverse("identity:register")) == {"itsme", "eid", "idnow"}
    assert offered(client, reverse("accounts:login")) == {"itsme", "eid"}
    assert offered(client, reverse("identity:new_phone")) == {"itsme", "eid"}
    assert client.get("/.well-known/jwks.json").status_code == 200


def test_itsme_switched_off(client, only):
    only("eid", "idnow")

    assert offered(client, reverse("identity:register")) == {"eid", "idnow"}
    assert offered(client, reverse("accounts:login")) == {"eid"}
    login = _login_text(client)
    assert "Or log in with your eID card" in login
    assert "itsme" not in login.split("Not registered yet?")[0]
    assert offered(client, reverse("identity:new_phone")) == {"eid"}
    assert client.post(reverse("identity:register_start", args=["itsme"])).status_code == 404
    assert client.post(reverse("identity:login_start", args=["itsme"])).status_code == 404
    assert client.get("/.well-known/jwks.json").status_code == 404
    assert client.get(reverse("identity:itsme_callback")).status_code == 404
    assert client.get(reverse("identity:sandbox_itsme")).status_code == 404
    # the others still start
    assert client.post(reverse("identity:register_start", args=["eid"])).status_code == 302


def test_idnow_switched_off(client, only):
    only("itsme", "eid")

    assert offered(client, reverse("identity:register")) == {"itsme", "eid"}
    assert client.post(reverse("identity:register_start", args=["idnow"])).status_code == 404
    for name in ("idnow_documents", "idnow_start", "idnow_status", "idnow_webhook"):
        assert client.get(reverse(f"identity:{name}")).status_code == 404, name


def test_eid_switched_off(client, only):
    only("itsme", "idnow")

    assert offered(client, reverse("identity:register")) == {"itsme", "idnow"}
    assert offered(client, reverse("accounts:login")) == {"itsme"}
    login = _login_text(client)
    assert "Or log in with itsme" in login and "eID" not in login.split("Not registered yet?")[0]
    assert client.post(reverse("identity:register_start", args=["eid"])).status_code == 404
    assert client.get(reverse("identity:eid_register_page")).status_code == 404
    # signing with the card keeps its challenge
    assert client.get(reverse("identity:eid_challenge")).status_code != 404


def test_production_without_itsme_and_idnow_needs_none_of_their_settings(tmp_path):
    names = [n for n in production_env(tmp_path) if n.startswith(("PARAPH_ITSME", "PARAPH_IDNOW"))]
    env = production_env(tmp_path, PARAPH_IDENTITY_METHODS="eid", **dict.fromkeys(names, ""))

    result = run(["-m", "paraph", "check"], env)

    assert result.returncode == 0, result.stderr


def test_an_unknown_method_is_refused_at_start(tmp_path):
    result = run(["-m", "paraph", "check"], production_env(tmp_path, PARAPH_IDENTITY_METHODS="x"))

    assert result.returncode == 2
    assert "PARAPH_IDENTITY_METHODS takes one or more of itsme, eid, idnow" in result.stderr

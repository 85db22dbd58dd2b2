"""The IDnow client against a real HTTP server on loopback that answers like
IDnow's gateway: log-in token, start, result, errors and time-outs."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from paraph.identity.providers.idnow.client import IdnowClient, IdnowConfig, IdnowError
from paraph.identity.tests.idnow_peer import (  # noqa: F401 (fixture)
    API_KEY,
    COMPANY,
    idnow_gateway_fixture,
    idnow_result,
)
from paraph.notifications.tests.conftest import free_port

PERSON = {"firstname": "Zofia", "lastname": "Kowalska", "birthday": "1990-03-14"}


def test_start_logs_in_with_the_api_key_and_sends_the_token_and_the_person(idnow_gateway):
    ident_id = IdnowClient().start("TXN1", PERSON)

    login, start = idnow_gateway.requests
    assert (login.method, login.path) == ("POST", f"/api/v1/{COMPANY}/login")
    assert login.body == {"apiKey": API_KEY}
    assert (start.method, start.path) == ("POST", f"/api/v1/{COMPANY}/identifications/TXN1/start")
    assert start.headers["X-API-LOGIN-TOKEN"] in idnow_gateway.tokens
    assert start.body == PERSON
    assert ident_id.startswith("TST-")


def test_the_login_token_is_reused_until_shortly_before_it_expires(idnow_gateway):
    t0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        client = IdnowClient()
        client.start("TXN1", PERSON)
        client.start("TXN2", PERSON)
    assert len(idnow_gateway.calls("/login")) == 1
    # The token lives an hour; two minutes before the end a new one is fetched.
    with time_machine.travel(t0 + dt.timedelta(minutes=57), tick=False):
        IdnowClient().start("TXN3", PERSON)
    assert len(idnow_gateway.calls("/login")) == 1
    with time_machine.travel(t0 + dt.timedelta(minutes=59), tick=False):
        IdnowClient().start("TXN4", PERSON)
    assert len(idnow_gateway.calls("/login")) == 2


def test_a_token_the_gateway_no_longer_accepts_is_replaced_once(idnow_gateway):
    client = IdnowClient()
    client.start("TXN1", PERSON)
    idnow_gateway.tokens.clear()  # IDnow revoked it

    assert client.start("TXN2", PERSON).startswith("TST-")
    assert len(idnow_gateway.calls("/login")) == 2
    assert len(idnow_gateway.calls("/TXN2/start")) == 2


def test_a_wrong_api_key_is_a_clear_error_that_does_not_quote_the_key(idnow_gateway, settings):
    settings.IDNOW_API_KEY = "wrong-key-98765"
    with pytest.raises(IdnowError) as caught:
        IdnowClient().start("TXN1", PERSON)
    assert caught.value.code == "login_refused"
    assert "refused the log-in" in caught.value.message
    assert "98765" not in str(caught.value)
    assert idnow_gateway.calls("/start") == []


def test_the_result_is_fetched_with_the_token(idnow_gateway):
    idnow_gateway.results["TXN9"] = idnow_result("TXN9", "REVIEW_PENDING")

    data = IdnowClient().get("TXN9")

    assert data["identificationprocess"]["result"] == "REVIEW_PENDING"
    (fetch,) = idnow_gateway.calls("/identifications/TXN9")
    assert fetch.method == "GET"
    assert fetch.headers["X-API-LOGIN-TOKEN"] in idnow_gateway.tokens


def test_an_unknown_identification_names_idnows_cause(idnow_gateway):
    with pytest.raises(IdnowError) as caught:
        IdnowClient().get("NOPE")
    assert caught.value.code == "http_404"
    assert str(caught.value) == "IDnow answered HTTP 404 (OBJECT_NOT_FOUND)"


@pytest.mark.parametrize("status", [400, 500, 503])
def test_an_error_status_on_start_is_an_error_with_the_status(idnow_gateway, status):
    idnow_gateway.fail["/TXN1/start"] = status
    with pytest.raises(IdnowError) as caught:
        IdnowClient().start("TXN1", {"firstname": "Zofia", "email": "z@example.pl"})
    assert caught.value.code == f"http_{status}"
    assert "z@example.pl" not in str(caught.value)


def test_a_gateway_that_does_not_answer_in_time_is_a_timeout(idnow_gateway, settings):
    settings.IDNOW_TIMEOUT = 0.3
    idnow_gateway.delay = 1.5
    with pytest.raises(IdnowError, match=r"did not answer within 0\.3 s") as caught:
        IdnowClient().start("TXN1", PERSON)
    assert caught.value.code == "timeout"


def test_a_gateway_that_cannot_be_reached_is_unreachable(idnow_gateway, settings):
    settings.IDNOW_GATEWAY_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(IdnowError, match="could not be reached") as caught:
        IdnowClient().start("TXN1", PERSON)
    assert caught.value.code == "unreachable"


def test_an_answer_that_is_not_json_is_a_bad_response(idnow_gateway):
    idnow_gateway.raw_response = b"<html>maintenance</html>"
    with pytest.raises(IdnowError, match="not JSON") as caught:
        IdnowClient().start("TXN1", PERSON)
    assert caught.value.code == "bad_response"


def test_a_start_answer_without_an_id_is_a_bad_response(idnow_gateway):
    client = IdnowClient()
    client.login()
    idnow_gateway.raw_response = b'{"status": "ok"}'
    with pytest.raises(IdnowError, match="gave no id"):
        client.start("TXN1", PERSON)


def test_an_unconfigured_client_names_the_settings(settings):
    settings.IDNOW_GATEWAY_URL = ""
    settings.IDNOW_COMPANY_ID = ""
    settings.IDNOW_API_KEY = ""
    with pytest.raises(IdnowError, match="PARAPH_IDNOW_GATEWAY_URL") as caught:
        IdnowClient().start("TXN1", PERSON)
    assert caught.value.code == "not_configured"


@pytest.mark.parametrize(
    ("gateway", "go", "expected"),
    [
        ("https://gateway.test.idnow.de", "", "https://go.test.idnow.de"),
        ("https://gateway.idnow.de", "", "https://go.idnow.de"),
        ("https://gateway.idnow.de", "https://go.example.net/", "https://go.example.net"),
    ],
)
def test_the_person_is_sent_to_the_go_host_beside_the_gateway(gateway, go, expected):
    client = IdnowClient(
        IdnowConfig(gateway_url=gateway, company_id="acme", api_key="k", go_url=go)
    )
    assert client.person_url("TXN 1") == (
        f"{expected}/acme/identifications/TXN%201/identification/start"
    )

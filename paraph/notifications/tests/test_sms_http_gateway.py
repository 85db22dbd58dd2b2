"""The generic HTTP SMS gateway against a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine

from paraph.notifications.models import OutboundMessage
from paraph.notifications.providers import SmsDeliveryError, get_sms_gateway
from paraph.notifications.providers.http import HttpSmsGateway, build_body
from paraph.notifications.services import sms_send
from paraph.notifications.tasks import deliver_message
from paraph.notifications.tests.conftest import free_port

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
TRICKY = 'Code: 123456\nHe said "hi" \\ {to} {text} \u2013 é'


@pytest.fixture
def gateway(settings, http_gateway):
    settings.SMS_GATEWAY = "http"
    settings.SMS_HTTP_URL = http_gateway.url
    settings.SMS_HTTP_AUTH_HEADER = "Authorization: Bearer tok-123"
    settings.SMS_HTTP_BODY_TEMPLATE = '{"to": "{to}", "from": "{sender}", "text": "{text}"}'
    settings.SMS_SENDER = "Paraph"
    settings.SMS_HTTP_TIMEOUT = 5
    return http_gateway


def test_the_gateway_is_chosen_in_settings(gateway):
    assert isinstance(get_sms_gateway(), HttpSmsGateway)


def test_one_post_with_the_auth_header_and_a_json_body(gateway):
    gateway_id = HttpSmsGateway().send(to="+32470123456", text="Hello")

    (request,) = gateway.requests
    assert request.method == "POST"
    assert request.path == "/v1/sms?key=secret-key"
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"to": "+32470123456", "from": "Paraph", "text": "Hello"}
    assert gateway_id == "gw-1"


def test_quotes_newlines_and_braces_in_the_text_arrive_as_written(gateway):
    HttpSmsGateway().send(to="+32470123456", text=TRICKY)

    (request,) = gateway.requests
    assert request.json() == {"to": "+32470123456", "from": "Paraph", "text": TRICKY}


def test_a_custom_body_template_is_filled_in(gateway, settings):
    settings.SMS_HTTP_BODY_TEMPLATE = (
        '{"messages": [{"destination": "{to}", "body": "{text}"}], "originator": "{sender}"}'
    )
    HttpSmsGateway().send(to="+32470123456", text="Hi")
    assert gateway.requests[0].json() == {
        "messages": [{"destination": "+32470123456", "body": "Hi"}],
        "originator": "Paraph",
    }


def test_a_template_that_does_not_give_json_is_refused_without_quoting_the_text():
    with pytest.raises(SmsDeliveryError, match="valid JSON") as caught:
        build_body('{"text": {text}}', to="+32470123456", sender="P", text="code 987654")
    assert "987654" not in str(caught.value)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (b'{"id": "abc"}', "abc"),
        (b'{"message_id": 42}', "42"),
        (b'{"status": "ok"}', ""),
        (b"accepted", ""),
    ],
)
def test_the_gateways_message_id_is_returned_when_it_gives_one(gateway, response, expected):
    gateway.response = response
    assert HttpSmsGateway().send(to="+32470123456", text="Hi") == expected


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_an_error_status_is_a_delivery_error_that_never_quotes_the_text(gateway, status):
    gateway.status = status
    gateway.response = b'{"error": "rejected: Your code is 654321"}'
    with pytest.raises(SmsDeliveryError) as caught:
        HttpSmsGateway().send(to="+32470123456", text="Your code is 654321")
    message = str(caught.value)
    assert f"HTTP {status}" in message
    assert "654321" not in message
    assert "secret-key" not in message


def test_a_gateway_that_does_not_answer_in_time_is_a_delivery_error(gateway, settings):
    settings.SMS_HTTP_TIMEOUT = 0.3
    gateway.delay = 1.5
    with pytest.raises(SmsDeliveryError, match=r"did not answer within 0\.3 s") as caught:
        HttpSmsGateway().send(to="+32470123456", text="Your code is 111222")
    assert "111222" not in str(caught.value)


def test_a_gateway_that_cannot_be_reached_is_a_delivery_error(gateway, settings):
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{free_port()}/sms"
    with pytest.raises(SmsDeliveryError, match="could not be reached"):
        HttpSmsGateway().send(to="+32470123456", text="Hi")


def test_a_malformed_auth_header_setting_is_refused(gateway, settings):
    settings.SMS_HTTP_AUTH_HEADER = "Bearer tok-123"
    with pytest.raises(SmsDeliveryError, match="Name: value"):
        HttpSmsGateway().send(to="+32470123456", text="Hi")
    assert gateway.requests == []


def test_no_auth_header_when_none_is_configured(gateway, settings):
    settings.SMS_HTTP_AUTH_HEADER = ""
    HttpSmsGateway().send(to="+32470123456", text="Hi")
    assert "Authorization" not in gateway.requests[0].headers


# --- Through the task ------------------------------------------------------------------


def test_a_login_code_reaches_the_gateway_and_only_the_gateway_id_is_kept(
    db, person, deliver, gateway
):
    gateway.response = b'{"message_id": "prov-77"}'
    with deliver():
        message = sms_send(
            to=person.phone,
            template="test_code",
            context={"code": "246810"},
            language="en",
            person=person,
            purpose="login_code",
        )

    (request,) = gateway.requests
    assert request.json()["text"] == "Your Paraph code is 246810. Never share it."
    assert request.json()["to"] == person.phone
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.provider_id == "prov-77"
    assert "246810" not in json.dumps(
        OutboundMessage.objects.filter(pk=message.pk).values().get(), default=str
    )


def test_an_error_status_schedules_a_retry_and_keeps_no_code(
    db, person, deliver, gateway, kept_tasks
):
    gateway.status = 502
    with time_machine.travel(T0, tick=False):
        with deliver():
            message = sms_send(
                to=person.phone,
                template="test_code",
                context={"code": "135790"},
                language="en",
                person=person,
                purpose="login_code",
            )
        with deliver():
            assert deliver_message.call(*kept_tasks.results[0].args) == "retry"

    assert len(gateway.requests) == 1
    retry = kept_tasks.results[-1]
    assert retry.task.run_after == T0 + dt.timedelta(minutes=1)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.error == "SmsDeliveryError: the SMS gateway answered HTTP 502"
    assert "135790" not in message.error

    gateway.status = 200
    with time_machine.travel(retry.task.run_after, tick=False), deliver():
        assert deliver_message.call(*retry.args) == "sent"
    assert len(gateway.requests) == 2
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT

"""The sandbox inbox pages: what a demo user reads instead of a phone or a mailbox."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from paraph.notifications import urls_disabled, views
from paraph.notifications.models import SandboxMessage
from paraph.notifications.providers.sandbox import SandboxSmsGateway
from paraph.notifications.services import email_send
from paraph.notifications.tests.conftest import find

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))
SANDBOX_SAYS = "Sandbox: nothing here was really sent."


def _sms(to: str, text: str, minutes: int) -> None:
    with time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False):
        SandboxSmsGateway().send(to=to, text=text)


def _email(deliver, to: str, name: str, minutes: int) -> SandboxMessage:
    with time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False), deliver():
        email_send(to=to, template="test_message", context={"name": name}, language="en")
    return SandboxMessage.objects.get(to=to.lower(), subject__contains=name)


@pytest.fixture(autouse=True)
def _english(client):
    """The pages are read in English (the default language is French)."""
    client.cookies["paraph_language"] = "en"


@pytest.fixture
def inbox(db, deliver, sandbox_email):
    _sms("+32470111111", "Your Paraph code is 111111. Never share it.", 1)
    _sms("+32470222222", "Your Paraph code is 222222. Never share it.", 2)
    _email(deliver, "Anne@Example.be", "Anne", 3)
    _sms("+32470111111", 'Second "code" 333333\n<script>alert(1)</script>', 4)


def test_the_inbox_lists_every_message_newest_first_and_says_it_is_a_sandbox(client, inbox):
    response = client.get(reverse("sandbox:inbox"))

    assert response.status_code == 200
    html = response.content.decode()
    assert SANDBOX_SAYS in html
    assert html.index(SANDBOX_SAYS) < html.index("<h1>")
    rows = find(html, "tr", data_testid="sandbox-message")
    assert [row.attrs["data-recipient"] for row in rows] == [
        "+32470111111",
        "anne@example.be",
        "+32470222222",
        "+32470111111",
    ]
    assert [th.text for th in find(html, "th", scope="col")] == [
        "Date",
        "Channel",
        "To",
        "Content",
    ]


def test_each_sms_is_shown_in_full_and_escaped_under_its_recipient(client, inbox):
    html = client.get(reverse("sandbox:inbox")).content.decode()

    bodies = [
        body.text
        for body in find(html, data_testid="sms-body")
        if body.inside(data_recipient="+32470111111")
    ]
    assert bodies == [
        'Second "code" 333333 <script>alert(1)</script>',
        "Your Paraph code is 111111. Never share it.",
    ]
    assert "<script>alert(1)</script>" not in html


@pytest.mark.parametrize(
    "typed", ["0470 11 11 11", "+32 470 11 11 11", "0032470111111", "+32470111111", "0470/11.11.11"]
)
def test_the_inbox_filters_by_a_phone_number_typed_in_any_usual_form(client, inbox, typed):
    html = client.get(reverse("sandbox:inbox"), {"to": typed}).content.decode()

    rows = find(html, "tr", data_testid="sandbox-message")
    assert {row.attrs["data-recipient"] for row in rows} == {"+32470111111"}
    assert len(rows) == 2


def test_the_inbox_filters_by_an_email_address_whatever_its_case(client, inbox):
    html = client.get(reverse("sandbox:inbox"), {"to": "  ANNE@example.BE "}).content.decode()

    rows = find(html, "tr", data_testid="sandbox-message")
    assert [row.attrs["data-recipient"] for row in rows] == ["anne@example.be"]


def test_a_recipient_that_is_neither_a_phone_nor_an_email_is_explained(client, inbox):
    html = client.get(reverse("sandbox:inbox"), {"to": "hello"}).content.decode()

    (field,) = find(html, "input", name="to")
    assert field.attrs["aria-invalid"] == "true"
    assert "id_to_error" in field.attrs["aria-describedby"]
    (error,) = find(html, id="id_to_error")
    assert "Type a phone number" in error.text
    assert find(html, "tr", data_testid="sandbox-message") == []


def test_an_unknown_recipient_shows_that_nothing_was_sent_to_it(client, inbox):
    html = client.get(reverse("sandbox:inbox"), {"to": "0470 99 99 99"}).content.decode()
    assert "Nothing was sent to 0470 99 99 99." in html
    assert find(html, "tr", data_testid="sandbox-message") == []


def test_the_inbox_is_paginated_and_keeps_the_filter(client, db):
    for minute in range(30):
        _sms("+32470111111", f"message {minute}", minute)
    _sms("+32470222222", "other", 31)

    first = client.get(reverse("sandbox:inbox"), {"to": "0470111111"}).content.decode()
    assert len(find(first, "tr", data_testid="sandbox-message")) == 25
    (older,) = find(first, "a", rel="next")
    assert "to=0470111111" in older.attrs["href"]
    assert "page=2" in older.attrs["href"]

    second = client.get(reverse("sandbox:inbox") + older.attrs["href"]).content.decode()
    bodies = [b.text for b in find(second, data_testid="sms-body")]
    assert bodies == [f"message {m}" for m in range(4, -1, -1)]


def test_an_email_shows_its_text_and_links_to_its_html_part(client, db, deliver, sandbox_email):
    message = _email(deliver, "bob@example.be", "Bob <&>", 0)

    response = client.get(reverse("sandbox:message", args=[message.pk]))

    html = response.content.decode()
    assert SANDBOX_SAYS in html
    (text,) = find(html, data_testid="message-text")
    assert "Hello Bob <&>," in text.text
    assert "Bob <&>" not in html  # escaped on the page
    links = [a.attrs["href"] for a in find(html, "a")]
    assert reverse("sandbox:message_html", args=[message.pk]) in links


def test_the_html_part_is_served_under_a_policy_that_runs_nothing(
    client, db, deliver, sandbox_email
):
    message = _email(deliver, "bob@example.be", "Bob", 0)

    response = client.get(reverse("sandbox:message_html", args=[message.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert not any(d.startswith("script-src") for d in policy)
    assert response["X-Frame-Options"] == "DENY"
    html = response.content.decode()
    body_at = html.index("<body")
    assert html.index("this e-mail was not really sent", body_at) < html.index("Hello Bob")


def test_an_sms_has_no_html_part(client, db):
    _sms("+32470111111", "hi", 0)
    message = SandboxMessage.objects.get()
    assert client.get(reverse("sandbox:message_html", args=[message.pk])).status_code == 404
    assert client.get(reverse("sandbox:message", args=[message.pk + 1])).status_code == 404


# --- Outside sandbox mode ----------------------------------------------------------


@pytest.fixture
def production_urls():
    """The URL configuration as a production start builds it (SANDBOX off)."""
    import paraph.urls

    try:
        with override_settings(SANDBOX=False):
            importlib.reload(paraph.urls)
            clear_url_caches()
            yield
    finally:
        importlib.reload(paraph.urls)  # back to the test settings' sandbox mode
        clear_url_caches()


def test_outside_sandbox_mode_the_sandbox_pages_do_not_exist(client, db, production_urls):
    _sms("+32470111111", "Your Paraph code is 111111.", 0)
    pk = SandboxMessage.objects.get().pk

    for url in (
        reverse("sandbox:inbox"),
        reverse("sandbox:message", args=[pk]),
        reverse("sandbox:message_html", args=[pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"111111" not in response.content


def test_the_disabled_module_answers_404_for_every_sandbox_page(db, rf):
    from django.http import Http404

    for pattern in urls_disabled.urlpatterns:
        with pytest.raises(Http404):
            pattern.callback(rf.get("/sandbox/"), message_id=1)


@pytest.mark.parametrize("name", ["sandbox_inbox", "sandbox_message", "sandbox_message_html"])
def test_the_sandbox_views_refuse_to_serve_outside_sandbox_mode(
    db, rf, settings, deliver, sandbox_email, name
):
    from django.http import Http404

    message = _email(deliver, "bob@example.be", "Bob", 0)
    view = getattr(views, name)
    kwargs = {} if name == "sandbox_inbox" else {"message_id": message.pk}
    assert view(rf.get("/sandbox/"), **kwargs).status_code == 200  # in sandbox mode

    settings.SANDBOX = False
    with pytest.raises(Http404):
        view(rf.get("/sandbox/"), **kwargs)

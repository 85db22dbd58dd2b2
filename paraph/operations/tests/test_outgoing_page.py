"""The back office's page of outgoing work (/backoffice/outgoing/): e-mails,
SMS and webhook deliveries in one list with status, attempts, last error and
next attempt, filtered by status and kind; the Operators requeue from it
(audited, once however often they click), a contact-centre agent reads it
only. E-mail goes to a real SMTP server and webhooks to a real HTTP receiver,
both on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.utils import timezone

from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.notifications.models import OutboundMessage
from paraph.notifications.services import email_send
from paraph.notifications.tests.conftest import find, free_port
from paraph.senders.models import DeliveryStatus, WebhookDelivery
from paraph.senders.services import webhook_endpoint_create, webhook_endpoint_ping
from paraph.senders.tests.receiver import Receiver

pytestmark = pytest.mark.django_db

PAGE = "/backoffice/outgoing/"


def _smtp(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=5,
    )


@pytest.fixture
def receiver(sender):
    server = Receiver(secret=sender.webhook_secret, status=500).start()
    yield server
    server.stop()


@pytest.fixture
def failed_message(person, deliver) -> OutboundMessage:
    """An e-mail given up: nothing listened where the SMTP server should be
    (the test settings' task backend cannot defer, so that was its last try)."""
    with _smtp(free_port()), deliver():
        message = email_send(
            to=person.email, template="test_message", context={"name": "Anne"}, language="en"
        )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    return message


@pytest.fixture
def failed_delivery(sender, receiver, deliver) -> WebhookDelivery:
    """A webhook the receiver refused with a 500, then given up (as after
    its last retry)."""
    endpoint = webhook_endpoint_create(
        sender=sender, url=receiver.url, events=["contract.sent"], actor=None
    )
    with deliver():
        delivery = webhook_endpoint_ping(endpoint=endpoint, actor=None)
    delivery.refresh_from_db()
    assert delivery.error and delivery.attempts == 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def operator(client, person_factory):
    staff = person_factory(is_staff=True, first_name="Operator", language="en")
    staff.groups.add(Group.objects.get(name="Operators"))
    return staff_login(client, staff)


def _rows(page: str) -> dict[str, str]:
    """The table's rows as text, by the address they go to."""
    cells: dict[int, list[str]] = {}
    for cell in find(page, "td"):
        if cell.inside(id="result_list"):
            row = next(a for a in reversed(cell.ancestors) if a.tag == "tr")
            cells.setdefault(id(row), []).append(cell.text)
    columns = [th.text for th in find(page, "th") if th.inside(id="result_list")]
    if not columns:
        return {}
    to = columns.index("To")
    return {row[to]: " | ".join(row) for row in cells.values()}


def test_a_failed_message_and_a_failed_delivery_are_listed_with_their_error(
    operator, failed_message, failed_delivery, person, receiver
):
    waiting = email_send(
        to="waiting@example.be", template="test_message", context={}, language="en"
    )

    page = operator.get(PAGE).content.decode()

    rows = _rows(page)
    assert set(rows) == {person.email, receiver.url, waiting.to}
    assert "Not delivered" in rows[person.email] and "ConnectionRefusedError" in rows[person.email]
    assert "Failed, not retried" in rows[receiver.url] and "HTTP 500" in rows[receiver.url]
    assert "Waiting to be sent" in rows[waiting.to]
    assert len(find(page, "button", name="one")) == 2  # a requeue for each failed one
    assert "Given up (2)" in page and "Waiting (1)" in page

    failed = _rows(operator.get(PAGE, {"status": "failed"}).content.decode())
    assert set(failed) == {person.email, receiver.url}
    webhooks = _rows(operator.get(PAGE, {"kind": "webhook"}).content.decode())
    assert set(webhooks) == {receiver.url}
    emails = _rows(operator.get(PAGE, {"kind": "email", "status": "failed"}).content.decode())
    assert set(emails) == {person.email}


def test_a_stuck_message_is_named_stuck_and_can_be_requeued(operator, person, kept_tasks):
    message = email_send(to=person.email, template="test_message", context={}, language="en")
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )

    page = operator.get(PAGE).content.decode()

    assert "stuck" in _rows(page)[person.email]
    assert find(page, "button", name="one", value=f"message:{message.pk}")


def test_an_operator_requeues_both_from_the_page_and_each_leaves_once(
    operator, failed_message, failed_delivery, receiver, smtp_server, deliver
):
    receiver.status = 200
    ticked = {"row": [f"message:{failed_message.pk}", f"webhook:{failed_delivery.pk}"]}
    with _smtp(smtp_server.port):
        with deliver():
            response = operator.post(f"{PAGE}?status=failed", ticked, follow=True)
        with deliver():  # a second click, or a second operator
            again = operator.post(f"{PAGE}?status=failed", ticked, follow=True)

    assert response.redirect_chain == [(f"{PAGE}?status=failed", 302)]
    assert "Requeued: 2" in response.content.decode()
    assert "Already delivered: 2" in again.content.decode()
    assert len(smtp_server.received) == 1
    assert len(receiver.received) == 2  # the refused attempt, and this one
    failed_message.refresh_from_db()
    failed_delivery.refresh_from_db()
    assert failed_message.status == OutboundMessage.Status.SENT
    assert failed_delivery.status == DeliveryStatus.SUCCEEDED
    assert _rows(again.content.decode()) == {}  # nothing given up any more
    done = _rows(operator.get(PAGE, {"status": "done"}).content.decode())
    assert "Sent" in done[failed_message.to] and "Delivered" in done[receiver.url]
    events = AuditEvent.objects.filter(
        name__in=["notifications.message.requeued", "senders.webhook.requeued"]
    )
    assert sorted(e.name for e in events) == [
        "notifications.message.requeued",
        "senders.webhook.requeued",
    ]
    assert {e.actor_id for e in events} == {response.wsgi_request.user.pk}
    assert {e.ip for e in events} == {"127.0.0.1"}  # the operator's address, not a task's


def test_one_rows_own_button_requeues_that_row_only(
    operator, failed_message, failed_delivery, kept_tasks, deliver
):
    with deliver():
        response = operator.post(
            PAGE,
            {"one": f"webhook:{failed_delivery.pk}", "row": [f"message:{failed_message.pk}"]},
            follow=True,
        )

    assert "Requeued: 1" in response.content.decode()
    failed_message.refresh_from_db()
    failed_delivery.refresh_from_db()
    assert failed_message.status == OutboundMessage.Status.FAILED
    assert failed_delivery.status == DeliveryStatus.PENDING


def test_a_contact_centre_agent_reads_the_page_but_cannot_requeue(
    client, person_factory, failed_message, failed_delivery, receiver, smtp_server, deliver
):
    agent = make_agent(person_factory, language="en")
    agent.user_permissions.add(
        *Group.objects.get(name="Operators").permissions.filter(codename__startswith="view_")
    )
    staff_login(client, agent)
    receiver.status = 200

    page = client.get(PAGE).content.decode()
    assert set(_rows(page)) == {failed_message.to, receiver.url}
    assert not find(page, "button", name="one") and "Requeue the ticked ones" not in page
    with _smtp(smtp_server.port), deliver():
        refused = client.post(
            PAGE, {"row": [f"message:{failed_message.pk}", f"webhook:{failed_delivery.pk}"]}
        )

    assert refused.status_code == 403
    failed_message.refresh_from_db()
    failed_delivery.refresh_from_db()
    assert failed_message.status == OutboundMessage.Status.FAILED
    assert failed_delivery.status == DeliveryStatus.FAILED
    assert smtp_server.received == [] and len(receiver.received) == 1
    assert not AuditEvent.objects.filter(name__endswith=".requeued").exists()


def test_an_agent_without_either_list_does_not_see_the_page(client, person_factory):
    staff_login(client, make_agent(person_factory, language="en"))

    assert client.get(PAGE).status_code == 403


def test_the_page_asks_the_same_queries_however_many_rows(
    operator, person, sender, django_assert_num_queries
):
    endpoint = webhook_endpoint_create(
        sender=sender, url="https://hooks.example.be/paraph", events=["contract.sent"], actor=None
    )
    operator.get(PAGE)  # the session and permissions, once

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert operator.get(PAGE).status_code == 200
        return len(queries)

    few = count()
    for i in range(5):
        email_send(to=f"m{i}@example.be", template="test_message", context={}, language="en")
        WebhookDelivery.objects.create(endpoint=endpoint, event="contract.sent", event_id=f"e{i}")
    assert count() == few


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_page_fits_1280_pixels_in_the_four_languages(
    page_factory, live_server, person_factory, sender
):
    """Long addresses, endpoint URLs and errors wrap inside their cells: the
    page never scrolls sideways at 1280 px, and the requeue button of each
    failed row is on screen."""
    from django.conf import settings
    from django.test import Client

    endpoint = webhook_endpoint_create(
        sender=sender,
        url="https://hooks.example.be/" + "paraph-callbacks/" * 6 + "contracts",
        events=["contract.sent"],
        actor=None,
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="contract.sent",
        event_id="e1",
        status=DeliveryStatus.FAILED,
        attempts=6,
        error="ConnectTimeout: " + "the receiver did not answer within 10 seconds; " * 5,
    )
    OutboundMessage.objects.create(
        channel="email",
        to="a.very.long.address.for.a.person." * 3 + "@example.be",
        template="contract_new",
        language="fr",
        status=OutboundMessage.Status.FAILED,
        attempts=4,
        error="SMTPRecipientsRefused: " + "mailbox unavailable " * 10,
        sealed_context="x",
    )
    staff = person_factory(is_staff=True, first_name="Operator")
    staff.groups.add(Group.objects.get(name="Operators"))
    session = staff_login(Client(), staff).cookies[settings.SESSION_COOKIE_NAME].value

    for language in ("fr", "nl", "de", "en"):
        # (a person's own language wins over the browser's)
        type(staff).objects.filter(pk=staff.pk).update(language=language)
        page = page_factory(viewport=(1280, 800))
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page.goto(PAGE)
        page.screenshot(path=f"/tmp/paraph-outgoing-1280-{language}.png", full_page=True)
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("#result_list tbody tr").count() == 2
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 1280, f"{language}: the page is {width} px wide"
        table = page.evaluate(
            "(() => { const r = document.querySelector('.results');"
            " return r.scrollWidth - r.clientWidth; })()"
        )
        assert table <= 0, f"{language}: the table scrolls sideways by {table} px"
        for button in page.locator("#result_list button[name=one]").all():
            box = button.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1280, language

"""ES-14: organisations interested in Paraph reach the sales team."""

from __future__ import annotations

import pytest

from paraph.support.models import Ticket

pytestmark = pytest.mark.django_db

FORM = {
    "organisation": "Intérim Plus",
    "enterprise_number": "BE 0403.170.701",
    "name": "Marie Dupont",
    "email": "marie@interimplus.be",
    "phone": "",
    "volume": "100-1000",
    "message": "We send about 500 contracts a month.",
    "website": "",
}


def test_the_request_becomes_a_ticket_in_the_sales_queue(client, deliver):
    with deliver():
        response = client.post("/sender/contact/", FORM)

    assert response.status_code == 302 and response["Location"] == "/sender/contact/sent/"
    ticket = Ticket.objects.get()
    assert (ticket.topic, ticket.queue) == ("sales", "sales")
    assert ticket.reference == "0403170701"
    assert "Intérim Plus" in ticket.message and "100-1000" in ticket.message
    assert ticket.number in client.get("/sender/contact/sent/").content.decode()


def test_the_page_is_public_and_labels_every_field(client):
    html = client.get("/sender/contact/").content.decode()
    for name in ("organisation", "enterprise_number", "name", "email", "message"):
        assert f'<label for="id_{name}">' in html


def test_a_robot_filling_the_honeypot_creates_nothing(client):
    response = client.post("/sender/contact/", {**FORM, "website": "http://spam"})
    assert response.status_code == 302
    assert not Ticket.objects.exists()


def test_a_wrong_enterprise_number_is_shown_next_to_its_field(client):
    response = client.post("/sender/contact/", {**FORM, "enterprise_number": "0403.170.702"})
    assert response.status_code == 422
    assert 'id="id_enterprise_number_error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_too_many_requests_from_one_address_are_refused(client):
    for _ in range(5):
        client.post("/sender/contact/", FORM)
    response = client.post("/sender/contact/", FORM)
    assert response.status_code == 429
    assert Ticket.objects.count() == 5

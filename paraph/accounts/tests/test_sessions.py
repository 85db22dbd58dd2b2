"""Sessions end when idle, after an absolute lifetime, on log-out, and
everywhere at once; the security page shows the account and its log-ins."""

from __future__ import annotations

import pytest
from django.conf import settings

from paraph.accounts.tests.helpers import english_client, last_code, submit_code
from paraph.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

SECURITY = "/account/security/"
PHONE = "+32470123456"


@pytest.fixture
def anne(person_factory):
    return person_factory(email="anne.martin@example.be", phone=PHONE, language="en")


@pytest.fixture
def logged_in(start_login, anne, clock):
    """A browser that logged in through the SMS code, as a person does."""

    def log_in():
        client = english_client()
        start_login(client, PHONE)
        submit_code(client, last_code(PHONE))
        assert client.session["_auth_user_id"] == str(anne.pk)
        return client

    return log_in


def _in(client):
    return client.get(SECURITY).status_code == 200


def test_an_idle_session_ends(logged_in, clock):
    client = logged_in()
    clock.shift(settings.SESSION_IDLE_SECONDS - 60)
    assert _in(client)  # activity renews the idle time-out
    clock.shift(settings.SESSION_IDLE_SECONDS - 60)
    assert _in(client)
    clock.shift(settings.SESSION_IDLE_SECONDS + 1)
    response = client.get(SECURITY)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")


def test_an_active_session_ends_after_its_absolute_lifetime(logged_in, clock):
    client = logged_in()
    step = settings.SESSION_IDLE_SECONDS // 2
    elapsed = 0
    while elapsed + step < settings.SESSION_ABSOLUTE_SECONDS:
        clock.shift(step)
        elapsed += step
        assert _in(client), f"logged out after {elapsed} s of activity"
    clock.shift(settings.SESSION_ABSOLUTE_SECONDS - elapsed + 1)
    response = client.get(SECURITY, follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/login/")
    assert "Your session has ended. Please log in again." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_log_out_ends_the_session(logged_in, anne):
    client = logged_in()
    assert client.get("/account/logout/").status_code == 405  # a link cannot log anyone out
    response = client.post("/account/logout/", follow=True)
    assert "You are logged out." in response.content.decode()
    assert not _in(client)
    assert AuditEvent.objects.filter(name="accounts.logout.done", subject_id=str(anne.pk)).exists()


def test_log_out_everywhere_ends_every_session_of_the_person(logged_in, anne, person_factory):
    phone, laptop = logged_in(), logged_in()
    someone_else = english_client()
    someone_else.force_login(person_factory())

    response = laptop.post("/account/logout/everywhere/", follow=True)
    assert "You are logged out on every device." in response.content.decode()
    assert not _in(laptop)
    assert not _in(phone)
    assert _in(someone_else)
    assert AuditEvent.objects.filter(
        name="accounts.logout.everywhere", subject_id=str(anne.pk)
    ).exists()

    # A new log-in works as before.
    assert _in(logged_in())


def test_the_security_page_shows_the_account_and_its_last_log_ins(logged_in, anne, clock):
    logged_in()
    clock.shift(3600)
    client = logged_in()
    page = client.get(SECURITY).content.decode()
    assert "+32\u2022\u2022\u2022" not in page  # not the notifications' mask: the portal's
    assert "+32 *** ** 34 56" in page
    assert PHONE not in page
    assert "anne.martin@example.be" in page
    assert "Low" in page  # the assurance level
    assert page.count("127.0.0.1") == 2
    assert page.index("2 Mar 2026, 10:00") < page.index("2 Mar 2026, 09:00")
    assert 'action="/account/logout/everywhere/"' in page


def test_the_security_page_needs_a_log_in(client):
    response = client.get(SECURITY)
    assert response.status_code == 302
    assert response["Location"] == "/account/login/?next=/account/security/"

"""Repeated wrong codes lock the account for a while, and the person is told
to call the contact centre (LG-2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from paraph.accounts.models import Person
from paraph.accounts.tests.helpers import (
    LOGIN,
    T0,
    english_client,
    last_code,
    sms_to,
    submit_code,
    wrong,
)
from paraph.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PHONE = "+32470123456"


@pytest.fixture
def anne(person_factory):
    return person_factory(email="anne.martin@example.be", phone=PHONE, language="en")


def _fail(client, start_login, times):
    """Type ``times`` wrong codes, starting a new attempt whenever one runs
    out of tries, as a person (or a robot) would. Returns the last answer."""
    response = None
    for n in range(times):
        if n % settings.CODE_MAX_TRIES == 0:
            start_login(client, PHONE)
        response = submit_code(client, wrong(last_code(PHONE)))
    return response


def test_repeated_wrong_codes_lock_the_account_and_point_to_the_contact_centre(
    en_client, start_login, anne
):
    response = _fail(en_client, start_login, settings.LOGIN_LOCKOUT_FAILURES)
    page = response.content.decode()
    assert response.status_code == 403
    assert "Log-in blocked for your security" in page
    assert "call the contact centre" in page
    assert settings.CONTACT_PHONE in page
    assert 'href="tel:+3226641360"' in page
    assert "08:00\u201316:45" in page
    locked_until = T0 + dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    assert f"You can try again after {locked_until:%H:%M}" in page
    # itsme and the eID card are not blocked: the page says so and offers them.
    assert "You can still log in with itsme or your eID card" in page
    assert 'action="/identity/login/eid/"' in page and 'action="/identity/login/itsme/"' in page

    anne.refresh_from_db()
    assert anne.locked_until == locked_until
    assert (
        AuditEvent.objects.filter(name="accounts.login.locked", subject_id=str(anne.pk)).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(name="accounts.login.failed", subject_id=str(anne.pk)).count()
        == settings.LOGIN_LOCKOUT_FAILURES - 1
    )


def test_one_failure_less_does_not_lock(en_client, start_login, anne):
    response = _fail(en_client, start_login, settings.LOGIN_LOCKOUT_FAILURES - 1)
    assert response.status_code == 200
    assert "You can try 1 more time." in response.content.decode()
    anne.refresh_from_db()
    assert anne.locked_until is None
    assert anne.failed_login_count == settings.LOGIN_LOCKOUT_FAILURES - 1


def test_a_locked_account_gets_no_code_and_the_right_code_does_not_help(start_login, anne, clock):
    waiting = english_client()
    start_login(waiting, PHONE)
    good_code = last_code(PHONE)

    attacker = english_client()
    _fail(attacker, start_login, settings.LOGIN_LOCKOUT_FAILURES)
    sent = len(sms_to(PHONE))

    # A code asked for before the lock-out is refused during it.
    response = submit_code(waiting, good_code)
    assert response.status_code == 403
    assert "Log-in blocked for your security" in response.content.decode()
    assert "_auth_user_id" not in waiting.session

    # Asking for a new code shows the same page and sends nothing.
    response = start_login(english_client(), PHONE)
    assert response.status_code == 403
    assert len(sms_to(PHONE)) == sent


def test_the_lock_out_ends_by_itself_and_a_log_in_clears_the_failures(
    en_client, start_login, anne, clock
):
    _fail(en_client, start_login, settings.LOGIN_LOCKOUT_FAILURES)
    clock.shift(settings.LOGIN_LOCKOUT_SECONDS - 1)
    assert start_login(english_client(), PHONE).status_code == 403

    clock.shift(1)
    client = english_client()
    assert start_login(client, PHONE)["Location"] == "/account/login/code/"
    submit_code(client, wrong(last_code(PHONE)))
    submit_code(client, last_code(PHONE))
    assert client.session["_auth_user_id"] == str(anne.pk)
    anne.refresh_from_db()
    assert anne.failed_login_count == 0
    assert anne.locked_until is None


def test_only_consecutive_failures_count(start_login, anne, clock):
    first = english_client()
    _fail(first, start_login, settings.LOGIN_LOCKOUT_FAILURES - 1)
    client = english_client()
    start_login(client, PHONE)
    submit_code(client, last_code(PHONE))
    assert client.session["_auth_user_id"] == str(anne.pk)

    clock.shift(15 * 60)  # past the per-identifier rate limit
    response = _fail(english_client(), start_login, settings.LOGIN_LOCKOUT_FAILURES - 1)
    assert response.status_code == 200
    assert Person.objects.get(pk=anne.pk).locked_until is None


def test_the_lock_out_page_in_the_login_start_also_names_the_contact_centre(
    en_client, start_login, anne
):
    _fail(en_client, start_login, settings.LOGIN_LOCKOUT_FAILURES)
    page = start_login(english_client(), "anne.martin@example.be").content.decode()
    assert settings.CONTACT_PHONE in page
    assert f'href="{LOGIN}"' in page  # the header's log-in link, nothing more to do here

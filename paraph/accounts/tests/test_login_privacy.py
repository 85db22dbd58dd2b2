"""LG-1: the log-in never reveals whether an account exists. An unknown
phone or e-mail address goes through a decoy attempt that answers every
step with the same page as a real one, and nothing is sent."""

from __future__ import annotations

import pytest
from django.conf import settings

from paraph.accounts.models import LoginDecoy, OneTimeCode
from paraph.accounts.tests.helpers import (
    CODE,
    T0,
    english_client,
    last_code,
    sms_to,
    submit_code,
    without_csrf,
)
from paraph.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

KNOWN_PHONE, UNKNOWN_PHONE = "+32470123456", "+32470999999"
KNOWN_EMAIL, UNKNOWN_EMAIL = "anne.martin@example.be", "nobody.here@example.be"


@pytest.fixture(autouse=True)
def fixed_code(monkeypatch):
    """Every code is 123456 here, so 000000 is surely wrong for both."""
    from paraph.accounts.services import codes

    monkeypatch.setattr(codes, "code_new", lambda: "123456")


@pytest.fixture
def anne(person_factory):
    return person_factory(email=KNOWN_EMAIL, phone=KNOWN_PHONE, language="en")


def _same(known_html, known_id, unknown_html, unknown_id):
    """The two pages, once the identifier each person typed and the CSRF
    token are set aside, are the same page."""
    known = without_csrf(known_html).replace(known_id, "IDENTIFIER")
    unknown = without_csrf(unknown_html).replace(unknown_id, "IDENTIFIER")
    assert known == unknown


def _walk(client, start_login, resend, clock, identifier):
    """Go through every step a person could take; return each page seen."""
    pages = []
    response = start_login(client, identifier)
    pages.append((response.status_code, response.get("Location")))
    pages.append(client.get(CODE).content.decode())
    guess = "000000"
    response = submit_code(client, guess)
    pages.append(response.content.decode())
    response = resend(client)  # too early: the cool-down answers
    pages.append((response.status_code, response.get("Location")))
    pages.append(client.get(CODE).content.decode())
    clock.shift(settings.CODE_RESEND_COOLDOWN_SECONDS)
    response = resend(client)
    pages.append((response.status_code, response.get("Location")))
    pages.append(client.get(CODE).content.decode())
    clock.shift(settings.CODE_TTL_SECONDS)
    pages.append(submit_code(client, guess).content.decode())  # expired
    return pages


@pytest.mark.parametrize(
    ("known", "unknown"), [(KNOWN_PHONE, UNKNOWN_PHONE), (KNOWN_EMAIL, UNKNOWN_EMAIL)]
)
def test_every_step_reads_the_same_for_an_unknown_identifier(
    start_login, resend, clock, anne, known, unknown
):
    known_pages = _walk(english_client(), start_login, resend, clock, known)
    clock.move_to(T0, tick=False)
    unknown_pages = _walk(english_client(), start_login, resend, clock, unknown)

    assert len(known_pages) == len(unknown_pages)
    for known_page, unknown_page in zip(known_pages, unknown_pages, strict=True):
        if isinstance(known_page, str):
            _same(known_page, known, unknown_page, unknown)
        else:
            assert known_page == unknown_page
    # The real person got their two codes; the unknown identifier got nothing.
    assert len(sms_to(KNOWN_PHONE)) == 2
    assert last_code(KNOWN_PHONE) == "123456"
    assert OutboundMessage.objects.count() == 2
    assert not OutboundMessage.objects.filter(to__in=[UNKNOWN_PHONE, UNKNOWN_EMAIL]).exists()


@pytest.mark.parametrize(
    ("known", "unknown"), [(KNOWN_PHONE, UNKNOWN_PHONE), (KNOWN_EMAIL, UNKNOWN_EMAIL)]
)
def test_an_unknown_identifier_is_locked_out_like_an_account(
    start_login, clock, anne, known, unknown
):
    def fail_until_locked(identifier):
        client = english_client()
        answers = []
        for n in range(settings.LOGIN_LOCKOUT_FAILURES):
            if n % settings.CODE_MAX_TRIES == 0:
                start_login(client, identifier)
            answers.append(submit_code(client, "000000"))
        again = start_login(english_client(), identifier)
        return answers, again

    known_answers, known_again = fail_until_locked(known)
    clock.move_to(T0, tick=False)
    unknown_answers, unknown_again = fail_until_locked(unknown)

    for k, u in zip(known_answers, unknown_answers, strict=True):
        assert k.status_code == u.status_code
        if k.status_code != 302:
            _same(k.content.decode(), known, u.content.decode(), unknown)
    assert known_answers[-1].status_code == 403
    assert known_again.status_code == unknown_again.status_code == 403
    _same(known_again.content.decode(), known, unknown_again.content.decode(), unknown)
    assert LoginDecoy.objects.get().locked_until is not None

    clock.shift(settings.LOGIN_LOCKOUT_SECONDS)
    assert start_login(english_client(), unknown)["Location"] == CODE


@pytest.mark.parametrize(
    "who",
    [
        {"is_active": False},
        {"phone_verified_at": None},
    ],
    ids=["inactive", "phone-not-verified"],
)
def test_people_who_cannot_receive_a_code_get_the_decoy(start_login, clock, person_factory, who):
    person_factory(email=KNOWN_EMAIL, phone=KNOWN_PHONE, **who)
    client = english_client()
    assert start_login(client, KNOWN_PHONE)["Location"] == CODE
    assert not sms_to(KNOWN_PHONE)
    assert OneTimeCode.objects.get().is_decoy


def test_a_decoy_never_logs_anyone_in(start_login, clock):
    client = english_client()
    start_login(client, UNKNOWN_PHONE)
    for guess in ("000000", "123456", "999999", "111111", "654321"):
        submit_code(client, guess)
    assert "_auth_user_id" not in client.session
    assert OneTimeCode.objects.get().tries == settings.CODE_MAX_TRIES

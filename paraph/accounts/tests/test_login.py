"""Log-in with a code sent by SMS: the person types their phone or e-mail,
reads the code on their phone, types it, and is in."""

from __future__ import annotations

import pytest
from django.conf import settings

from paraph.accounts.models import LoginDecoy, OneTimeCode, Person
from paraph.accounts.tests.helpers import (
    CODE,
    LOGIN,
    english_client,
    last_code,
    sms_to,
    submit_code,
    wrong,
)
from paraph.audit.models import AuditEvent
from paraph.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

PHONE = "+32470123456"


@pytest.fixture
def anne(person_factory):
    return person_factory(email="anne.martin@example.be", phone=PHONE, language="en")


def _logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return Person.objects.get(pk=user_id) if user_id else None


@pytest.mark.parametrize(
    "typed",
    [
        "0470 12 34 56",
        "+32470123456",
        "0032 470 12 34 56",
        "0470/12.34.56",
        "ANNE.Martin@Example.be",
    ],
)
def test_a_person_logs_in_with_the_code_sent_to_their_phone(en_client, start_login, anne, typed):
    response = start_login(en_client, typed)
    assert response.status_code == 302
    assert response["Location"] == CODE

    page = en_client.get(CODE).content.decode()
    assert "we have sent a code by SMS" in page
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page

    response = submit_code(en_client, last_code(PHONE))
    assert response.status_code == 302
    assert response["Location"] == "/adminbox/"
    assert _logged_in_as(en_client) == anne
    assert AuditEvent.objects.filter(
        name="accounts.login.succeeded", subject_id=str(anne.pk)
    ).exists()


def test_the_sms_says_how_long_the_code_is_valid_and_never_to_share_it(
    en_client, start_login, anne
):
    start_login(en_client, PHONE)
    (sms,) = sms_to(PHONE)
    assert "valid 10 minutes" in sms.body_text
    assert "Never share it" in sms.body_text
    assert len(last_code(PHONE)) == settings.CODE_DIGITS


def test_the_code_may_be_typed_with_spaces(en_client, start_login, anne):
    start_login(en_client, PHONE)
    code = last_code(PHONE)
    submit_code(en_client, f" {code[:3]} {code[3:]} ")
    assert _logged_in_as(en_client) == anne


def test_logging_in_gives_the_session_a_new_key(en_client, start_login, anne):
    start_login(en_client, PHONE)
    before = en_client.session.session_key
    submit_code(en_client, last_code(PHONE))
    assert _logged_in_as(en_client) == anne
    assert en_client.session.session_key != before


def test_a_safe_next_page_is_honoured_and_another_site_is_not(start_login, anne, clock):
    client = english_client()
    start_login(client, PHONE, next="/account/security/")
    assert submit_code(client, last_code(PHONE))["Location"] == "/account/security/"

    other = english_client()
    start_login(other, PHONE, next="https://evil.example/steal")
    assert submit_code(other, last_code(PHONE))["Location"] == "/adminbox/"

    # A whole address, even of this site, is not a page's ``next`` (as on
    # the mandate pages): the default page instead.
    whole = english_client()
    start_login(whole, PHONE, next="http://testserver/account/security/")
    assert submit_code(whole, last_code(PHONE))["Location"] == "/adminbox/"


def test_a_wrong_code_says_how_many_tries_are_left(en_client, start_login, anne):
    start_login(en_client, PHONE)
    response = submit_code(en_client, wrong(last_code(PHONE)))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This code is not correct. You can try 4 more times." in page
    # The refused code is not typed back into the field.
    assert 'name="code" value=' not in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_code_helptext id_code_error"' in page
    assert _logged_in_as(en_client) is None


def test_an_expired_code_offers_a_new_one(en_client, start_login, anne, clock):
    start_login(en_client, PHONE)
    code = last_code(PHONE)
    clock.shift(settings.CODE_TTL_SECONDS)
    page = submit_code(en_client, code).content.decode()
    assert "This code has expired. Ask for a new code" in page
    assert "Send a new code" in page
    assert _logged_in_as(en_client) is None


def test_a_code_still_works_one_second_before_it_expires(en_client, start_login, anne, clock):
    start_login(en_client, PHONE)
    clock.shift(settings.CODE_TTL_SECONDS - 1)
    submit_code(en_client, last_code(PHONE))
    assert _logged_in_as(en_client) == anne


def test_after_five_wrong_codes_the_person_starts_again(en_client, start_login, anne):
    start_login(en_client, PHONE)
    code = last_code(PHONE)
    for _ in range(settings.CODE_MAX_TRIES - 1):
        submit_code(en_client, wrong(code))
    response = submit_code(en_client, wrong(code))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert (
        "The code was wrong too many times. Please start again."
        in en_client.get(LOGIN).content.decode()
    )
    # The right code no longer helps: the attempt is over.
    assert submit_code(en_client, code)["Location"] == LOGIN
    assert _logged_in_as(en_client) is None


def test_a_brute_force_never_gets_past_the_tries_limit(en_client, start_login, anne):
    """Every one of a million codes but one is wrong: after the allowed
    tries, even the right one is refused, so guessing cannot succeed."""
    start_login(en_client, PHONE)
    code = last_code(PHONE)
    guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != code][:8]
    for guess in guesses:
        submit_code(en_client, guess)
    attempt = OneTimeCode.objects.get()
    assert attempt.tries == settings.CODE_MAX_TRIES
    assert submit_code(en_client, code)["Location"] == LOGIN
    assert _logged_in_as(en_client) is None


def test_a_used_code_cannot_log_in_again(en_client, start_login, anne, clock):
    start_login(en_client, PHONE)
    code = last_code(PHONE)
    submit_code(en_client, code)
    en_client.post("/account/logout/")
    assert _logged_in_as(en_client) is None
    response = submit_code(en_client, code)
    assert response["Location"] == LOGIN
    assert _logged_in_as(en_client) is None


def test_the_code_only_works_in_the_browser_that_asked_for_it(start_login, anne, clock, next_codes):
    next_codes("111111", "222222")
    asking, other = english_client(), english_client()
    start_login(asking, PHONE)

    response = submit_code(other, "111111")
    assert response["Location"] == LOGIN
    assert _logged_in_as(other) is None

    # Even with an attempt of its own for the same phone, the other
    # browser cannot use the first browser's code.
    start_login(other, PHONE)
    assert last_code(PHONE) == "222222"
    assert "This code is not correct" in submit_code(other, "111111").content.decode()
    assert _logged_in_as(other) is None

    submit_code(asking, "111111")
    assert _logged_in_as(asking) == anne


def test_a_new_code_replaces_the_old_one_after_the_cool_down(
    en_client, start_login, resend, anne, clock, next_codes
):
    next_codes("111111", "222222")
    start_login(en_client, PHONE)
    page = en_client.get(CODE).content.decode()
    assert "You can ask for a new code in" in page
    assert f'data-countdown="{settings.CODE_RESEND_COOLDOWN_SECONDS}"' in page

    clock.shift(20)
    response = resend(en_client)
    assert response["Location"] == CODE
    wait = settings.CODE_RESEND_COOLDOWN_SECONDS - 20
    assert f"You can ask for a new code in {wait} seconds." in en_client.get(CODE).content.decode()
    assert len(sms_to(PHONE)) == 1

    clock.shift(wait)
    resend(en_client)
    assert len(sms_to(PHONE)) == 2
    assert last_code(PHONE) == "222222"
    assert "This code is not correct" in submit_code(en_client, "111111").content.decode()
    submit_code(en_client, "222222")
    assert _logged_in_as(en_client) == anne


def test_an_expired_code_can_be_replaced_and_the_new_one_works(
    en_client, start_login, resend, anne, clock, next_codes
):
    next_codes("111111", "222222")
    start_login(en_client, PHONE)
    clock.shift(settings.CODE_TTL_SECONDS + 5)
    assert "has expired" in submit_code(en_client, "111111").content.decode()
    resend(en_client)
    submit_code(en_client, "222222")
    assert _logged_in_as(en_client) == anne


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your mobile phone number or your e-mail address."),
        ("0470 12 34", "This phone number does not exist."),
        ("02 664 13 60", "Enter a mobile number: we send log-in codes by SMS."),
        ("+32 470 12 34 56 78 90 12", "This phone number does not exist."),
        ("anne@", "This e-mail address is not valid."),
        ("anne martin@example.be", "This e-mail address is not valid."),
        ("anne.martin", "Enter a mobile phone number (0470 12 34 56) or an e-mail address"),
        ("x" * 10_000, "This is too long: a phone number or an e-mail address has at most 254"),
        ("0" * 300 + "@example.be", "This is too long"),
    ],
)
def test_malformed_identifiers_get_a_clear_message_and_nothing_happens(
    en_client, start_login, anne, typed, message
):
    response = start_login(en_client, typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'aria-invalid="true"' in page
    assert not OneTimeCode.objects.exists()
    assert not LoginDecoy.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12a456", "The code has only digits."),
        ("12345", "The code has 6 digits."),
        ("1234567", "The code has 6 digits."),
        ("1" * 1000, "This is too long for a code."),
        ("", "Enter the code you received."),
    ],
)
def test_a_malformed_code_gets_a_clear_message_and_costs_no_try(
    en_client, start_login, anne, typed, message
):
    start_login(en_client, PHONE)
    page = submit_code(en_client, typed).content.decode()
    assert message in page
    assert OneTimeCode.objects.get().tries == 0
    assert Person.objects.get(pk=anne.pk).failed_login_count == 0


def test_too_many_codes_for_one_identifier_are_refused(start_login, anne, clock):
    for _ in range(5):
        assert start_login(english_client(), PHONE).status_code == 302
    response = start_login(english_client(), "0470 12 34 56")
    assert response.status_code == 429
    assert "please wait 15 minutes before trying again" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    assert len(sms_to(PHONE)) == 5

    # Someone else, from the same address, is not held up.
    other = Person.objects.create_user("jan@example.be", phone="+32470654321")
    Person.objects.filter(pk=other.pk).update(phone_verified_at=anne.phone_verified_at)
    assert start_login(english_client(), "+32470654321").status_code == 302

    clock.shift(15 * 60)
    assert start_login(english_client(), PHONE).status_code == 302


def test_too_many_log_ins_from_one_address_are_refused(start_login, clock):
    for n in range(30):
        response = start_login(english_client(), f"+3247{n:07d}")
        assert response.status_code == 302
    response = start_login(english_client(), "+32479999999")
    assert response.status_code == 429
    # Another address is not held up.
    other_ip = english_client()
    other_ip.defaults["REMOTE_ADDR"] = "192.0.2.7"
    assert start_login(other_ip, "+32479999999").status_code == 302


def test_the_register_page_explains_the_three_ways_and_the_contact_centre(en_client):
    page = en_client.get("/account/register/").content.decode()
    for words in ("itsme", "eID card", "IDnow", settings.CONTACT_PHONE):
        assert words in page
    login_page = en_client.get(LOGIN).content.decode()
    assert 'href="/account/register/"' in login_page


def test_the_log_in_page_says_only_what_a_log_in_asks(en_client):
    # Only the SMS code is asked at each log-in: the page must not say the
    # e-mail address confirms it too.
    page = en_client.get(LOGIN).content.decode()

    assert "Log in with the code we send by SMS to your mobile phone" in page
    assert "e-mail address confirm each log-in" not in page

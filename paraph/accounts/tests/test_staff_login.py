"""The back office needs two factors: e-mail and password, then a code
sent by SMS to the staff member's verified phone."""

from __future__ import annotations

import pytest
from django.conf import settings

from paraph.accounts.models import Person
from paraph.accounts.tests.helpers import english_client, last_code, sms_to, submit_code, wrong
from paraph.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = "/backoffice/login/"
INDEX = "/backoffice/"
PHONE = "+32470000111"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def agent(person_factory):
    return person_factory(
        email="agent@example.be",
        phone=PHONE,
        password=PASSWORD,
        is_staff=True,
        is_superuser=True,
        language="en",
    )


@pytest.fixture
def staff_client(clock):
    return english_client()


@pytest.fixture
def password_step(deliver):
    def post(client, email="agent@example.be", password=PASSWORD, **extra):
        with deliver():
            return client.post(LOGIN, {"email": email, "password": password, **extra})

    return post


def code_step(client, code):
    return client.post(LOGIN, {"code": code, "action": "code"})


def _in_back_office(client):
    return client.get(INDEX).status_code == 200


def test_staff_log_in_with_password_then_sms_code(staff_client, password_step, agent):
    response = staff_client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={INDEX}"
    page = staff_client.get(response["Location"]).content.decode()
    assert "Step 1 of 2" in page
    assert 'autocomplete="current-password"' in page

    response = password_step(staff_client, next=INDEX)
    assert response.status_code == 302
    # The password alone opens nothing.
    assert not _in_back_office(staff_client)
    page = staff_client.get(LOGIN).content.decode()
    assert "Step 2 of 2" in page
    assert 'autocomplete="one-time-code"' in page

    response = code_step(staff_client, last_code(PHONE))
    assert response.status_code == 302
    assert response["Location"] == INDEX
    assert _in_back_office(staff_client)
    assert AuditEvent.objects.filter(
        name="accounts.staff.login_succeeded", subject_id=str(agent.pk)
    ).exists()


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("agent@example.be", "wrong password"),
        ("nobody@example.be", PASSWORD),
        ("AGENT@example.be", PASSWORD.upper()),
    ],
)
def test_a_wrong_e_mail_or_password_gets_one_answer_and_no_code(
    staff_client, password_step, agent, email, password
):
    response = password_step(staff_client, email=email, password=password)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This e-mail address and password do not match an active staff account." in page
    assert not sms_to(PHONE)
    assert not _in_back_office(staff_client)


@pytest.mark.parametrize(
    "who",
    [
        {"is_staff": False, "password": PASSWORD},
        {"is_staff": True, "password": None},
        {"is_staff": True, "password": PASSWORD, "is_active": False},
    ],
    ids=["not-staff", "no-usable-password", "inactive"],
)
def test_people_who_may_not_enter_the_back_office_never_get_a_code(
    staff_client, password_step, person_factory, who
):
    person_factory(email="someone@example.be", phone=PHONE, **who)
    response = password_step(staff_client, email="someone@example.be", password=PASSWORD)
    assert "do not match an active staff account" in response.content.decode()
    assert not sms_to(PHONE)
    assert not _in_back_office(staff_client)


def test_staff_without_a_verified_phone_are_told_to_ask_for_one(
    staff_client, password_step, person_factory
):
    person_factory(
        email="agent@example.be",
        phone=PHONE,
        password=PASSWORD,
        is_staff=True,
        phone_verified_at=None,
    )
    page = password_step(staff_client).content.decode()
    assert "no verified mobile phone" in page
    assert not sms_to(PHONE)


def test_a_wrong_code_says_how_many_tries_are_left(staff_client, password_step, agent):
    password_step(staff_client)
    page = code_step(staff_client, wrong(last_code(PHONE))).content.decode()
    assert "This code is not correct. You can try 4 more times." in page
    assert not _in_back_office(staff_client)


def test_a_portal_log_in_with_an_sms_code_alone_does_not_open_the_back_office(
    start_login, agent, clock
):
    client = english_client()
    start_login(client, PHONE)
    submit_code(client, last_code(PHONE))
    assert client.session["_auth_user_id"] == str(agent.pk)
    response = client.get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    page = client.get(response["Location"]).content.decode()
    assert "the back office needs your password and a code sent by SMS" in page


def test_wrong_passwords_and_codes_count_toward_the_same_lock_out(
    staff_client, password_step, agent, clock
):
    for _ in range(settings.LOGIN_LOCKOUT_FAILURES - 2):
        password_step(staff_client, password="not it")
    password_step(staff_client)
    code_step(staff_client, wrong(last_code(PHONE)))
    response = code_step(staff_client, wrong(last_code(PHONE)))
    assert response.status_code == 403
    assert "Log-in blocked for your security" in response.content.decode()
    assert Person.objects.get(pk=agent.pk).is_locked()

    # Even the right password gets the lock-out page now.
    response = password_step(staff_client)
    assert response.status_code == 403
    assert len(sms_to(PHONE)) == 1

    clock.shift(settings.LOGIN_LOCKOUT_SECONDS)
    password_step(staff_client)
    code_step(staff_client, last_code(PHONE))
    assert _in_back_office(staff_client)


def test_starting_again_forgets_the_pending_code(staff_client, password_step, agent):
    password_step(staff_client)
    code = last_code(PHONE)
    staff_client.post(LOGIN, {"action": "cancel"})
    assert "Step 1 of 2" in staff_client.get(LOGIN).content.decode()
    code_step(staff_client, code)
    assert not _in_back_office(staff_client)

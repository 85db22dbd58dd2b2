"""The contact centre changes a person's e-mail address (LG-3) or phone,
with a written reason, telling the person, and in the audit log; and lifts
a lock-out."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from paraph.accounts.services import person_change_email, person_change_phone, person_unlock
from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.audit.services import audit_verify_chain
from paraph.notifications.models import OutboundMessage, SandboxMessage

pytestmark = pytest.mark.django_db

PEOPLE = "/backoffice/accounts/person/"
REASON = "Called from her known number, checked date of birth and client reference."


@pytest.fixture(autouse=True)
def sandbox_email(settings):
    settings.EMAIL_BACKEND = "paraph.notifications.backends.SandboxEmailBackend"


@pytest.fixture
def agent(person_factory):
    return make_agent(person_factory, last_name="Desk", language="en")


@pytest.fixture
def agent_client(client, agent):
    client.cookies["paraph_language"] = "en"
    return staff_login(client, agent)


@pytest.fixture
def anne(person_factory):
    return person_factory(
        first_name="Anne",
        last_name="Martin",
        email="anne@example.be",
        phone="+32470111111",
        language="en",
    )


def _nothing_changed(person, *, email, phone):
    person.refresh_from_db()
    return (
        person.email == email
        and person.phone == phone
        and not AuditEvent.objects.filter(
            name__in=["accounts.email.changed", "accounts.phone.changed"]
        ).exists()
        and not OutboundMessage.objects.exists()
    )


# --- E-mail ---------------------------------------------------------------


def test_the_person_page_leads_to_the_change_pages(agent_client, anne):
    page = agent_client.get(f"{PEOPLE}{anne.pk}/change/").content.decode()
    assert f'href="{PEOPLE}{anne.pk}/change-email/"' in page
    assert f'href="{PEOPLE}{anne.pk}/change-phone/"' in page


def test_an_agent_changes_an_e_mail_address(
    agent_client, agent, anne, django_capture_on_commit_callbacks
):
    form = agent_client.get(f"{PEOPLE}{anne.pk}/change-email/").content.decode()
    assert "anne@example.be" in form
    assert '<label for="id_reason"' in form

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            f"{PEOPLE}{anne.pk}/change-email/",
            {"new_email": "Anne.Martin@Example.BE", "reason": REASON},
            REMOTE_ADDR="192.0.2.10",
        )

    assert response.status_code == 302
    assert response["Location"] == f"{PEOPLE}{anne.pk}/change/"
    anne.refresh_from_db()
    assert anne.email == "Anne.Martin@example.be"

    event = AuditEvent.objects.get(name="accounts.email.changed")
    assert event.actor_id == agent.pk
    assert event.subject_id == str(anne.pk)
    assert event.data == {
        "old": "anne@example.be",
        "new": "Anne.Martin@example.be",
        "reason": REASON,
    }
    assert event.ip == "192.0.2.10"
    assert audit_verify_chain() is None

    mails = {m.to.lower(): m for m in SandboxMessage.objects.filter(channel="email")}
    assert set(mails) == {"anne@example.be", "anne.martin@example.be"}
    old, new = mails["anne@example.be"], mails["anne.martin@example.be"]
    assert "e-mail address of your Paraph account was changed" in old.subject
    assert "changed the e-mail address of your Paraph account to A•••@example.be" in old.body_text
    assert "instead of a•••@example.be" in new.body_text
    assert "If you did not ask for this change" in old.body_text
    # Neither message gives an address in full, nor the agent's reason.
    for mail in (old, new):
        assert "Anne.Martin@example.be" not in mail.body_text
        assert REASON not in mail.body_text

    page = agent_client.get(response["Location"]).content.decode()
    assert "The e-mail address was changed." in page


def test_the_notice_is_in_the_persons_language(
    agent_client, person_factory, django_capture_on_commit_callbacks
):
    person = person_factory(email="jan@example.be", language="nl")
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(
            f"{PEOPLE}{person.pk}/change-email/", {"new_email": "jan@elders.be", "reason": REASON}
        )
    assert set(OutboundMessage.objects.values_list("language", flat=True)) == {"nl"}
    for mail in SandboxMessage.objects.all():
        assert '<html lang="nl">' in mail.body_html


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_e_mail_change_needs_a_reason(agent_client, anne, reason):
    response = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-email/", {"new_email": "new@example.be", "reason": reason}
    )
    assert response.status_code == 200
    assert "Write why this change is made" in response.content.decode()
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


def test_an_address_of_another_person_is_refused_without_naming_them(
    agent_client, anne, person_factory
):
    person_factory(first_name="Bernadette", last_name="Owner", email="taken@example.be")
    response = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-email/", {"new_email": "TAKEN@example.be", "reason": REASON}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This e-mail address belongs to another person." in page
    assert "Bernadette" not in page
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", "Enter the new e-mail address."),
        ("not-an-address", "Enter an e-mail address like name@example.be."),
        ("anne@example.be", "This already is the person&#x27;s e-mail address."),
        ("a" * 250 + "@example.be", "Ensure this value has at most 254 characters"),
    ],
)
def test_a_wrong_e_mail_address_is_explained(agent_client, anne, value, error):
    response = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-email/", {"new_email": value, "reason": REASON}
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


# --- Phone ----------------------------------------------------------------


def test_an_agent_changes_a_phone_number(
    agent_client, agent, anne, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            f"{PEOPLE}{anne.pk}/change-phone/", {"new_phone": "0470 99 88 77", "reason": REASON}
        )
    assert response.status_code == 302
    anne.refresh_from_db()
    assert anne.phone == "+32470998877"
    assert anne.phone_verified_at is not None

    event = AuditEvent.objects.get(name="accounts.phone.changed")
    assert event.actor_id == agent.pk
    assert event.data == {"old": "+32470111111", "new": "+32470998877", "reason": REASON}

    # Told by e-mail only: the phone serves log-in codes (RG-7).
    assert not SandboxMessage.objects.filter(channel="sms").exists()
    mail = SandboxMessage.objects.get(channel="email")
    assert mail.to == "anne@example.be"
    assert "phone number of your Paraph account was changed" in mail.subject
    assert "+32 *** ** 88 77" in mail.body_text
    assert "The previous number, +32 *** ** 11 11, no longer receives them." in mail.body_text


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("", "Enter the new mobile phone number."),
        ("hello", "This is not a phone number."),
        ("02 664 13 60", "Enter a mobile number: we send log-in codes by SMS."),
        ("+32470111111", "This already is the person&#x27;s phone number."),
    ],
)
def test_a_wrong_phone_number_is_explained(agent_client, anne, value, error):
    response = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-phone/", {"new_phone": value, "reason": REASON}
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


def test_a_phone_number_of_another_person_is_refused(agent_client, anne, person_factory):
    person_factory(phone="+32470222222")
    response = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-phone/", {"new_phone": "0470 22 22 22", "reason": REASON}
    )
    assert "This phone number belongs to another person." in response.content.decode()
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


def test_a_phone_change_needs_a_reason(agent_client, anne):
    response = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-phone/", {"new_phone": "0470 99 88 77", "reason": ""}
    )
    assert "Write why this change is made" in response.content.decode()
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


def test_staff_without_the_change_permission_cannot_change_contact_details(
    client, person_factory, anne
):
    viewer = person_factory(is_staff=True)
    staff_login(client, viewer)
    response = client.post(
        f"{PEOPLE}{anne.pk}/change-email/", {"new_email": "x@example.be", "reason": REASON}
    )
    assert response.status_code == 403
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


def test_the_change_pages_are_closed_to_people_who_are_not_staff(client, person_factory, anne):
    client.force_login(person_factory())
    response = client.post(
        f"{PEOPLE}{anne.pk}/change-email/", {"new_email": "x@example.be", "reason": REASON}
    )
    assert response.status_code == 302
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


# --- Services, directly ---------------------------------------------------


def test_the_service_refuses_a_duplicate_with_a_field_error(anne, agent, person_factory):
    person_factory(email="other@example.be")
    with pytest.raises(ValidationError) as caught:
        person_change_email(person=anne, new_email="Other@Example.be", reason=REASON, actor=agent)
    assert caught.value.error_dict["new_email"][0].code == "taken"
    anne.refresh_from_db()
    assert anne.email == "anne@example.be"


def test_the_same_address_in_other_capitals_is_no_change(anne, agent):
    """As when the person changes it herself: the same mailbox, so nothing is
    changed, recorded or sent (a case-sensitive comparison once sent two
    notices to the same mailbox)."""
    with pytest.raises(ValidationError) as caught:
        person_change_email(person=anne, new_email="Anne@Example.BE", reason=REASON, actor=agent)
    assert caught.value.error_dict["new_email"][0].code == "unchanged"
    assert _nothing_changed(anne, email="anne@example.be", phone="+32470111111")


def test_the_service_refuses_an_over_long_reason(anne, agent):
    with pytest.raises(ValidationError) as caught:
        person_change_phone(person=anne, new_phone="0470998877", reason="x" * 1001, actor=agent)
    assert caught.value.error_dict["reason"][0].code == "max_length"


# --- Unlock ---------------------------------------------------------------


def test_an_agent_unlocks_a_locked_account(agent_client, agent, person_factory):
    locked_until = timezone.now() + dt.timedelta(minutes=25)
    person = person_factory(locked_until=locked_until, failed_login_count=3)
    page = agent_client.get(f"{PEOPLE}{person.pk}/change/").content.decode()
    assert "Unlock account" in page

    response = agent_client.post(f"{PEOPLE}{person.pk}/unlock/")
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.locked_until is None
    assert person.failed_login_count == 0
    event = AuditEvent.objects.get(name="accounts.login.unlocked")
    assert event.actor_id == agent.pk
    assert event.data == {
        "old": {"locked_until": locked_until.isoformat(), "failed_login_count": 3}
    }
    assert "The account was unlocked" in agent_client.get(response["Location"]).content.decode()


def test_unlocking_an_account_that_is_not_locked_records_nothing(agent_client, person):
    page = agent_client.get(f"{PEOPLE}{person.pk}/change/").content.decode()
    assert "Unlock account" not in page
    response = agent_client.post(f"{PEOPLE}{person.pk}/unlock/", follow=True)
    assert "This account was not locked." in response.content.decode()
    assert not AuditEvent.objects.filter(name="accounts.login.unlocked").exists()


def test_unlock_only_answers_a_form(agent_client, person_factory):
    person = person_factory(locked_until=timezone.now() + dt.timedelta(minutes=5))
    assert agent_client.get(f"{PEOPLE}{person.pk}/unlock/").status_code == 405
    person.refresh_from_db()
    assert person.locked_until is not None


def test_agents_unlock_several_accounts_from_the_list(agent_client, person_factory):
    soon = timezone.now() + dt.timedelta(minutes=5)
    locked = [person_factory(locked_until=soon), person_factory(locked_until=soon)]
    untouched = person_factory(locked_until=soon)
    response = agent_client.post(
        PEOPLE,
        {"action": "unlock_accounts", "_selected_action": [p.pk for p in locked]},
        follow=True,
    )
    assert "2 accounts were unlocked." in response.content.decode()
    for person in locked:
        person.refresh_from_db()
        assert person.locked_until is None
    untouched.refresh_from_db()
    assert untouched.locked_until is not None
    assert AuditEvent.objects.filter(name="accounts.login.unlocked").count() == 2


def test_the_unlock_service_can_be_used_outside_the_back_office(person_factory, agent):
    person = person_factory(failed_login_count=4)
    assert person_unlock(person=person, actor=agent) is True
    assert person.failed_login_count == 0
    assert person_unlock(person=person, actor=agent) is False


def test_every_mistake_in_the_form_shows_at_once(agent_client, anne):
    page = agent_client.post(
        f"{PEOPLE}{anne.pk}/change-phone/", {"new_phone": "hello", "reason": ""}
    ).content.decode()
    assert "This is not a phone number." in page
    assert "Write why this change is made" in page
    assert 'aria-describedby="id_reason_helptext id_reason_error"' in page

"""A second address of the same person (ES-12): activating it with the
phone of the adminbox she already has leads her to log in there and
identify this address, and the old address's link then says it was
merged. An anonymous visitor learns nothing about whether a number is
registered (LG-1): the phone step answers the same for every number, and
is rate-limited."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from paraph.accounts.models import Person
from paraph.accounts.tests.helpers import last_code, sms_to
from paraph.audit.models import AuditEvent
from paraph.contracts.models import Contract
from paraph.contracts.selectors import adminbox_is_active
from paraph.notifications.models import SandboxMessage

pytestmark = pytest.mark.django_db

PHONE = "+32470555666"
ACTIVATE = re.compile(r"http://testserver(/adminbox/activate/[A-Za-z0-9_-]{43}/)")
MERGE = re.compile(r"http://testserver(/adminbox/merge/[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def anne(person_factory, activated):
    """Anne's adminbox, active, with her phone."""
    return activated(
        person_factory(
            email="anne@example.be",
            phone=PHONE,
            language="en",
            email_verified_at=timezone.now(),
        )
    )


@pytest.fixture
def work_contract(make_contract, deliver, sandbox_email, clock):
    """A first contract to Anne's work address: a new adminbox, not active."""
    with deliver():
        return make_contract(recipient={"email": "anne.work@example.be", "language": "en"})


def _activation_link(address: str) -> str:
    (message,) = SandboxMessage.objects.filter(to=address, channel="email")
    found = ACTIVATE.search(message.body_text)
    assert found is not None, message.body_text
    return found.group(1)


def _phone_step(client, deliver, phone: str):
    with deliver():
        return client.post("/adminbox/activation/phone/", {"phone": phone})


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_a_registered_number_gets_the_same_answer_as_any_other(
    anne, work_contract, en_client, deliver
):
    en_client.get(_activation_link("anne.work@example.be"))
    known = _phone_step(en_client, deliver, "0470 55 56 66")
    known_page = en_client.get("/adminbox/activation/code/")
    unknown = _phone_step(en_client, deliver, "0470 11 22 33")
    unknown_page = en_client.get("/adminbox/activation/code/")

    assert (known.status_code, known["Location"]) == (302, "/adminbox/activation/code/")
    assert (unknown.status_code, unknown["Location"]) == (302, "/adminbox/activation/code/")
    mask = re.compile(r"\+32 \*\*\* \*\* \d\d \d\d")
    assert mask.sub("…", _text(known_page)) == mask.sub("…", _text(unknown_page))
    assert "belongs to another person" not in _text(known_page)
    # Each number received its code, as any number would.
    assert len(sms_to(PHONE)) == 1 and len(sms_to("+32470112233")) == 1


def test_probing_numbers_at_the_phone_step_is_rate_limited(
    anne, person_factory, work_contract, en_client, deliver
):
    for n in range(12):
        person_factory(phone=f"+324709000{n:02d}")
    en_client.get(_activation_link("anne.work@example.be"))

    statuses = [
        _phone_step(en_client, deliver, f"+324709000{n:02d}").status_code for n in range(12)
    ]

    assert statuses[:10] == [302] * 10
    assert statuses[10:] == [429, 429]


def test_the_same_persons_phone_leads_to_log_in_and_identify_this_address_then_merged(
    anne, work_contract, en_client, deliver, sandbox_email
):
    link = _activation_link("anne.work@example.be")
    en_client.get(link)
    _phone_step(en_client, deliver, "0470 55 56 66")

    proven = en_client.post("/adminbox/activation/code/", {"code": last_code(PHONE)})

    page = _text(proven)
    assert proven.status_code == 409
    assert "This phone number already has an adminbox" in page
    assert "perhaps your own" in page
    assert "belongs to another person" not in page
    assert 'href="/account/login/?next=%2Fadminbox%2Fmerge%2F"' in proven.content.decode()
    work = Person.objects.get(email="anne.work@example.be")
    assert not adminbox_is_active(work)  # nothing was activated
    assert AuditEvent.objects.filter(
        name="adminbox.activation.phone_of_another_adminbox", subject_id=str(work.pk)
    ).exists()

    # She logs in to her adminbox: the form to identify another address
    # already holds the work address.
    en_client.force_login(anne)
    form = en_client.get("/adminbox/merge/").content.decode()
    assert 'value="anne.work@example.be"' in form
    with deliver():
        en_client.post("/adminbox/merge/", {"email": "anne.work@example.be"})
    (merge_mail,) = SandboxMessage.objects.filter(
        to="anne.work@example.be", subject__icontains="one adminbox"
    )
    merge_link = MERGE.search(merge_mail.body_text)
    assert merge_link is not None, merge_mail.body_text
    with deliver():
        en_client.post(merge_link.group(1))
    work_contract.refresh_from_db()
    assert work_contract.recipient == anne
    assert Contract.objects.filter(recipient=anne).count() == 1

    # The old address's activation link now says what happened.
    en_client.logout()
    en_client.cookies["paraph_language"] = "en"
    old = en_client.get(link)
    assert old.status_code == 410
    assert "This adminbox was merged into your adminbox" in _text(old)
    assert "expired" not in _text(old).lower()

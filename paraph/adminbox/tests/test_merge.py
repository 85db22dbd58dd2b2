"""Merging two adminboxes (ES-12): 'Identify another address' in the
adminbox, the e-mail to that address with its single-use link, the page
that shows what will move, and the merge itself."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.contracts.models import Contract
from paraph.contracts.services import contract_check_signable, contract_sign_record
from paraph.contracts.tests.fixtures import signed_version
from paraph.notifications.models import SandboxMessage

pytestmark = pytest.mark.django_db

MERGE = "/adminbox/merge/"
LINK = re.compile(r"http://testserver(/adminbox/merge/([A-Za-z0-9_-]{43})/)")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def anne(person_factory):
    """Box A: Anne's adminbox, active (address and phone proven)."""
    return person_factory(email="anne@example.be", language="en", email_verified_at=timezone.now())


@pytest.fixture
def anne_work(person_factory):
    """Box B: the adminbox made for Anne's work address by a contract."""
    return person_factory(email="anne.work@example.be", language="en")


@pytest.fixture
def browser_of(client):
    def login(person):
        client.force_login(person)
        client.defaults.update(EN)
        return client

    return login


def _identify(client, email, deliver):
    with deliver():
        return client.post(MERGE, {"email": email})


def _merge_mails(address):
    return list(
        SandboxMessage.objects.filter(
            to=address, channel="email", subject__icontains="one adminbox"
        )
    )


def _link_sent_to(address):
    (message,) = _merge_mails(address)
    link = LINK.search(message.body_text)
    assert link is not None, message.body_text
    return link.group(1)


def test_identifying_an_address_emails_it_the_procedure_with_a_link(
    anne, anne_work, browser_of, deliver, sandbox_email, clock
):
    client = browser_of(anne)

    response = _identify(client, "Anne.Work@example.be", deliver)

    assert response.status_code == 200
    assert "If anne.work@example.be belongs to another adminbox" in response.text.replace(
        "Anne.Work", "anne.work"
    )
    (message,) = _merge_mails("Anne.Work@example.be") or _merge_mails("anne.work@example.be")
    assert "Log in to the adminbox that asked for it" in message.body_text
    assert "a•••@example.be" in message.body_text  # whose adminbox asked, masked
    assert LINK.search(message.body_text)
    assert message.body_text.count("http://testserver/adminbox/merge/") == 1
    assert AuditEvent.objects.filter(name="contracts.adminbox.merge_requested").count() == 1


def test_an_unknown_address_gets_the_same_answer_and_no_email(
    anne, anne_work, browser_of, deliver, sandbox_email, clock
):
    client = browser_of(anne)

    known = _identify(client, "anne.work@example.be", deliver)
    unknown = _identify(client, "nobody@example.be", deliver)

    def page(response):
        found = re.search(r"<main.*</main>", response.text, re.S)
        assert found is not None, "the page has a main element"
        main = found.group(0)
        return main.replace("anne.work@example.be", "X").replace("nobody@example.be", "X")

    assert known.status_code == unknown.status_code == 200
    assert page(known) == page(unknown)
    assert not SandboxMessage.objects.filter(to="nobody@example.be").exists()


def test_ones_own_address_and_nonsense_are_refused_next_to_the_field(anne, browser_of, deliver):
    client = browser_of(anne)

    own = _identify(client, "ANNE@example.be", deliver)
    nonsense = _identify(client, "anne at work", deliver)

    assert own.status_code == nonsense.status_code == 422
    assert "This address already leads to this adminbox." in own.text
    assert "Enter a valid email address." in nonsense.text


def test_identifying_is_rate_limited(anne, anne_work, browser_of, deliver, sandbox_email, clock):
    client = browser_of(anne)
    for _ in range(5):
        assert _identify(client, "anne.work@example.be", deliver).status_code == 200

    refused = _identify(client, "anne.work@example.be", deliver)

    assert refused.status_code == 429
    assert len(_merge_mails("anne.work@example.be")) == 5


def test_both_boxes_with_pending_contracts_end_in_one_and_stay_signable(
    anne, anne_work, browser_of, deliver, sandbox_email, make_contract, clock
):
    mine = make_contract(recipient={"email": "anne@example.be"})
    theirs = make_contract(recipient={"email": "anne.work@example.be"}, title="Mission B")
    other = make_contract(recipient={"email": "anne.work@example.be"}, title="Mission C")
    client = browser_of(anne)
    _identify(client, "anne.work@example.be", deliver)
    path = _link_sent_to("anne.work@example.be")

    preview = client.get(path)
    assert preview.status_code == 200
    assert "2 documents will move here." in preview.text
    assert "Among them, 2 contracts wait for your signature" in preview.text
    with deliver():
        confirmed = client.post(path)
    assert confirmed.status_code == 302
    done = client.get(confirmed["Location"])
    assert "2 documents of anne.work@example.be are now in this adminbox." in done.text

    assert set(Contract.objects.filter(recipient=anne)) == {mine, theirs, other}
    for contract in (theirs, other):
        contract.refresh_from_db()
        contract_check_signable(contract=contract, person=anne)
    with theirs.document_pdf.open("rb") as handle:
        signed = contract_sign_record(
            contract=theirs,
            person=anne,
            signed_pdf=signed_version(handle.read()),
            method="eid",
        )
    assert signed.status == "signed"
    anne_work.refresh_from_db()
    assert not anne_work.is_active and anne_work.phone == ""
    # Both addresses are told.
    told = SandboxMessage.objects.filter(subject__icontains="were merged")
    assert {m.to for m in told} == {"anne@example.be", "anne.work@example.be"}
    # One audit event names both people and the counts.
    (event,) = AuditEvent.objects.filter(name="contracts.adminbox.merged")
    assert event.data["kept_person"] == anne.pk and event.data["merged_person"] == anne_work.pk
    assert event.data["documents"] == 2 and event.data["tasks"] == 2
    assert not AuditEvent.objects.filter(
        name__in=["contracts.recipient.moved", "contracts.alias.added"]
    ).exists()


def test_a_later_contract_to_the_merged_address_arrives_in_the_merged_box(
    anne, anne_work, browser_of, deliver, sandbox_email, make_contract, clock
):
    client = browser_of(anne)
    _identify(client, "anne.work@example.be", deliver)
    client.post(_link_sent_to("anne.work@example.be"))

    later = make_contract(recipient={"email": "ANNE.WORK@example.be"})

    assert later.recipient == anne
    assert later.recipient_email == "ANNE.WORK@example.be"  # kept as the sender sent it


def test_the_link_works_once(anne, anne_work, browser_of, deliver, sandbox_email, clock):
    client = browser_of(anne)
    _identify(client, "anne.work@example.be", deliver)
    path = _link_sent_to("anne.work@example.be")
    client.post(path)

    replayed = client.post(path)
    opened_again = client.get(path)

    assert replayed.status_code == opened_again.status_code == 410
    assert "This link was already used" in opened_again.text
    assert AuditEvent.objects.filter(name="contracts.adminbox.merged").count() == 1


def test_a_link_expires(anne, anne_work, browser_of, deliver, sandbox_email, clock):
    client = browser_of(anne)
    _identify(client, "anne.work@example.be", deliver)
    path = _link_sent_to("anne.work@example.be")
    clock.shift(49 * 3600)
    client.force_login(anne)

    response = client.get(path)

    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert not AuditEvent.objects.filter(name="contracts.adminbox.merged").exists()


def test_a_link_opened_by_a_third_person_merges_nothing(
    anne, anne_work, person_factory, client, deliver, sandbox_email, make_contract, clock
):
    theirs = make_contract(recipient={"email": "anne.work@example.be"})
    client.force_login(anne)
    client.defaults.update(EN)
    _identify(client, "anne.work@example.be", deliver)
    path = _link_sent_to("anne.work@example.be")
    client.force_login(person_factory(email="mallory@example.be", language="en"))

    shown = client.get(path)
    posted = client.post(path)

    assert shown.status_code == posted.status_code == 403
    assert "This link was asked for from another adminbox" in shown.text
    theirs.refresh_from_db()
    assert theirs.recipient == anne_work
    # ...and it still works for Anne.
    client.force_login(anne)
    assert client.post(path).status_code == 302


def test_a_visitor_logs_in_first_and_comes_back(anne, anne_work, client, deliver, sandbox_email):
    client.force_login(anne)
    _identify(client, "anne.work@example.be", deliver)
    path = _link_sent_to("anne.work@example.be")
    client.logout()

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=/adminbox/merge/")


def test_different_national_numbers_are_refused_with_words(
    anne, anne_work, browser_of, deliver, sandbox_email, make_contract, clock
):
    anne.national_number = "85073003328"
    anne.save(update_fields=["national_number"])
    anne_work.national_number = "90020200155"
    anne_work.save(update_fields=["national_number"])
    theirs = make_contract(recipient={"email": "anne.work@example.be"})
    client = browser_of(anne)
    _identify(client, "anne.work@example.be", deliver)
    path = _link_sent_to("anne.work@example.be")

    shown = client.get(path)
    posted = client.post(path)

    assert shown.status_code == posted.status_code == 409
    assert "belong to two different national register numbers" in shown.text
    theirs.refresh_from_db()
    assert theirs.recipient == anne_work
    anne_work.refresh_from_db()
    assert anne_work.is_active


def test_a_box_bound_to_an_identity_is_not_merged_into_one_without(
    anne, anne_work, browser_of, deliver, sandbox_email, clock
):
    anne_work.national_number = "85073003328"
    anne_work.save(update_fields=["national_number"])
    client = browser_of(anne)
    _identify(client, "anne.work@example.be", deliver)

    shown = client.get(_link_sent_to("anne.work@example.be"))

    assert shown.status_code == 409
    assert "Log in to that adminbox instead" in shown.text


def test_the_merged_account_can_no_longer_log_in(
    anne, anne_work, client, deliver, sandbox_email, clock
):
    other = Client()
    other.force_login(anne_work)
    assert other.get("/adminbox/merge/").status_code == 200
    client.force_login(anne)
    _identify(client, "anne.work@example.be", deliver)
    client.post(_link_sent_to("anne.work@example.be"))

    assert other.get("/adminbox/merge/").status_code == 302  # its session ended

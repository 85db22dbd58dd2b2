"""The mandate pages and signing with the password, through the web
client, with real contracts, the real signing engine and real signatures."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from paraph.contracts.models import Contract
from paraph.contracts.services import contract_revoke
from paraph.contracts.tests.fixtures import T0
from paraph.mandates.models import Mandate
from paraph.mandates.tests.conftest import CODE, PASSWORD, verified
from paraph.signing.selectors import signature_report

pytestmark = pytest.mark.django_db


def english(person):
    person.language = "en"
    person.save(update_fields=["language"])
    return person


@pytest.fixture
def anne(make_contract, clock):
    """The recipient of a sent contract, her adminbox activated, in English."""
    contract = make_contract()
    return english(verified(contract.recipient))


@pytest.fixture
def contract(anne):
    return Contract.objects.get(recipient=anne)


@pytest.fixture
def browser_client(client, anne):
    client.force_login(anne)
    client.cookies["paraph_language"] = "en"
    return client


def sign_page(contract):
    return reverse("mandates:sign_password", kwargs={"public_id": contract.public_id})


def text(response):
    return response.content.decode()


def test_password_signing_without_a_mandate_starts_one_and_comes_back(
    browser_client, contract, clock
):
    response = browser_client.get(sign_page(contract))

    assert response.status_code == 302
    assert (
        response["Location"] == f"/adminbox/mandate/?next={sign_page(contract).replace('/', '%2F')}"
    )


def test_the_whole_mandate_then_signing_with_the_password(
    browser_client, anne, contract, clock, fixed_code
):
    start = browser_client.get(reverse("mandates:start"), {"next": sign_page(contract)})
    assert "lasts one year" in text(start)

    sent = browser_client.post(
        reverse("mandates:start"), {"channel": "sms", "next": sign_page(contract)}
    )
    assert sent["Location"] == reverse("mandates:code")
    code_page = browser_client.get(reverse("mandates:code"))
    assert "We have sent a code by SMS to" in text(code_page)
    mandate = Mandate.objects.get(person=anne)
    pdf = browser_client.get(reverse("mandates:document", kwargs={"public_id": mandate.public_id}))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'inline; filename="{mandate.reference}.pdf"'
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    signed = browser_client.post(reverse("mandates:code"), {"code": CODE})
    assert signed["Location"] == reverse("mandates:password")
    page = browser_client.get(reverse("mandates:password"))
    assert 'data-strength-meter="password-strength"' in text(page)
    assert "mandates/strength.js" in text(page)

    activated = browser_client.post(
        reverse("mandates:password"),
        {"notification_channel": "sms", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert activated["Location"] == reverse("mandates:done")
    done = browser_client.get(reverse("mandates:done"))
    assert "Your mandate is active" in text(done)
    assert f'href="{sign_page(contract)}"' in text(done)

    form = browser_client.get(sign_page(contract))
    assert contract.title in text(form) and contract.sender.name in text(form)
    assert "I have read the contract" in text(form)
    result = browser_client.post(sign_page(contract), {"has_read": "on", "password": PASSWORD})

    assert result["Location"] == reverse(
        "mandates:signed", kwargs={"public_id": contract.public_id}
    )
    contract.refresh_from_db()
    assert contract.status == "signed" and contract.signing_method == "password"
    mandate.refresh_from_db()
    assert contract.mandate_ref == mandate.reference
    with contract.signed_pdf.open("rb") as handle:
        report = signature_report(handle.read())
    assert report.valid
    assert report.signed[-1].signer == anne.get_full_name()
    assert report.signed[-1].unchanged_since
    success = browser_client.get(result["Location"])
    assert "Signed" in text(success)
    try:
        download = reverse("adminbox:download", kwargs={"public_id": contract.public_id})
    except NoReverseMatch:
        download = None
    if download:
        assert download in text(success)


def test_a_wrong_code_says_how_many_tries_are_left(browser_client, contract, clock, fixed_code):
    browser_client.post(reverse("mandates:start"), {"channel": "sms"})

    response = browser_client.post(reverse("mandates:code"), {"code": "000000"})

    assert "You can try 4 more times" in text(response)


def test_the_code_works_only_in_the_session_that_asked_for_it(
    browser_client, anne, clock, fixed_code
):
    browser_client.post(reverse("mandates:start"), {"channel": "sms"})
    other = Client()
    other.force_login(anne)

    response = other.post(reverse("mandates:code"), {"code": CODE})

    assert response.status_code == 302 and response["Location"] == reverse("mandates:start")
    assert Mandate.objects.get(person=anne).status == "pending"


def test_a_new_code_waits_for_the_cool_down(browser_client, clock, fixed_code):
    browser_client.post(reverse("mandates:start"), {"channel": "sms"})

    too_soon = browser_client.post(reverse("mandates:code_resend"), follow=True)
    assert "You can ask for a new code in" in text(too_soon)
    clock.shift(dt.timedelta(minutes=2))
    again = browser_client.post(reverse("mandates:code_resend"), follow=True)
    assert "A new code is on its way" in text(again)


def test_a_foreign_next_address_is_ignored(browser_client, anne, clock, mandate_for):
    browser_client.post(
        reverse("mandates:start"), {"channel": "sms", "next": "https://evil.example/x"}
    )
    session = browser_client.session
    assert session["paraph_mandate_flow"]["next"] == ""


def test_the_password_page_refuses_a_common_password_and_a_mismatch(
    browser_client, anne, clock, fixed_code
):
    browser_client.post(reverse("mandates:start"), {"channel": "email"})
    browser_client.post(reverse("mandates:code"), {"code": CODE})

    response = browser_client.post(
        reverse("mandates:password"),
        {
            "notification_channel": "email",
            "password": "password123456",
            "password_confirm": "password1234567",
        },
    )

    page = text(response)
    assert "too common" in page and "not the same" in page
    assert Mandate.objects.get(person=anne).status == "signed"


def test_another_persons_contract_or_mandate_is_not_found(
    client, person_factory, contract, anne, clock, mandate_for
):
    mandate = mandate_for(anne)
    intruder = english(verified(person_factory()))
    client.force_login(intruder)
    mandate_for(intruder)

    assert client.get(sign_page(contract)).status_code == 404
    assert (
        client.post(sign_page(contract), {"has_read": "on", "password": PASSWORD}).status_code
        == 404
    )
    url = reverse("mandates:document", kwargs={"public_id": mandate.public_id})
    assert client.get(url).status_code == 404


def test_wrong_passwords_say_the_tries_left_then_lock_with_what_still_works(
    browser_client, anne, contract, clock, mandate_for
):
    """Anne was sent the contract without a national number: the eID card
    cannot sign for her, so the lock does not offer it (issue 14)."""
    mandate_for(anne)
    for left in (4, 3, 2, 1):
        response = browser_client.post(
            sign_page(contract), {"has_read": "on", "password": "not my password at all"}
        )
        assert f"You can try {left} more time" in text(response)

    locked = browser_client.post(
        sign_page(contract), {"has_read": "on", "password": "not my password at all"}
    )
    assert "locked until" in text(locked) and "Call the contact centre" in text(locked)
    assert "eID card" not in text(locked)
    right_but_locked = browser_client.post(
        sign_page(contract), {"has_read": "on", "password": PASSWORD}
    )
    assert "locked until" in text(right_but_locked)
    contract.refresh_from_db()
    assert contract.status == "sent"


def test_the_contract_must_be_declared_read(browser_client, anne, contract, clock, mandate_for):
    mandate_for(anne)

    response = browser_client.post(sign_page(contract), {"password": PASSWORD})

    assert "Read the contract first" in text(response)
    contract.refresh_from_db()
    assert contract.status == "sent"


def test_a_second_browser_gets_already_signed(browser_client, anne, contract, clock, mandate_for):
    mandate_for(anne)
    second = Client()
    second.force_login(anne)
    second.cookies["paraph_language"] = "en"
    assert second.get(sign_page(contract)).status_code == 200

    browser_client.post(sign_page(contract), {"has_read": "on", "password": PASSWORD})
    late = second.post(sign_page(contract), {"has_read": "on", "password": PASSWORD})

    assert "already signed" in text(late)
    contract.refresh_from_db()
    with contract.signed_pdf.open("rb") as handle:
        assert len(signature_report(handle.read()).signed) == 2  # the seal and one signature


def test_two_signatures_racing_past_the_check_record_exactly_one(
    anne, contract, clock, mandate_for, monkeypatch
):
    """Both requests pass the signable check and both sign: the contract's
    row lock lets one record its signature; the other is told."""
    from paraph.contracts.services import ContractNotSignable
    from paraph.mandates import services
    from paraph.mandates.services import contracts as signing_contracts

    mandate_for(anne)
    monkeypatch.setattr(signing_contracts, "contract_check_signable", lambda **kwargs: None)
    services.contract_sign_with_password(contract=contract, person=anne, password=PASSWORD)
    first_sha = Contract.objects.get(pk=contract.pk).signed_sha256

    with pytest.raises(ContractNotSignable) as refused:
        services.contract_sign_with_password(
            contract=Contract.objects.get(pk=contract.pk), person=anne, password=PASSWORD
        )

    assert refused.value.code == "already_signed"
    assert Contract.objects.get(pk=contract.pk).signed_sha256 == first_sha


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_browsers_signing_at_the_same_moment_make_one_signature(
    make_contract, clock, mandate_for
):
    from paraph.contracts.services import ContractNotSignable
    from paraph.mandates import services

    contract = make_contract()
    anne = verified(contract.recipient)
    mandate_for(anne)
    outcomes: list[str] = []

    def sign() -> None:
        try:
            services.contract_sign_with_password(
                contract=Contract.objects.get(pk=contract.pk), person=anne, password=PASSWORD
            )
            outcomes.append("signed")
        except ContractNotSignable as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already_signed", "signed"]


def test_a_passed_deadline_and_a_revoked_contract_say_so(
    browser_client, anne, contract, make_contract, clock, mandate_for
):
    mandate_for(anne)
    second = make_contract()
    contract_revoke(contract=second, reason="mistake")
    revoked = browser_client.get(sign_page(second))
    assert "withdrew this contract" in text(revoked)

    clock.move_to(contract.deadline + dt.timedelta(minutes=1), tick=False)
    browser_client.force_login(anne)  # the session ended meanwhile
    late = browser_client.post(sign_page(contract), {"has_read": "on", "password": PASSWORD})
    assert "deadline to sign this contract has passed" in text(late)
    contract.refresh_from_db()
    assert contract.status != "signed" and not contract.signed_pdf


def test_after_the_mandate_year_password_signing_asks_for_a_new_mandate(
    browser_client, anne, contract, clock, mandate_for
):
    mandate_for(anne)
    clock.move_to(T0.replace(year=2027) + dt.timedelta(hours=1), tick=False)
    browser_client.force_login(anne)  # the session ended meanwhile

    response = browser_client.get(sign_page(contract))

    assert response["Location"].startswith(reverse("mandates:start"))


def test_batch_signing_gives_each_contract_its_own_signature(
    browser_client, anne, contract, make_contract, clock, mandate_for
):
    mandate_for(anne)
    second = make_contract(title="Second contract")
    assert second.recipient_id == anne.pk
    url = reverse("mandates:sign_batch")
    page = browser_client.get(url, {"contracts": [str(contract.public_id)]})
    assert "Second contract" in text(page)

    response = browser_client.post(
        url,
        {
            "contracts": [str(contract.public_id), str(second.public_id)],
            "has_read": "on",
            "password": PASSWORD,
        },
        follow=True,
    )

    assert "2 contracts signed" in text(response)
    reports = []
    for item in (contract, second):
        item.refresh_from_db()
        assert item.status == "signed"
        with item.signed_pdf.open("rb") as handle:
            reports.append(signature_report(handle.read()))
    assert all(r.valid and len(r.signed) == 2 for r in reports)
    assert reports[0].signed[-1].signer == anne.get_full_name()


def test_batch_with_a_wrong_password_signs_none(
    browser_client, anne, contract, make_contract, clock, mandate_for
):
    mandate_for(anne)
    second = make_contract(title="Second contract")

    response = browser_client.post(
        reverse("mandates:sign_batch"),
        {
            "contracts": [str(contract.public_id), str(second.public_id)],
            "has_read": "on",
            "password": "not my password at all",
        },
    )

    assert "This password is not correct" in text(response)
    assert set(Contract.objects.values_list("status", flat=True)) == {"sent"}


def test_batch_cannot_take_another_persons_contract(
    browser_client, anne, contract, make_contract, clock, mandate_for
):
    mandate_for(anne)
    foreign = make_contract(
        recipient={"email": "someone.else@example.be", "phone": "0470 99 88 77"}
    )

    response = browser_client.post(
        reverse("mandates:sign_batch"),
        {"contracts": [str(foreign.public_id)], "has_read": "on", "password": PASSWORD},
    )

    assert "can no longer be signed here" in text(response)
    foreign.refresh_from_db()
    assert foreign.status == "sent"


def test_revoking_from_the_page_stops_password_signing(
    browser_client, anne, contract, clock, mandate_for
):
    mandate_for(anne)

    browser_client.post(reverse("mandates:revoke"))

    assert Mandate.objects.get(person=anne).status == "revoked"
    assert browser_client.get(sign_page(contract))["Location"].startswith(reverse("mandates:start"))


def test_the_preferences_partial_shows_the_end_date_and_renewal(rf, anne, clock, mandate_for):
    from django.template.loader import render_to_string
    from django.utils import translation

    mandate_for(anne)
    request = rf.get("/")
    request.user = anne
    with translation.override("en"):
        html = render_to_string("mandates/_preferences.html", {"request": request})

    assert "is active until Dec. 1, 2027" in html
    assert reverse("mandates:renew") in html


def test_the_password_page_offers_the_card_only_when_it_can_sign(
    browser_client, anne, contract, clock, mandate_for
):
    """Issue 14: Anne was sent the contract without a national number, so
    the card would be refused; once her account has one, it is offered."""
    mandate_for(anne)

    without = text(browser_client.get(sign_page(contract)))
    anne.national_number = "85073003328"
    anne.save(update_fields=["national_number"])
    with_number = text(browser_client.get(sign_page(contract)))

    assert "Sign with my eID card instead" not in without
    assert "Sign with my eID card instead" in with_number

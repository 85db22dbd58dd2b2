"""The IDnow registration pages: choosing country and document, going to
IDnow (real, against the local gateway, or the sandbox), coming back, the
status page, and on to the registration."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from paraph.audit.models import AuditEvent
from paraph.identity.models import IdnowIdentification, RegistrationAttempt
from paraph.identity.providers.idnow.sessions import (
    cookie_name,
)
from paraph.identity.tests.idnow_peer import (  # noqa: F401 (fixture)
    COMPANY,
    idnow_gateway_fixture,
    idnow_result,
)
from paraph.notifications.tests.conftest import find

START = "/register/idnow/start/"
FORM = {
    "country": "PL",
    "document_type": "passport",
    "given_name": "Zofia Anna",
    "family_name": "Kowalska",
    "birth_date": "1990-03-14",
    "email": "zofia.kowalska@example.pl",
}
REAL = "paraph.identity.providers.idnow.IdnowProvider"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def begin(client) -> None:
    """Choose IDnow on the registration page (the registration flow)."""
    response = client.post("/register/start/idnow/")
    assert response.status_code == 302
    assert response["Location"] == START


def errors(response) -> list[str]:
    return [e.text for e in find(response.content, "ul", **{"class": "errorlist"})]


# --- Before starting ------------------------------------------------------------


def test_the_start_page_needs_a_registration_with_idnow(client, db):
    response = client.get(START)
    assert response.status_code == 302
    assert response["Location"] == "/register/"


def test_the_start_page_says_a_camera_is_needed_and_offers_the_list(client, db):
    begin(client)
    response = client.get(START)

    assert response.status_code == 200
    (notice,) = find(response.content, "li", data_testid="idnow-camera-notice")
    assert "webcam or a smartphone camera" in notice.text
    assert "face recognition" in notice.text
    assert any(
        e.attrs.get("href") == "/register/idnow/documents/" for e in find(response.content, "a")
    )
    # The choices come from the list: Poland is there, Belgium is not.
    options = {e.attrs["value"] for e in find(response.content, "option")}
    assert "PL" in options and "BE" not in options
    # In sandbox mode, the page says so.
    (sandbox,) = find(response.content, "p", data_testid="idnow-sandbox-notice")
    assert "Sandbox — no real IDnow" in sandbox.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"country": "US", "document_type": "identity_card"},
            "For this country we accept: passport.",
        ),
        ({"country": "BE"}, "This country is not on the list of accepted documents."),
        ({"document_type": "driving_licence"}, "Select a valid choice"),
        ({"birth_date": "2099-01-01"}, "Enter your real date of birth."),
        ({"birth_date": "14/03/1990x"}, "Enter a date, like 1991-04-18."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"given_name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"family_name": ""}, "Enter your surname."),
    ],
)
def test_a_bad_choice_is_refused_with_a_precise_message(client, db, changes, message):
    begin(client)
    response = client.post(START, {**FORM, **changes})

    assert response.status_code == 200
    assert any(message in text for text in errors(response)), errors(response)
    assert IdnowIdentification.objects.count() == 0


def test_idnow_is_not_offered_for_log_in(client, db):
    """RG-13: the identity log-in path refuses IDnow."""
    response = client.post("/identity/login/idnow/")
    assert response.status_code == 400
    (message,) = find(response.content, "p", data_testid="identity-error")
    assert "log in with the code we send by SMS" in message.text


# --- The real IDnow, against the local gateway ---------------------------------------


def test_the_real_idnow_creates_the_identification_and_sends_the_person_there(
    client, db, settings, idnow_gateway
):
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "idnow": REAL}
    begin(client)

    response = client.post(START, FORM)

    assert response.status_code == 302
    match = re.fullmatch(
        rf"https://go\.test\.idnow\.invalid/{COMPANY}/identifications/(PRF[0-9A-F]{{32}})"
        r"/identification/start",
        response["Location"],
    )
    assert match, response["Location"]
    txn = match.group(1)
    assert idnow_gateway.started[txn] == {
        "firstname": "Zofia Anna",
        "lastname": "Kowalska",
        "birthday": "1990-03-14",
        "email": "zofia.kowalska@example.pl",
        "preferredLang": "en",
    }
    identification = IdnowIdentification.objects.get(transaction_number=txn)
    assert (identification.status, identification.sandbox) == ("STARTED", False)
    assert (identification.country, identification.document_type) == ("PL", "passport")
    assert identification.registration_attempt == RegistrationAttempt.objects.get()
    assert identification.result["identificationprocess"]["id"].startswith("TST-")
    assert AuditEvent.objects.filter(name="identity.idnow.started").count() == 1
    assert cookie_name() in response.cookies

    # Back from IDnow before the webhook: the return page asks IDnow.
    idnow_gateway.results[txn] = idnow_result(txn, "SUCCESS", ident_id="TST-00002")
    back = client.get("/register/idnow/return/")
    assert back["Location"] == "/register/idnow/status/"
    page = client.get("/register/idnow/status/")
    assert find(page.content, "div", data_testid="idnow-outcome-succeeded")
    assert client.get("/register/idnow/status.json").json() == {"outcome": "succeeded"}

    # On to the registration, through the flow's own end.
    onward = client.post("/register/idnow/continue/")
    assert onward["Location"] == "/identity/idnow/complete/"
    registration = client.get(onward["Location"])
    assert registration.status_code == 302
    assert registration["Location"] == "/register/match/"
    attempt = RegistrationAttempt.objects.get()
    assert attempt.claims["assurance"] == "substantial"
    assert attempt.claims["family_name"] == "Kowalska"


def test_when_idnow_cannot_be_reached_the_person_is_told_and_nothing_is_kept(
    client, db, settings, idnow_gateway
):
    settings.IDENTITY_PROVIDERS = {**settings.IDENTITY_PROVIDERS, "idnow": REAL}
    idnow_gateway.fail["/start"] = 503
    begin(client)

    response = client.post(START, FORM)

    assert response.status_code == 200
    (alert,) = find(response.content, "div", role="alert")
    assert "IDnow cannot be reached at the moment" in alert.text
    assert IdnowIdentification.objects.count() == 0


# --- The sandbox IDnow -----------------------------------------------------------------


def sandbox_start(client) -> IdnowIdentification:
    begin(client)
    response = client.post(START, FORM)
    assert response["Location"] == "/register/idnow/sandbox/"
    return IdnowIdentification.objects.get()


def test_the_sandbox_page_says_it_is_a_sandbox_and_shows_a_valid_mrz(client, db):
    identification = sandbox_start(client)
    assert identification.sandbox

    page = client.get("/register/idnow/sandbox/")

    (title,) = find(page.content, "h1", data_testid="idnow-sandbox-title")
    assert title.text == "Sandbox — no real IDnow"
    (mrz,) = find(page.content, "pre")
    assert mrz.text.startswith("P<POLKOWALSKA<<ZOFIA<ANNA<")


def test_the_sandbox_happy_path_ends_in_the_registration(client, db):
    sandbox_start(client)

    response = client.post("/register/idnow/sandbox/", {"outcome": "happy"})

    assert response["Location"] == "/register/idnow/return/"
    page = client.get(client.get(response["Location"])["Location"])
    assert find(page.content, "div", data_testid="idnow-outcome-succeeded")
    assert "Sandbox — no real IDnow." in page.content.decode()
    complete = client.post("/register/idnow/continue/")
    assert client.get(complete["Location"])["Location"] == "/register/match/"


def test_review_then_success_waits_then_e_mails_the_decision(client, db, deliver, mailoutbox):
    sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "review"})

    page = client.get("/register/idnow/status/")
    assert find(page.content, "div", data_testid="idnow-outcome-pending")
    assert b"identity/idnow_status.js" in page.content  # it checks again by itself
    assert find(page.content, "button", data_testid="idnow-sandbox-approve")

    with deliver():
        client.post("/register/idnow/sandbox/decide/", {"decision": "approve"})

    page = client.get("/register/idnow/status/")
    assert find(page.content, "div", data_testid="idnow-outcome-succeeded")
    (mail,) = mailoutbox
    assert mail.to == ["zofia.kowalska@example.pl"]
    assert "Sandbox" in mail.body


def test_a_confirmed_fraud_ends_with_the_contact_centre_not_a_retry(client, db):
    sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "fraud"})

    page = client.get("/register/idnow/status/")

    (refusal,) = find(page.content, "p", data_testid="idnow-refusal")
    assert refusal.text == "IDnow could not confirm your identity. Please call the contact centre."
    assert not find(page.content, "a", data_testid="idnow-retry")
    assert "Call the contact centre" in page.content.decode()
    # No claims: the registration cannot go on.
    refused = client.post("/register/idnow/continue/")
    assert refused.status_code == 302
    assert "could not confirm" in client.get(refused["Location"]).content.decode()


def test_a_cancelled_identification_offers_to_try_again(client, db):
    sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "cancel"})

    page = client.get("/register/idnow/status/")

    assert find(page.content, "a", data_testid="idnow-retry")
    assert "cancelled before it ended" in page.content.decode()


def test_an_expired_document_is_refused_by_paraph_despite_idnows_success(client, db):
    identification = sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "expired"})

    identification.refresh_from_db()
    assert identification.status == "SUCCESS"
    page = client.get("/register/idnow/status/")
    (refusal,) = find(page.content, "p", data_testid="idnow-refusal")
    assert refusal.attrs["data-code"] == "document_expired"
    assert "Your identity document has expired" in refusal.text


def test_a_sandbox_outcome_is_played_once(client, db):
    identification = sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "cancel"})
    client.post("/register/idnow/sandbox/", {"outcome": "happy"})
    identification.refresh_from_db()
    assert identification.status == "CANCELED"


def test_the_result_follows_the_person_into_a_new_session_through_the_cookie(client, db):
    identification = sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "review"})
    client.post("/register/idnow/sandbox/decide/", {"decision": "approve"})

    # Hours later: the session has ended, the cookie is still there.
    later = Client()
    later.cookies[cookie_name()] = client.cookies[cookie_name()].value
    page = later.get("/register/idnow/status/")
    assert find(page.content, "div", data_testid="idnow-outcome-succeeded")

    onward = later.post("/register/idnow/continue/")
    assert onward["Location"] == "/register/match/"
    assert identification.registration_attempt_id is not None
    attempt = RegistrationAttempt.objects.get(pk=identification.registration_attempt_id)
    assert attempt.state == "matching"
    assert attempt.claims["subject"].startswith("SBX-")


def test_a_forged_cookie_finds_nothing(client, db):
    sandbox_start(client)
    stranger = Client()
    stranger.cookies[cookie_name()] = "PRF" + "0" * 32
    assert stranger.get("/register/idnow/status/").status_code == 404
    assert stranger.get("/register/idnow/status.json").status_code == 404


def test_the_sandbox_pages_answer_404_outside_sandbox_mode(client, db, settings):
    sandbox_start(client)
    settings.SANDBOX = False
    assert client.get("/register/idnow/sandbox/").status_code == 404
    assert client.post("/register/idnow/sandbox/", {"outcome": "happy"}).status_code == 404
    assert (
        client.post("/register/idnow/sandbox/decide/", {"decision": "approve"}).status_code == 404
    )


# --- In the back office ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "shown"),
    [
        ("expired", "document_expired: "),
        ("cancel", "(Cancelled by the person (sandbox))"),
    ],
)
def test_the_back_office_says_why_an_identification_was_refused(
    client, db, person_factory, outcome, shown
):
    from paraph.accounts.tests.backoffice import staff_login

    identification = sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": outcome})
    staff = staff_login(Client(), person_factory(is_staff=True, is_superuser=True))

    listing = staff.get("/backoffice/identity/idnowidentification/").content.decode()
    page = staff.get(
        f"/backoffice/identity/idnowidentification/{identification.pk}/change/"
    ).content.decode()

    assert shown in listing and shown in page


def test_the_back_office_lists_an_expired_document_as_refused_in_the_staffs_language(
    client, db, person_factory
):
    # IDnow says "success"; Paraph refused the expired document: the list
    # must not read "succeeded", and the reason is in the staff's language.
    import html
    import re

    from django.utils import translation

    from paraph.accounts.tests.backoffice import staff_login
    from paraph.identity.admin import IDNOW_OUTCOMES
    from paraph.identity.providers.idnow.checks import (
        REFUSAL_MESSAGES,
    )

    sandbox_start(client)
    client.post("/register/idnow/sandbox/", {"outcome": "expired"})
    staff = staff_login(Client(), person_factory(is_staff=True, is_superuser=True, language="fr"))

    listing = staff.get("/backoffice/identity/idnowidentification/").content.decode()

    found_outcome = re.search(r'<td class="field-outcome">(.*?)</td>', listing)
    found_refusal = re.search(r'<td class="field-refusal">(.*?)</td>', listing)
    assert found_outcome is not None and found_refusal is not None, listing
    outcome, refusal = found_outcome.group(1), found_refusal.group(1)
    with translation.override("fr"):
        assert html.unescape(outcome) == str(IDNOW_OUTCOMES["refused"])
        assert str(REFUSAL_MESSAGES["document_expired"]) in html.unescape(refusal)
    assert "expired on" not in refusal  # the check's English words

"""The mandate's state machine, one transition at a time, and what each
transition refuses (docs/mandates.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError

from paraph.accounts.services import CodeOutcome
from paraph.audit.models import AuditEvent
from paraph.contracts.tests.fixtures import T0
from paraph.core.context import Context
from paraph.mandates import services
from paraph.mandates.models import Mandate
from paraph.mandates.selectors import mandate_current, mandate_pdf_checked, mandate_status_for
from paraph.mandates.services import MandateError
from paraph.mandates.tests.conftest import CODE, PASSWORD
from paraph.mandates.tests.helpers import pdf_text, reminders_to
from paraph.notifications.models import SandboxMessage
from paraph.signing.exceptions import KeyUnavailable
from paraph.signing.models import PersonSigningKey
from paraph.signing.selectors import signature_report
from paraph.signing.services import password_signature_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def anne(person_factory):
    from paraph.mandates.tests.conftest import verified

    return verified(
        person_factory(
            first_name="Anne",
            last_name="Dubois",
            email="anne.dubois@example.be",
            phone="+32470111222",
            national_number="85073003328",
            language="fr",
        )
    )


def _signed(person, *, channel="sms"):
    mandate = services.mandate_start(person=person)
    token = services.mandate_code_send(mandate=mandate, channel=channel)
    check = services.mandate_sign_with_code(mandate=mandate, binding_token=token, value=CODE)
    assert check.outcome == CodeOutcome.OK
    return mandate


# --- start ---------------------------------------------------------------------------


def test_a_started_mandate_is_pending_with_a_pdf_in_the_persons_language(anne, clock):
    mandate = services.mandate_start(person=anne)

    assert mandate.status == "pending"
    assert re.fullmatch(r"M-2026-\d{6}", mandate.reference)
    text = pdf_text(mandate_pdf_checked(mandate, signed=False))
    assert mandate.reference in text
    assert "Anne Dubois" in text and "anne.dubois@example.be" in text
    assert "1 décembre 2026" in text  # written in French, the person's language


def test_starting_again_replaces_the_unfinished_mandate(anne, clock):
    first = services.mandate_start(person=anne)
    second = services.mandate_start(person=anne)

    first.refresh_from_db()
    assert first.status == "superseded" and second.status == "pending"
    assert AuditEvent.objects.filter(name="mandates.mandate.superseded").count() == 1


def test_renewing_needs_an_active_mandate(anne, clock):
    with pytest.raises(MandateError) as refused:
        services.mandate_renew(person=anne)
    assert refused.value.code == "state"


# --- the code ------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_the_code_says_it_signs_a_mandate(anne, clock, fixed_code, sandbox_email, deliver, channel):
    mandate = services.mandate_start(person=anne)
    with deliver():
        services.mandate_code_send(mandate=mandate, channel=channel)

    sent = SandboxMessage.objects.get(channel=channel)
    # Anne reads French: what the code authorises, in her language.
    assert CODE in sent.body_text
    assert "signer votre mandat" in sent.body_text
    if channel == "email":
        assert sent.subject == "Votre code pour signer votre mandat Paraph"


def test_a_code_goes_only_to_a_verified_address(person_factory, clock, fixed_code):
    person = person_factory(email="new@example.be")  # phone verified, e-mail not
    mandate = services.mandate_start(person=person)

    with pytest.raises(MandateError) as refused:
        services.mandate_code_send(mandate=mandate, channel="email")
    assert refused.value.code == "no_destination"
    assert services.mandate_code_channels(person) == ["sms"]


def test_the_right_code_signs_and_seals_the_mandate_with_evidence(anne, clock, fixed_code, rf):
    mandate = services.mandate_start(person=anne)
    token = services.mandate_code_send(mandate=mandate, channel="email")
    request = rf.post("/", HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="192.0.2.7")
    request.user = anne

    check = services.mandate_sign_with_code(
        mandate=mandate, binding_token=token, value="424 242", context=Context.from_request(request)
    )

    assert check.outcome == CodeOutcome.OK
    mandate.refresh_from_db()
    assert mandate.status == "signed" and mandate.signed_with == "email_code"
    signed = mandate_pdf_checked(mandate, signed=True)
    assert signed.startswith(mandate_pdf_checked(mandate, signed=False))
    report = signature_report(signed)
    assert report.valid and len(report.signed) == 1
    evidence = mandate.evidence
    assert evidence["channel"] == "email" and "anne.dubois@example.be" not in evidence["to"]
    assert evidence["ip"] == "192.0.2.7" and evidence["user_agent"] == "Firefox/140"
    assert evidence["verified_at"] and evidence["sealed_sha256"] == mandate.signed_sha256


def test_a_wrong_code_says_how_many_tries_are_left_and_signs_nothing(anne, clock, fixed_code):
    mandate = services.mandate_start(person=anne)
    token = services.mandate_code_send(mandate=mandate, channel="sms")

    check = services.mandate_sign_with_code(mandate=mandate, binding_token=token, value="000000")

    assert check.outcome == CodeOutcome.WRONG and check.tries_left == 4
    mandate.refresh_from_db()
    assert mandate.status == "pending" and not mandate.signed_pdf
    assert AuditEvent.objects.filter(name="mandates.mandate.code_failed").count() == 1


def test_wrong_codes_are_limited(anne, clock, fixed_code):
    mandate = services.mandate_start(person=anne)
    token = services.mandate_code_send(mandate=mandate, channel="sms")
    for _ in range(5):
        services.mandate_sign_with_code(mandate=mandate, binding_token=token, value="000000")

    check = services.mandate_sign_with_code(mandate=mandate, binding_token=token, value=CODE)

    assert check.outcome == CodeOutcome.EXHAUSTED
    mandate.refresh_from_db()
    assert mandate.status == "pending"


def test_an_expired_code_is_refused(anne, clock, fixed_code):
    mandate = services.mandate_start(person=anne)
    token = services.mandate_code_send(mandate=mandate, channel="sms")
    clock.shift(dt.timedelta(minutes=11))

    check = services.mandate_sign_with_code(mandate=mandate, binding_token=token, value=CODE)

    assert check.outcome == CodeOutcome.EXPIRED
    mandate.refresh_from_db()
    assert mandate.status == "pending"


def test_a_used_code_does_not_sign_a_second_mandate(anne, clock, fixed_code):
    first = services.mandate_start(person=anne)
    token = services.mandate_code_send(mandate=first, channel="sms")
    services.mandate_sign_with_code(mandate=first, binding_token=token, value=CODE)
    second = services.mandate_start(person=anne)

    check = services.mandate_sign_with_code(mandate=second, binding_token=token, value=CODE)

    assert check.outcome == CodeOutcome.USED
    second.refresh_from_db()
    assert second.status == "pending"


def test_a_code_of_another_session_or_person_does_not_sign(anne, person_factory, clock, fixed_code):
    from paraph.mandates.tests.conftest import verified

    mandate = services.mandate_start(person=anne)
    services.mandate_code_send(mandate=mandate, channel="sms")
    other = verified(person_factory())
    other_mandate = services.mandate_start(person=other)
    other_token = services.mandate_code_send(mandate=other_mandate, channel="sms")

    no_token = services.mandate_sign_with_code(mandate=mandate, binding_token="", value=CODE)
    not_hers = services.mandate_sign_with_code(
        mandate=mandate, binding_token=other_token, value=CODE
    )

    assert no_token.outcome == CodeOutcome.UNKNOWN
    assert not_hers.outcome == CodeOutcome.UNKNOWN
    mandate.refresh_from_db()
    assert mandate.status == "pending"


# --- the password --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "field", "code"),
    [
        ("short pass", "password", "password_too_short"),
        ("password123456", "password", "password_too_common"),
        ("P@ssw0rd!2024", "password", "password_too_common"),
        ("aaaaaaaaaaaaaaaa", "password", "password_too_common"),
        ("qwertyuiopasdf", "password", "password_too_common"),
        ("anne dubois is signing", "password", "password_personal"),
        ("my mail anne.dubois ok", "password", "password_personal"),
        ("phone 0470111222 here", "password", "password_personal"),
        ("born 850730 in Namur!", "password", "password_personal"),
        ("I love P4raph so much", "password", "password_paraph"),
    ],
)
def test_a_weak_or_personal_password_is_refused(anne, clock, fixed_code, password, field, code):
    mandate = _signed(anne)

    with pytest.raises(ValidationError) as refused:
        services.mandate_activate(
            mandate=mandate,
            password=password,
            password_confirm=password,
            notification_channel="email",
        )

    assert code in [e.code for e in refused.value.error_dict[field]]
    mandate.refresh_from_db()
    assert mandate.status == "signed"
    assert not PersonSigningKey.objects.filter(person=anne).exists()


def test_the_confirmation_must_match(anne, clock, fixed_code):
    mandate = _signed(anne)

    with pytest.raises(ValidationError) as refused:
        services.mandate_activate(
            mandate=mandate,
            password=PASSWORD,
            password_confirm=PASSWORD + "!",
            notification_channel="sms",
        )

    assert [e.code for e in refused.value.error_dict["password_confirm"]] == ["password_mismatch"]
    assert not PersonSigningKey.objects.filter(person=anne).exists()


def test_a_password_without_composition_rules_is_accepted(anne, clock, fixed_code):
    mandate = _signed(anne)

    services.mandate_activate(
        mandate=mandate,
        password="correct horse battery staple",
        password_confirm="correct horse battery staple",
        notification_channel="sms",
    )

    assert mandate.status == "active"


def test_activation_issues_a_one_year_key_and_sets_the_notification_channel(
    anne, clock, fixed_code
):
    mandate = _signed(anne)

    services.mandate_activate(
        mandate=mandate, password=PASSWORD, password_confirm=PASSWORD, notification_channel="sms"
    )

    mandate.refresh_from_db()
    anne.refresh_from_db()
    assert mandate.status == "active"
    assert mandate.valid_until == T0.replace(year=2027)
    assert anne.notification_channel == "sms"
    key = PersonSigningKey.objects.get(person=anne, retired_at__isnull=True)
    assert key.mandate_ref == mandate.reference and key.not_after == mandate.valid_until
    assert mandate_current(anne) == mandate
    assert mandate_status_for(anne).days_left == 365


def test_a_pending_mandate_cannot_be_activated(anne, clock, fixed_code):
    mandate = services.mandate_start(person=anne)

    with pytest.raises(MandateError) as refused:
        services.mandate_activate(
            mandate=mandate,
            password=PASSWORD,
            password_confirm=PASSWORD,
            notification_channel="email",
        )
    assert refused.value.code == "state"


# --- renewal, revocation, expiry -------------------------------------------------------


def test_renewal_supersedes_the_old_mandate_and_its_key_never_signs_again(
    anne, clock, mandate_for, pdf
):
    old = mandate_for(anne)
    old_key = PersonSigningKey.objects.get(person=anne, retired_at__isnull=True)
    clock.shift(dt.timedelta(days=100))

    renewal = services.mandate_renew(person=anne)
    assert mandate_current(anne) == old  # still signs until the new one is active
    token = services.mandate_code_send(mandate=renewal, channel="sms")
    services.mandate_sign_with_code(mandate=renewal, binding_token=token, value=CODE)
    services.mandate_activate(
        mandate=renewal,
        password="another fine password",
        password_confirm="another fine password",
        notification_channel="email",
    )

    old.refresh_from_db()
    old_key.refresh_from_db()
    assert old.status == "superseded" and renewal.status == "active"
    assert renewal.renews_id == old.pk
    assert renewal.valid_until == (T0 + dt.timedelta(days=100)).replace(year=2028)
    assert old_key.retired_at is not None and not old_key.encrypted_private_key
    with pytest.raises(KeyUnavailable) as refused:
        password_signature_make(person=anne, document=pdf, document_ref="x", password=PASSWORD)
    assert refused.value.code == "wrong_password"  # the old password opens nothing


def test_revoking_retires_the_key(anne, clock, mandate_for, make_contract):
    mandate = mandate_for(anne)

    services.mandate_revoke(mandate=mandate, person=anne)

    assert mandate.status == "revoked"
    assert not PersonSigningKey.objects.filter(person=anne, retired_at__isnull=True).exists()
    assert mandate_current(anne) is None
    with pytest.raises(MandateError):
        services.mandate_revoke(mandate=mandate, person=anne)


def test_another_person_cannot_revoke(anne, person_factory, clock, mandate_for):
    mandate = mandate_for(anne)
    with pytest.raises(LookupError):
        services.mandate_revoke(mandate=mandate, person=person_factory())
    mandate.refresh_from_db()
    assert mandate.status == "active"


def test_after_one_year_the_mandate_expires_and_password_signing_asks_for_a_new_one(
    clock, mandate_for, make_contract
):
    from paraph.mandates.tests.conftest import verified

    contract = make_contract()
    person = verified(contract.recipient)
    mandate = mandate_for(person)
    clock.move_to(T0.replace(year=2027) + dt.timedelta(minutes=1), tick=False)

    assert mandate_current(person) is None
    with pytest.raises(MandateError) as refused:
        services.contract_sign_with_password(contract=contract, person=person, password=PASSWORD)
    assert refused.value.code == "no_mandate"

    assert services.mandates_expire_due() == 1
    assert services.mandates_expire_due() == 0
    mandate.refresh_from_db()
    assert mandate.status == "expired"
    assert not PersonSigningKey.objects.filter(person=person, retired_at__isnull=True).exists()
    assert mandate_status_for(person).status == "expired"


def test_reminders_go_30_and_7_days_before_the_end_once_each(anne, clock, mandate_for):
    mandate = mandate_for(anne)
    end = mandate.valid_until

    clock.move_to(end - dt.timedelta(days=31), tick=False)
    assert services.mandate_reminders_send() == 0
    clock.move_to(end - dt.timedelta(days=29), tick=False)
    assert services.mandate_reminders_send() == 1
    assert services.mandate_reminders_send() == 0
    clock.move_to(end - dt.timedelta(days=6), tick=False)
    assert services.mandate_reminders_send() == 1
    assert services.mandate_reminders_send() == 0

    sent = reminders_to(anne.email)
    assert [m.language for m in sent] == ["fr", "fr"]
    mandate.refresh_from_db()
    assert mandate.reminder_30_sent_at and mandate.reminder_7_sent_at


def test_the_reminder_email_links_to_renewal_in_the_persons_language(
    person_factory, clock, mandate_for, sandbox_email, deliver
):
    from paraph.mandates.tests.conftest import verified
    from paraph.notifications.models import SandboxMessage

    person = verified(person_factory(language="nl", email="jan@example.be"))
    mandate = mandate_for(person)
    clock.move_to(mandate.valid_until - dt.timedelta(days=7), tick=False)

    with deliver():
        services.mandate_reminders_send()

    mail = SandboxMessage.objects.get(to="jan@example.be", channel="email")
    assert "/adminbox/mandate/renew/" in mail.body_text
    assert mandate.reference in mail.body_text


def test_housekeeping_command_expires_and_reminds(anne, clock, mandate_for):
    from io import StringIO

    from django.core.management import call_command

    mandate_for(anne)
    clock.move_to(T0 + dt.timedelta(days=340), tick=False)
    out = StringIO()
    call_command("mandates-housekeeping", stdout=out)
    assert "expired 0 mandate(s), sent 1 reminder(s)" in out.getvalue()
    assert Mandate.objects.get(person=anne).status == "active"


def test_a_contract_revoked_while_the_password_signs_keeps_no_trace_of_a_signature(
    clock, mandate_for, make_contract, monkeypatch
):
    """The sender revokes while the time-stamp authority answers: the
    contract stays revoked and the audit log does not say it was signed."""
    from paraph.audit.models import AuditEvent
    from paraph.contracts.services import ContractNotSignable, contract_revoke
    from paraph.mandates.tests.conftest import verified
    from paraph.signing import engine

    contract = make_contract()
    person = verified(contract.recipient)
    mandate_for(person)
    sign_pdf = engine.sign_pdf

    def revoked_meanwhile(*args, **kwargs):
        signed = sign_pdf(*args, **kwargs)
        contract_revoke(contract=contract, reason="sent by mistake")
        return signed

    monkeypatch.setattr(engine, "sign_pdf", revoked_meanwhile)

    with pytest.raises(ContractNotSignable) as refused:
        services.contract_sign_with_password(contract=contract, person=person, password=PASSWORD)

    assert refused.value.code == "revoked"
    contract.refresh_from_db()
    assert contract.status == "revoked"
    assert not AuditEvent.objects.filter(name="signing.password.signed").exists()

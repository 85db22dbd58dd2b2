"""The one-time code service behind log-in, e-mail and phone verification
and mandate signing."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import RequestFactory

from paraph.accounts import services
from paraph.accounts.models import CodeChannel, CodePurpose, OneTimeCode
from paraph.accounts.services import (
    CODE_MAX_SENDS_PER_ATTEMPT,
    CODE_SENDS_PER_DESTINATION,
    CodeOutcome,
    CodeRateLimited,
    ResendOutcome,
    code_issue,
    code_resend,
    code_verify,
)
from paraph.accounts.services import codes as one_time_codes
from paraph.accounts.tests.helpers import last_code, sms_to
from paraph.audit.models import AuditEvent
from paraph.core.context import SYSTEM, Context
from paraph.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

PHONE = "+32470123456"


@pytest.fixture
def request_():
    return RequestFactory().post("/")


@pytest.fixture
def issue(person, deliver, request_):
    """Issue a log-in code to ``person``'s phone, delivered to the sandbox."""

    def make(**overrides):
        arguments = {
            "purpose": CodePurpose.LOGIN,
            "channel": CodeChannel.SMS,
            "destination": person.phone,
            "person": person,
            "language": "en",
            "context": Context.from_request(request_),
        }
        arguments.update(overrides)
        with deliver():
            return code_issue(**arguments)

    return make


def test_a_code_is_sent_and_only_its_keyed_hash_is_kept(issue, person, clock):
    attempt, token = issue()
    code = last_code(person.phone)
    stored = OneTimeCode.objects.filter(pk=attempt.pk).values().get()
    for value in stored.values():
        assert code not in str(value)
        assert token not in str(value)
        assert person.phone not in str(value)
    assert re.fullmatch(r"[0-9a-f]{64}", attempt.code_hash)
    assert attempt.destination_masked == "+32 *** ** 00 01"  # as every page masks a phone
    assert (attempt.expires_at - attempt.created_at).total_seconds() == settings.CODE_TTL_SECONDS
    event = AuditEvent.objects.get(name="accounts.code.sent")
    assert code not in str(event.data)


def test_the_right_code_works_once(issue, person, clock, request_):
    _attempt, token = issue()
    code = last_code(person.phone)
    check = code_verify(
        binding_token=token,
        purpose=CodePurpose.LOGIN,
        value=code,
        context=Context.from_request(request_),
    )
    assert check.outcome == CodeOutcome.OK
    again = code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value=code)
    assert again.outcome == CodeOutcome.USED


@pytest.mark.parametrize("typed", ["{a} {b}", " {a}{b} ", "{a}-{b}", "{a}.{b}", "{a}\t{b}"])
def test_spaces_and_separators_are_ignored(issue, person, clock, typed):
    _attempt, token = issue()
    code = last_code(person.phone)
    value = typed.format(a=code[:3], b=code[3:])
    assert code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value=value).outcome == (
        CodeOutcome.OK
    )


def test_wrong_codes_cost_tries_until_none_is_left(issue, person, clock, next_codes):
    next_codes("123456")
    _attempt, token = issue()
    lefts = [
        code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="000000")
        for _ in range(settings.CODE_MAX_TRIES)
    ]
    assert [c.outcome for c in lefts] == [CodeOutcome.WRONG] * settings.CODE_MAX_TRIES
    assert [c.tries_left for c in lefts] == list(range(settings.CODE_MAX_TRIES - 1, -1, -1))
    final = code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="123456")
    assert final.outcome == CodeOutcome.EXHAUSTED


def test_an_expired_code_is_refused_without_costing_a_try(issue, person, clock):
    attempt, token = issue()
    code = last_code(person.phone)
    clock.shift(settings.CODE_TTL_SECONDS)
    check = code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value=code)
    assert check.outcome == CodeOutcome.EXPIRED
    assert check.tries_left == settings.CODE_MAX_TRIES
    attempt.refresh_from_db()
    assert attempt.tries == 0 and attempt.used_at is None


def test_a_code_works_for_its_purpose_and_attempt_only(issue, person, clock):
    _attempt, token = issue()
    code = last_code(person.phone)
    assert (
        code_verify(binding_token=token, purpose=CodePurpose.MANDATE_SIGN, value=code).outcome
        == CodeOutcome.UNKNOWN
    )
    assert (
        code_verify(binding_token=token + "x", purpose=CodePurpose.LOGIN, value=code).outcome
        == CodeOutcome.UNKNOWN
    )
    assert (
        code_verify(binding_token="", purpose=CodePurpose.LOGIN, value=code).outcome
        == CodeOutcome.UNKNOWN
    )
    assert code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value=code).outcome == (
        CodeOutcome.OK
    )


def _code_in(text: str, pattern: str) -> str:
    """The code a message carries: the first group of ``pattern``."""
    found = re.search(pattern, text)
    assert found is not None, text
    return found.group(1)


def test_codes_have_the_configured_number_of_digits_and_vary(issue, person, clock, settings):
    settings.CODE_DIGITS = 8
    for _ in range(8):
        issue()
    codes = [_code_in(m.body_text, r"\b(\d+)\b") for m in sms_to(person.phone)]
    assert all(len(code) == 8 for code in codes)
    assert len(set(codes)) > 1


def test_a_resend_waits_for_the_cool_down_then_replaces_the_code(
    issue, person, clock, next_codes, deliver, request_
):
    next_codes("111111", "222222")
    _attempt, token = issue()
    clock.shift(settings.CODE_RESEND_COOLDOWN_SECONDS - 15)

    def resend():
        with deliver():
            return code_resend(
                binding_token=token,
                purpose=CodePurpose.LOGIN,
                destination=person.phone,
                language="en",
                context=Context.from_request(request_),
            )

    early = resend()
    assert early.outcome == ResendOutcome.COOLDOWN
    assert early.retry_after == 15
    assert len(sms_to(person.phone)) == 1

    clock.shift(15)
    assert resend().outcome == ResendOutcome.SENT
    assert last_code(person.phone) == "222222"
    assert code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="111111").outcome == (
        CodeOutcome.WRONG
    )
    assert code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="222222").outcome == (
        CodeOutcome.OK
    )


def test_a_resend_renews_the_expiry_but_not_the_tries(issue, person, clock, next_codes, deliver):
    next_codes("111111", "222222")
    _attempt, token = issue()
    code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="000000")
    clock.shift(settings.CODE_TTL_SECONDS + 1)
    with deliver():
        code_resend(
            binding_token=token,
            purpose=CodePurpose.LOGIN,
            destination=person.phone,
            language="en",
            context=SYSTEM,
        )
    check = code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="000000")
    assert check.outcome == CodeOutcome.WRONG
    assert check.tries_left == settings.CODE_MAX_TRIES - 2
    assert code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="222222").outcome == (
        CodeOutcome.OK
    )


def test_an_attempt_sends_a_limited_number_of_codes(issue, person, clock, deliver):
    _attempt, token = issue()
    outcomes = []
    for _ in range(CODE_MAX_SENDS_PER_ATTEMPT):
        clock.shift(settings.CODE_RESEND_COOLDOWN_SECONDS)
        with deliver():
            outcomes.append(
                code_resend(
                    binding_token=token,
                    purpose=CodePurpose.LOGIN,
                    destination=person.phone,
                    language="en",
                    context=SYSTEM,
                ).outcome
            )
    assert outcomes == [ResendOutcome.SENT] * (CODE_MAX_SENDS_PER_ATTEMPT - 1) + [
        ResendOutcome.LIMITED
    ]
    assert len(sms_to(person.phone)) == CODE_MAX_SENDS_PER_ATTEMPT


def test_a_resend_goes_only_where_the_attempt_started(issue, person, clock):
    _attempt, token = issue()
    clock.shift(settings.CODE_RESEND_COOLDOWN_SECONDS)
    result = code_resend(
        binding_token=token,
        purpose=CodePurpose.LOGIN,
        destination="+32470999999",
        language="en",
        context=SYSTEM,
    )
    assert result.outcome == ResendOutcome.UNKNOWN
    assert not OutboundMessage.objects.filter(to="+32470999999").exists()


def test_one_destination_gets_a_limited_number_of_codes_per_hour(issue, person, clock):
    for _ in range(CODE_SENDS_PER_DESTINATION):
        issue()
    with pytest.raises(CodeRateLimited) as refused:
        issue()
    assert 0 < refused.value.retry_after <= 3600
    assert len(sms_to(person.phone)) == CODE_SENDS_PER_DESTINATION
    clock.shift(3600)
    issue()
    assert len(sms_to(person.phone)) == CODE_SENDS_PER_DESTINATION + 1


def test_e_mail_codes_arrive_by_e_mail_in_the_persons_language(issue, person, clock, mailoutbox):
    _attempt, token = issue(
        purpose=CodePurpose.EMAIL_VERIFY,
        channel=CodeChannel.EMAIL,
        destination="new.address@example.be",
        language="en",
    )
    (mail,) = mailoutbox
    assert mail.to == ["new.address@example.be"]
    assert mail.subject == "Your Paraph verification code"
    code = _code_in(mail.body, r"\b(\d{6})\b")
    assert "valid 10 minutes" in mail.body
    assert code in mail.alternatives[0][0]
    message = OutboundMessage.objects.get()
    assert message.secret
    assert (
        code_verify(binding_token=token, purpose=CodePurpose.EMAIL_VERIFY, value=code).outcome
        == CodeOutcome.OK
    )


def test_a_decoy_sends_nothing_and_accepts_no_code(issue, clock, monkeypatch):
    monkeypatch.setattr(one_time_codes, "code_new", lambda: "123456")
    attempt, token = issue(destination="+32470999999", person=None, decoy=True)
    assert not OutboundMessage.objects.exists()
    assert not AuditEvent.objects.exists()
    check = code_verify(binding_token=token, purpose=CodePurpose.LOGIN, value="123456")
    assert check.outcome == CodeOutcome.WRONG
    assert attempt.is_decoy


def test_old_attempts_are_pruned(issue, clock):
    old, _token = issue()
    clock.shift(settings.CODE_TTL_SECONDS + 24 * 3600 + 1)
    services.code_prune()
    assert not OneTimeCode.objects.filter(pk=old.pk).exists()

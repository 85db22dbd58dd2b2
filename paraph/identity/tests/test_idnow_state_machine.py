"""IDnow's results through the webhook: every status, idempotence, results
out of order, the webhook's secret, the e-mail after a review, polling."""

from __future__ import annotations

import base64
import json

import pytest
import time_machine

from paraph.audit.models import AuditEvent
from paraph.identity.models import IdnowIdentification, RegistrationAttempt
from paraph.identity.providers.idnow.checks import (
    IdnowPayload,
)
from paraph.identity.providers.idnow.services import (
    idnow_identification_create,
    idnow_result_apply,
    idnow_webhook_authorization,
)
from paraph.identity.providers.idnow.tasks import (
    idnow_poll,
    idnow_poll_once,
    idnow_poll_schedule,
    poll_delay,
)
from paraph.identity.tests.idnow_peer import (  # noqa: F401 (fixture)
    WEBHOOK_SECRET,
    idnow_gateway_fixture,
    idnow_result,
)
from paraph.notifications.models import OutboundMessage

NOW = "2026-11-23T10:00:00+01:00"
URL = "/register/idnow/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.IDNOW_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.IDNOW_COMPANY_ID = "paraphtest"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def identification(db):
    from django.utils import timezone

    attempt = RegistrationAttempt.objects.create(
        method="idnow", language="en", expires_at=timezone.now()
    )
    return idnow_identification_create(
        transaction_number="PRFTEST1",
        ident_id="TST-00001",
        country="PL",
        document_type="passport",
        attempt=attempt,
        sandbox=False,
    )


def post(client, data, *, secret=WEBHOOK_SECRET, authorization=None):
    header = authorization if authorization is not None else idnow_webhook_authorization(secret)
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=header)


def status_of(identification) -> str:
    identification.refresh_from_db()
    return identification.status


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(name=name).order_by("id"))


# --- Every status --------------------------------------------------------------


@pytest.mark.parametrize("result", ["SUCCESS", "SUCCESS_DATA_CHANGED"])
def test_a_success_with_a_good_document_succeeds(client, identification, result):
    response = post(client, idnow_result("PRFTEST1", result))

    assert response.status_code == 200
    assert response.json() == {"detail": "applied"}
    assert status_of(identification) == result
    assert identification.document["check"] == {"ok": True, "code": "", "reason": ""}
    assert identification.document["type"] == "passport"
    assert identification.document["mrz_format"] == "TD3"
    (event,) = events("identity.idnow.succeeded")
    assert event.data["from"] == "STARTED" and event.data["to"] == result


@pytest.mark.parametrize("result", ["REVIEW_PENDING", "CHECK_PENDING", "FRAUD_SUSPICION_PENDING"])
def test_a_pending_result_waits(client, identification, result):
    assert post(client, idnow_result("PRFTEST1", result)).status_code == 200
    assert status_of(identification) == result
    assert len(events("identity.idnow.pending")) == 1


@pytest.mark.parametrize("result", ["FRAUD_SUSPICION_CONFIRMED", "CANCELED", "ABORTED"])
def test_a_final_failure_fails(client, identification, result):
    assert post(client, idnow_result("PRFTEST1", result)).status_code == 200
    assert status_of(identification) == result
    (event,) = events("identity.idnow.failed")
    assert event.data["to"] == result


def test_the_stored_result_keeps_no_attachments(client, identification):
    post(client, idnow_result("PRFTEST1", "SUCCESS"))
    identification.refresh_from_db()
    assert "attachments" not in identification.result
    assert identification.result["identificationprocess"]["id"] == "TST-00001"


# --- Idempotence and order ---------------------------------------------------------


def test_the_same_result_twice_changes_nothing_the_second_time(client, identification):
    post(client, idnow_result("PRFTEST1", "SUCCESS"))
    identification.refresh_from_db()
    before = (identification.updated_at, identification.document, AuditEvent.objects.count())

    response = post(client, idnow_result("PRFTEST1", "SUCCESS"))

    assert response.json() == {"detail": "unchanged"}
    identification.refresh_from_db()
    assert (
        identification.updated_at,
        identification.document,
        AuditEvent.objects.count(),
    ) == before


def test_an_older_pending_status_arriving_late_never_overrides_a_final_one(client, identification):
    post(client, idnow_result("PRFTEST1", "REVIEW_PENDING"))
    post(client, idnow_result("PRFTEST1", "SUCCESS"))
    count = AuditEvent.objects.count()

    response = post(client, idnow_result("PRFTEST1", "REVIEW_PENDING"))

    assert response.json() == {"detail": "ignored"}
    assert status_of(identification) == "SUCCESS"
    assert AuditEvent.objects.count() == count


def test_a_started_status_after_a_pending_one_is_ignored(client, identification):
    post(client, idnow_result("PRFTEST1", "CHECK_PENDING"))
    assert post(client, idnow_result("PRFTEST1", "STARTED")).json() == {"detail": "ignored"}
    assert status_of(identification) == "CHECK_PENDING"


def test_one_pending_status_may_follow_another(client, identification):
    post(client, idnow_result("PRFTEST1", "REVIEW_PENDING"))
    post(client, idnow_result("PRFTEST1", "FRAUD_SUSPICION_PENDING"))
    assert status_of(identification) == "FRAUD_SUSPICION_PENDING"
    assert len(events("identity.idnow.pending")) == 2


def test_another_final_result_after_a_final_one_is_kept_out_and_recorded(client, identification):
    post(client, idnow_result("PRFTEST1", "SUCCESS"))

    response = post(client, idnow_result("PRFTEST1", "FRAUD_SUSPICION_CONFIRMED"))

    assert response.json() == {"detail": "conflict"}
    assert status_of(identification) == "SUCCESS"
    (event,) = events("identity.idnow.conflict")
    assert event.data["kept"] == "SUCCESS"
    assert event.data["ignored"] == "FRAUD_SUSPICION_CONFIRMED"


def test_the_state_machine_refuses_an_unknown_transaction(db):
    payload = IdnowPayload.parse(idnow_result("NOPE", "SUCCESS"))
    with pytest.raises(IdnowIdentification.DoesNotExist):
        idnow_result_apply(payload=payload, source="poll")


# --- The webhook's door ------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "Bearer " + WEBHOOK_SECRET,
        idnow_webhook_authorization("not-the-secret"),
        idnow_webhook_authorization(WEBHOOK_SECRET[:-1]),
        "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode(),  # no "user:"
        "Basic !!!not-base64!!!",
    ],
    ids=["none", "bearer", "wrong", "almost", "no-colon", "garbage"],
)
def test_a_webhook_without_the_secret_is_refused_and_changes_nothing(
    client, identification, authorization
):
    count = AuditEvent.objects.count()

    response = post(client, idnow_result("PRFTEST1", "SUCCESS"), authorization=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert status_of(identification) == "STARTED"
    assert AuditEvent.objects.count() == count


def test_with_no_secret_configured_outside_the_sandbox_every_webhook_is_refused(
    client, identification, settings
):
    settings.IDNOW_WEBHOOK_SECRET = ""
    settings.IDNOW_SANDBOX_WEBHOOK_SECRET = False
    response = post(client, idnow_result("PRFTEST1", "SUCCESS"), secret="")
    assert response.status_code == 401
    assert status_of(identification) == "STARTED"


def test_many_refused_webhooks_from_one_address_are_slowed_down(client, identification):
    codes = [post(client, {}, secret=f"guess-{n}").status_code for n in range(31)]
    assert codes[:30] == [401] * 30
    assert codes[30] == 429


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"not json", 400, "not an IDnow result"),
        (b"[]", 400, "no identificationprocess"),
        (
            {"identificationprocess": {"result": "MAYBE", "transactionnumber": "PRFTEST1"}},
            400,
            "unknown result",
        ),
        ({"identificationprocess": {"result": "SUCCESS"}}, 400, "no transaction number"),
        (b"{" + b" " * 1_000_001 + b"}", 413, "too large"),
    ],
    ids=["not-json", "list", "unknown-result", "no-transaction", "too-large"],
)
def test_a_malformed_result_is_refused(client, identification, body, status, detail):
    response = post(client, body)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert status_of(identification) == "STARTED"


def test_a_result_for_an_unknown_transaction_is_a_404(client, identification):
    response = post(client, idnow_result("PRFOTHER", "SUCCESS"))
    assert response.status_code == 404
    assert status_of(identification) == "STARTED"


def test_a_result_naming_another_company_is_refused(client, identification):
    response = post(client, idnow_result("PRFTEST1", "SUCCESS", company="someone-else"))
    assert response.status_code == 400
    assert status_of(identification) == "STARTED"


def test_the_webhook_cannot_drive_a_sandbox_identification(client, db):
    idnow_identification_create(
        transaction_number="PRFSBX1",
        ident_id="SBX-1",
        country="NL",
        document_type="passport",
        attempt=None,
        sandbox=True,
    )
    response = post(client, idnow_result("PRFSBX1", "SUCCESS", company="paraph-sandbox"))
    assert response.status_code == 400
    assert IdnowIdentification.objects.get(transaction_number="PRFSBX1").status == "STARTED"


def test_the_webhook_takes_only_post(client, identification):
    assert client.get(URL).status_code == 405


# --- The e-mail after a review -----------------------------------------------------


def test_a_decision_after_a_review_is_sent_by_e_mail(client, identification, deliver, mailoutbox):
    post(client, idnow_result("PRFTEST1", "REVIEW_PENDING"))
    assert OutboundMessage.objects.count() == 0

    with deliver():
        post(client, idnow_result("PRFTEST1", "SUCCESS"))

    (mail,) = mailoutbox
    assert mail.to == ["zofia.kowalska@example.pl"]
    assert mail.subject == "Your identity is confirmed"
    assert "Continue your registration" in mail.body
    assert "http://127.0.0.1:8000/register/idnow/status/" in mail.body


def test_a_refusal_after_a_review_is_sent_by_e_mail_without_saying_fraud(
    client, identification, deliver, mailoutbox
):
    post(client, idnow_result("PRFTEST1", "FRAUD_SUSPICION_PENDING"))
    with deliver():
        post(client, idnow_result("PRFTEST1", "FRAUD_SUSPICION_CONFIRMED"))

    (mail,) = mailoutbox
    assert mail.subject == "We could not confirm your identity"
    assert "fraud" not in (mail.subject + mail.body).lower()
    assert "Please call the contact centre" in mail.body


def test_no_e_mail_when_the_result_comes_at_once(client, identification, deliver, mailoutbox):
    with deliver():
        post(client, idnow_result("PRFTEST1", "SUCCESS"))
    assert mailoutbox == []


# --- Polling when the webhook is late ------------------------------------------------


def test_polling_applies_the_result_idnow_has(idnow_gateway, identification):
    idnow_gateway.results["PRFTEST1"] = idnow_result("PRFTEST1", "SUCCESS")

    assert idnow_poll_once(transaction_number="PRFTEST1") == "final"

    assert status_of(identification) == "SUCCESS"
    (event,) = events("identity.idnow.succeeded")
    assert event.data["source"] == "poll"


def test_polling_a_final_identification_asks_idnow_nothing(idnow_gateway, identification):
    post_result = idnow_result("PRFTEST1", "CANCELED")
    idnow_result_apply(payload=IdnowPayload.parse(post_result), source="webhook")

    assert idnow_poll_once(transaction_number="PRFTEST1") == "final"
    assert idnow_gateway.requests == []


def test_polling_survives_idnow_being_down(idnow_gateway, identification):
    idnow_gateway.fail["/identifications/PRFTEST1"] = 503
    assert idnow_poll_once(transaction_number="PRFTEST1") == "error"
    assert status_of(identification) == "STARTED"


def test_polling_backs_off_and_stops_when_the_result_is_final(
    idnow_gateway, identification, settings
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}
    }
    from django_tasks import task_backends
    from django_tasks.backends.dummy import DummyBackend

    kept = task_backends["default"]
    assert isinstance(kept, DummyBackend)
    assert [poll_delay(n).total_seconds() / 60 for n in range(7)] == [2, 4, 8, 16, 32, 60, 60]

    assert idnow_poll_schedule(transaction_number="PRFTEST1", attempt=0)
    (first,) = kept.results
    assert first.args == ["PRFTEST1", 0]

    # IDnow has nothing yet: the next poll is queued, twice as late.
    idnow_gateway.results["PRFTEST1"] = idnow_result("PRFTEST1", "STARTED")
    assert idnow_poll.call("PRFTEST1", 0) == "waiting"
    second = kept.results[-1]
    assert second.args == ["PRFTEST1", 1]
    run_after = second.task.run_after
    assert run_after is not None and run_after.isoformat() == "2026-11-23T09:04:00+00:00"

    # The result is final: no further poll.
    idnow_gateway.results["PRFTEST1"] = idnow_result("PRFTEST1", "SUCCESS")
    assert idnow_poll.call("PRFTEST1", 1) == "final"
    assert len(kept.results) == 2
    assert status_of(identification) == "SUCCESS"

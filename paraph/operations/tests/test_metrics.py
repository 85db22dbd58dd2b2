"""``/metrics``: what Prometheus reads, parsed as Prometheus parses it, and
numbers that move when something happens that a person would notice."""

from __future__ import annotations

import datetime
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from paraph.mandates.tests.conftest import PASSWORD, verified

TOKEN = "m" * 40


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return read


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_not_there_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_metrics_need_the_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "x" * 40)
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert b"paraph_" not in wrong.content


@pytest.mark.django_db
def test_requests_are_counted_per_view_method_and_status_class(client, scrape):
    before = scrape()
    client.get("/")
    client.get("/")
    client.get("/no/such/page/")
    after = scrape()

    home = {"view": "web:home", "method": "GET", "status": "2xx"}
    assert value(after, "paraph_http_requests_total", **home) == (
        value(before, "paraph_http_requests_total", **home) + 2
    )
    missing = {"view": "unresolved", "method": "GET", "status": "4xx"}
    assert value(after, "paraph_http_requests_total", **missing) == (
        value(before, "paraph_http_requests_total", **missing) + 1
    )
    # Latencies: a histogram per view, whose count follows the requests.
    count = ("paraph_http_request_duration_seconds_count", {"view": "web:home", "method": "GET"})
    assert value(after, count[0], **count[1]) == value(before, count[0], **count[1]) + 2
    # The scrapes themselves and the health checks are not traffic.
    assert not any(labels and dict(labels).get("view") == "metrics" for _n, labels in after)


def test_a_contract_signed_moves_the_numbers(scrape, clock, mandate_for, make_contract):
    contract = make_contract()
    person = verified(contract.recipient)
    mandate_for(person)
    before = scrape()
    assert value(before, "paraph_contracts", state="sent") == 1
    assert value(before, "paraph_contracts_settled_24h", state="signed") == 0

    from paraph.mandates import services

    services.contract_sign_with_password(contract=contract, person=person, password=PASSWORD)
    after = scrape()

    assert value(after, "paraph_contracts", state="sent") == 0
    assert value(after, "paraph_contracts_settled_24h", state="signed") == 1
    ok = {"method": "key", "outcome": "ok"}
    assert (
        value(after, "paraph_signatures_total", **ok)
        >= value(before, "paraph_signatures_total", **ok) + 1
    )
    assert value(after, "paraph_signature_duration_seconds_count", method="key") > value(
        before, "paraph_signature_duration_seconds_count", method="key"
    )
    assert value(after, "paraph_audit_events") > value(before, "paraph_audit_events")
    unsealed = value(after, "paraph_audit_events_unsealed")
    assert unsealed == value(after, "paraph_audit_events") > 0
    # Every state is there, at zero when no contract is in it: the open ones
    # as they are now, the final ones as they ended in the last 24 hours.
    assert ("paraph_contracts", (("state", "opened"),)) in after
    assert value(after, "paraph_contracts_settled_24h", state="refused") == 0
    assert ("paraph_contracts_settled_24h", (("state", "refused"),)) in after
    assert ("paraph_contracts", (("state", "signed"),)) not in after

    # A contract signed more than a day ago has left the window; the events
    # a checkpoint sealed are no longer counted as unsealed.
    from paraph.audit.services import audit_checkpoint

    audit_checkpoint()
    clock.shift(datetime.timedelta(days=1, seconds=1))
    later = scrape()
    assert value(later, "paraph_contracts_settled_24h", state="signed") == 0
    assert value(later, "paraph_audit_events_unsealed") < unsealed


@pytest.mark.django_db
def test_messages_and_queue_depth_follow_what_is_queued(scrape, settings, deliver):
    from paraph.notifications.services import email_send

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notifications", "webhooks"],
        }
    }
    before = scrape()

    with deliver():  # the enqueue that waits for the commit runs
        email_send(
            to="anne.martin@example.be",
            template="accounts_welcome",
            context={},
            language="fr",
        )
    after = scrape()

    queued = {"channel": "email", "status": "queued"}
    assert (
        value(after, "paraph_messages", **queued) == value(before, "paraph_messages", **queued) + 1
    )
    assert value(after, "paraph_task_queue_depth", queue="notifications") == (
        value(before, "paraph_task_queue_depth", queue="notifications") + 1
    )
    assert value(after, "paraph_scrape_errors", part="queues") == 0
    assert value(after, "paraph_workers_alive") == 0


@pytest.mark.django_db
def test_webhook_deliveries_are_counted_by_status(scrape):
    after = scrape()
    for status in ("pending", "delivering", "retrying"):
        assert ("paraph_webhook_deliveries", (("status", status),)) in after
    for status in ("succeeded", "failed"):
        assert ("paraph_webhook_deliveries_done_24h", (("status", status),)) in after


@pytest.mark.redis  # with REDIS_URL only: the production queue
@pytest.mark.django_db
def test_queue_depth_of_the_redis_queues(scrape, settings, rq_admin_forgotten_afterwards):
    import django_rq
    from django.conf import settings as django_settings

    from paraph.notifications.tasks import deliver_message

    # Queues of this test's own: other tests may share this Redis meanwhile.
    busy, idle = f"metrics-busy-{os.getpid()}", f"metrics-idle-{os.getpid()}"
    settings.INSTALLED_APPS = [*django_settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    settings.RQ_QUEUES = {name: {"URL": os.environ["REDIS_URL"]} for name in (busy, idle)}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [busy, idle]}}
    queue = django_rq.get_queue(busy)
    try:
        deliver_message.using(queue_name=busy).enqueue(1, "sealed")
        deliver_message.using(queue_name=busy).enqueue(2, "sealed")
        after = scrape()
        assert value(after, "paraph_task_queue_depth", queue=busy) == 2
        assert value(after, "paraph_task_queue_depth", queue=idle) == 0
        assert value(after, "paraph_scrape_errors", part="queues") == 0
    finally:
        queue.empty()

"""``/health/live`` and ``/health/ready``: what a load balancer asks a node
before sending it traffic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from paraph.__main__ import main
from paraph.core.heartbeat import worker_heartbeat_record
from paraph.core.models import WorkerHeartbeat
from paraph.core.tests.test_worker import signal_handlers_kept

DATABASE_QUEUE = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notifications", "webhooks"],
    }
}


@pytest.fixture
def database_queue(settings):
    """The embedded default: the database's queue, which needs a worker, and
    no Redis."""
    settings.TASKS = DATABASE_QUEUE
    settings.REDIS_URL = ""


@pytest.fixture
def worker_alive(db):
    now = timezone.now()
    worker_heartbeat_record(name="node1:42", queues=["default"], started_at=now)


def test_live_answers_without_asking_anything(client):
    # No database access is allowed in this test: a query would fail it.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_is_green_and_names_every_check(client, database_queue, worker_alive):
    response = client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["failed"] == []
    assert body["checks"] == {
        "database": {"status": "ok"},
        "queue": {"status": "ok"},
        "storage": {"status": "ok"},
        "worker": {"status": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_ready_creates_no_session_sets_no_cookie_and_is_not_redirected(
    client, settings, database_queue, worker_alive
):
    from django.contrib.sessions.models import Session

    # Production: HTTPS redirect, host checks; a balancer asks by address
    # over plain HTTP, in no particular language, and often.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["paraph.example.be"]
    for _ in range(50):
        response = client.get(
            "/health/ready/", HTTP_HOST="10.0.0.7:8000", HTTP_ACCEPT_LANGUAGE="nl"
        )
        assert response.status_code == 200
    assert not response.cookies
    assert not Session.objects.exists()
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_ready_is_red_naming_the_worker_when_none_was_seen(client, database_queue, caplog):
    response = client.get("/health/ready")

    # One log line, with the reason.
    assert "not ready: worker (never seen)" in caplog.text
    assert "Service Unavailable" not in caplog.text

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["failed"] == ["worker"]
    assert body["checks"]["worker"] == {"status": "fail", "detail": "never seen"}
    assert body["checks"]["database"] == {"status": "ok"}


@pytest.mark.django_db
def test_ready_is_red_when_the_only_worker_went_quiet(client, settings, database_queue):
    settings.WORKER_SEEN_SECONDS = 120
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    worker_heartbeat_record(name="node1:42", queues=["default"], started_at=long_ago)
    WorkerHeartbeat.objects.update(last_seen_at=long_ago)

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["detail"] == "last seen 600 s ago"


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_says_it_is_alive(client, settings, database_queue):
    assert client.get("/health/ready").status_code == 503

    with signal_handlers_kept():
        main(["paraph", "worker", "--batch", "--no-startup-delay", "-v0"])

    beat = WorkerHeartbeat.objects.get()
    assert beat.queues == "default,notifications,webhooks"
    assert client.get("/health/ready").status_code == 200


@pytest.mark.django_db
def test_ready_needs_no_worker_when_tasks_run_where_they_are_queued(client, settings):
    settings.REDIS_URL = ""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "storage"}


@pytest.mark.django_db
def test_ready_is_red_naming_the_database_when_it_does_not_answer(
    client, database_queue, worker_alive, monkeypatch
):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    # The edge: the database driver's connection.
    monkeypatch.setattr(connections["default"], "cursor", unreachable)
    monkeypatch.setattr(connections["default"], "chunked_cursor", unreachable)

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert "database" in body["failed"]
    assert body["checks"]["database"] == {"status": "fail", "detail": "OperationalError"}
    assert "connection refused" not in response.content.decode()


@pytest.mark.django_db
def test_ready_is_red_naming_redis_when_it_does_not_answer(
    client, settings, database_queue, worker_alive
):
    # A port nothing listens on: the real client, refused for real.
    settings.REDIS_URL = "redis://127.0.0.1:9/0"

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"] == {"status": "fail", "detail": "ConnectionError"}


@pytest.mark.django_db
def test_ready_is_red_naming_the_rq_queue_when_its_redis_does_not_answer(
    client, settings, worker_alive
):
    settings.REDIS_URL = ""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:9/0"}}

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["failed"] == ["queue"]


@pytest.mark.django_db
def test_ready_is_red_naming_the_storage_when_documents_cannot_be_written(
    client, settings, tmp_path, database_queue, worker_alive
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the documents folder should be")
    settings.MEDIA_ROOT = blocked
    # on the file system, even in the run that keeps documents in S3
    settings.STORAGES = {**settings.STORAGES, "default": settings.DOCUMENT_STORAGES["filesystem"]}

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


@pytest.mark.django_db
def test_health_only_answers_get(client):
    assert client.post("/health/ready").status_code == 405
    assert client.get("/health/other").status_code == 404


@pytest.mark.redis  # with REDIS_URL only: the production profile's parts
@pytest.mark.django_db
def test_ready_with_redis_and_its_queue_then_red_when_redis_goes_away(
    client, settings, worker_alive
):
    import os

    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": os.environ["REDIS_URL"]}}

    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    assert set(response.json()["checks"]) == {"database", "redis", "queue", "storage", "worker"}

    gone = "redis://127.0.0.1:9/0"
    settings.REDIS_URL = gone
    settings.RQ_QUEUES = {"default": {"URL": gone}}
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["redis", "queue"]

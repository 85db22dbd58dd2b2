"""``paraph worker`` delivers what the web processes queued: a message queued
in one process is sent by the worker, through the real queue backend."""

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django_tasks_db.models import DBTaskResult

from paraph.__main__ import main
from paraph.notifications.models import Channel, OutboundMessage, SandboxMessage
from paraph.notifications.services import email_send

SANDBOX_EMAIL = "paraph.notifications.backends.SandboxEmailBackend"


@contextmanager
def signal_handlers_kept() -> Iterator[None]:
    """Workers install their own SIGINT/SIGTERM handlers; give pytest its own back."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


@pytest.fixture
def probe_templates(settings, tmp_path: Path) -> None:
    """A message of this test's own, so it does not depend on the wording of
    the product's messages."""
    folder = tmp_path / "notifications" / "email"
    folder.mkdir(parents=True)
    (folder / "worker_probe_subject.txt").write_text("Probe {{ code }}")
    (folder / "worker_probe.txt").write_text("Your code is {{ code }}.")
    (folder / "worker_probe.html").write_text("<p>Your code is {{ code }}.</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.EMAIL_BACKEND = SANDBOX_EMAIL


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_delivers_a_queued_email(settings, probe_templates):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "notifications"],
        }
    }

    message = email_send(
        to="anne.martin@example.be",
        template="worker_probe",
        context={"code": "482913"},
        language="en",
    )

    # Queued in the database, not sent by the process that asked for it.
    task = DBTaskResult.objects.get()
    assert task.queue_name == "notifications"
    assert not SandboxMessage.objects.exists()
    assert "482913" not in str(task.args_kwargs)  # the code travels sealed

    with signal_handlers_kept():
        main(["paraph", "worker", "--batch", "--no-startup-delay", "-v0"])

    delivered = SandboxMessage.objects.get()
    assert (delivered.channel, delivered.to) == (Channel.EMAIL, "anne.martin@example.be")
    assert delivered.subject == "Probe 482913"
    assert "Your code is 482913." in delivered.body_text
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"


@pytest.fixture
def rq_admin_forgotten_afterwards():
    """Installing django_rq for one test registers its models in the admin
    site; they must go with it, or every later back-office page of this
    process lists an app that is no longer installed (and fails)."""
    yield
    from django.contrib import admin

    rq_apps = ("django_rq", "django_tasks_rq")
    for model in [m for m in admin.site._registry if m._meta.app_label in rq_apps]:
        admin.site.unregister(model)


@pytest.mark.redis  # with REDIS_URL only: the production queue
@pytest.mark.django_db(transaction=True)
def test_the_redis_worker_delivers_a_queued_email(
    settings, probe_templates, rq_admin_forgotten_afterwards
):
    settings.INSTALLED_APPS = [*django_settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    settings.RQ_QUEUES = {
        name: {"URL": os.environ["REDIS_URL"]} for name in ("default", "notifications")
    }
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", "notifications"]}
    }

    message = email_send(
        to="jan.peeters@example.be",
        template="worker_probe",
        context={"code": "774411"},
        language="en",
    )
    assert not SandboxMessage.objects.exists()

    with signal_handlers_kept():
        # SimpleWorker runs the job in this process (RQ forks by default),
        # so it sees this test's database.
        main(["paraph", "worker", "--burst", "--worker-class", "rq.worker.SimpleWorker", "-v0"])

    delivered = SandboxMessage.objects.get()
    assert delivered.to == "jan.peeters@example.be"
    assert delivered.subject == "Probe 774411"
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT

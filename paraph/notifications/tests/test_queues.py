"""A log-in code never waits behind bulk work (ADR 25): codes go by the
interactive queue, which ``paraph worker`` serves with a process of its own.
The last test runs the real thing: a ``paraph worker`` busy with a bulk send
and hundreds of e-mails still delivers a log-in SMS within seconds."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from paraph.accounts.models import CodeChannel, CodePurpose
from paraph.accounts.services import code_issue
from paraph.core.context import SYSTEM
from paraph.core.tests.sites import site_env, wait_until
from paraph.notifications.models import OutboundMessage
from paraph.notifications.services import email_send

REPO = Path(__file__).resolve().parents[3]
DATABASE_QUEUES = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["interactive", "notifications", "webhooks", "default"],
    }
}


@pytest.mark.django_db(transaction=True)
def test_codes_go_by_the_interactive_queue_and_other_mail_does_not(settings, person):
    settings.TASKS = DATABASE_QUEUES

    code_issue(
        purpose=CodePurpose.LOGIN,
        channel=CodeChannel.SMS,
        destination=person.phone,
        person=person,
        language="en",
        context=SYSTEM,
    )
    code_issue(
        purpose=CodePurpose.LOGIN,
        channel=CodeChannel.EMAIL,
        destination=person.email,
        person=person,
        language="en",
        context=SYSTEM,
    )
    email_send(to=person.email, template="test_message", context={"name": "A"}, language="en")

    queued = {
        (m.channel, m.interactive): m.pk for m in OutboundMessage.objects.order_by("pk").all()
    }
    assert set(queued) == {("sms", True), ("email", True), ("email", False)}
    tasks = {int(t.args_kwargs["args"][0]): t for t in DBTaskResult.objects.all()}
    assert tasks[queued["sms", True]].queue_name == "interactive"
    assert tasks[queued["email", True]].queue_name == "interactive"
    assert tasks[queued["email", False]].queue_name == "notifications"
    # A worker that serves every queue takes the codes first.
    assert tasks[queued["sms", True]].priority > tasks[queued["email", False]].priority


# --- The real worker, busy with bulk work ------------------------------------------


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _wait(what: str, condition: Callable[[], bool], timeout: float) -> None:
    wait_until(what, condition, timeout, every=0.05)


def _query(env: dict[str, str], sql: str, *params: object) -> list[tuple[object, ...]]:
    path = Path(env["PARAPH_DATA_DIR"]) / "paraph.sqlite3"
    with sqlite3.connect(path, timeout=20) as connection:
        return list(connection.execute(sql, params).fetchall())


def _contracts_left(env: dict[str, str]) -> int:
    """Contracts of the bulk send not made yet."""
    ((total, processed),) = _query(env, "SELECT total, processed FROM contracts_bulkbatch")
    return int(total) - int(processed)  # type: ignore[call-overload]


def _sms_to(env: dict[str, str], phone: str) -> bool:
    rows = _query(
        env,
        "SELECT 1 FROM notifications_sandboxmessage WHERE channel = 'sms' AND \"to\" = ?",
        phone,
    )
    return bool(rows)


def test_a_log_in_sms_arrives_while_the_worker_is_busy_with_bulk_work(tmp_path: Path) -> None:
    env = site_env(
        tmp_path, PARAPH_EMAIL_BACKEND="paraph.notifications.backends.SandboxEmailBackend"
    )
    phone = "+32470999001"
    _run(env, "-m", "paraph", "migrate", "-v0")
    _run(env, "-m", "paraph.notifications.tests.queuekit", "person", phone)
    # Bulk work first: a bulk send, then a few hundred e-mails behind it.
    _run(env, "-m", "paraph.core.tests.crashkit", "batch", "300")
    _run(env, "-m", "paraph.core.tests.crashkit", "emails", "300")
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "paraph", "worker", "--no-startup-delay"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait(
            "the bulk send to start",
            lambda: _query(env, "SELECT processed FROM contracts_bulkbatch")[0][0] >= 1,  # type: ignore[operator]
            timeout=120,
        )
        asked = time.monotonic()
        _run(env, "-m", "paraph.notifications.tests.queuekit", "login", phone)
        _wait("the log-in SMS", lambda: _sms_to(env, phone), timeout=60)
        waited = time.monotonic() - asked
        left = _contracts_left(env)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)

    # The code did not wait for the bulk send (one long task), nor for the
    # e-mails queued behind it.
    assert left > 0, f"the bulk send had ended\n{log.read_text()[-3000:]}"
    # Asking includes starting a Python process for the log-in page.
    assert waited < 15, waited
    print(f"log-in SMS after {waited:.1f} s (with a process start); contracts left: {left}")

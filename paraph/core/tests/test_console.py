"""The ``paraph`` console command installed with the package."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from paraph.accounts.models import Person
from paraph.core.demo import DEMO_AGENT, DEMO_PEOPLE

PARAPH = Path(sys.executable).with_name("paraph")


def paraph(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PARAPH), *args],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "paraph.test_settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_paraph_help_lists_paraphs_own_commands():
    result = paraph("help")

    assert result.returncode == 0, result.stderr
    listed = {line.strip().split(" ")[0] for line in result.stdout.splitlines()}
    assert {"demo", "audit-verify", "worker", "migrate", "createsuperuser"} <= listed
    assert "[paraph]" in result.stdout


def test_paraph_help_commands_lists_worker_too():
    result = paraph("help", "--commands")

    assert "worker" in result.stdout.split()
    assert "demo" in result.stdout.split()


def test_paraph_help_worker_explains_the_configured_worker():
    result = paraph("help", "worker", PARAPH_TASK_BACKEND="database")

    assert result.returncode == 0, result.stderr
    assert "usage: paraph worker" in result.stdout
    assert "--batch" in result.stdout  # django-tasks-db's db_worker


def test_paraph_worker_says_when_there_is_nothing_to_run():
    result = paraph("worker", PARAPH_TASK_BACKEND="immediate")

    assert result.returncode == 2
    assert "there is no worker to start" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_demo_data_can_be_loaded_twice():
    call_command("demo", stdout=io.StringIO())
    first = sorted(Person.objects.values_list("email", "phone", "is_staff"))
    call_command("demo", stdout=io.StringIO())

    assert sorted(Person.objects.values_list("email", "phone", "is_staff")) == first
    assert {p["email"] for p in DEMO_PEOPLE} | {DEMO_AGENT["email"]} == {e for e, _, _ in first}


@pytest.mark.django_db
def test_demo_data_is_refused_outside_sandbox_mode(settings):
    settings.SANDBOX = False

    with pytest.raises(CommandError, match="sandbox"):
        call_command("demo")

    assert not Person.objects.exists()

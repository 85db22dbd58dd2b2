"""The ``paraph`` console command: Django's management commands, plus
Paraph's own (``paraph worker``, ``paraph audit-verify``, ``paraph demo``),
as ``python -m pretix`` does.

A start with missing or unsafe production settings prints the one message
that names them, without a traceback, and exits with status 2.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import BaseCommand, ManagementUtility
from django.core.management.color import color_style

WORKER_ALIAS = "worker"
WORKER_HELP = (
    "run the task worker of the configured queue: db_worker for the database "
    "backend, rqworker for Redis (PARAPH_TASK_BACKEND)"
)


class WorkerNotNeeded(Exception):
    """The configured task backend runs tasks itself; there is no worker to start."""


def worker_argv(rest: list[str]) -> list[str]:
    """The management command (and its arguments) that ``paraph worker`` runs
    for the task backend chosen in settings; ``rest`` is passed on."""
    from django.conf import settings

    backend = str(settings.TASKS["default"]["BACKEND"])
    queues = [str(q) for q in settings.TASKS["default"].get("QUEUES") or ["default"]]
    if backend.startswith("django_tasks_rq"):
        # RQ needs the backend's own Job class to call a django-tasks Task, and
        # its scheduler to run deferred tasks (a message's retry) when due.
        return [
            "rqworker",
            "--job-class",
            "django_tasks_rq.Job",
            "--with-scheduler",
            *rest,
            *queues,
        ]
    if backend.startswith("django_tasks_db"):
        chosen = any(arg.startswith("--queue-name") for arg in rest)
        return ["db_worker", *([] if chosen else ["--queue-name", "*"]), *rest]
    raise WorkerNotNeeded(
        f"the task backend {backend} runs every task in the process that enqueues it; "
        "there is no worker to start (set PARAPH_TASK_BACKEND=database or rq)"
    )


class ParaphUtility(ManagementUtility):
    """Django's command-line utility, which also knows ``paraph worker``."""

    def main_help_text(self, commands_only: bool = False) -> str:
        text = str(super().main_help_text(commands_only))
        if commands_only:
            return "\n".join(sorted([*text.splitlines(), WORKER_ALIAS]))
        style = color_style()
        return f"{text}\n\n{style.NOTICE('[paraph]')}\n    {WORKER_ALIAS}  ({WORKER_HELP})"

    def fetch_command(self, subcommand: str) -> BaseCommand:
        if subcommand == WORKER_ALIAS:  # ``paraph help worker``
            try:
                subcommand = worker_argv([])[0]
            except WorkerNotNeeded as exc:
                _fail(str(exc))
        command: BaseCommand = super().fetch_command(subcommand)
        return command


def _fail(message: str) -> None:
    sys.stderr.write(f"paraph: {message}\n")
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paraph.settings")
    args = list(sys.argv if argv is None else argv)
    args[0] = "paraph"

    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- loads the settings, which check themselves
    except ImproperlyConfigured as exc:
        _fail(str(exc))

    worker = len(args) > 1 and args[1] == WORKER_ALIAS
    if worker:
        try:
            args[1:] = worker_argv(args[2:])
        except WorkerNotNeeded as exc:
            _fail(str(exc))
    utility: Any = ParaphUtility(args)
    if not worker or "--help" in args or "-h" in args:
        utility.execute()
        return
    # The worker says it is alive while it runs (/health/ready reads it).
    import django

    django.setup()
    from paraph.core.heartbeat import heartbeat_running
    from paraph.scheduling.runner import ticker_start

    # ... and enqueues the scheduled jobs that are due (ADR 20).
    stop = ticker_start() if settings.SCHEDULE_TICK_SECONDS > 0 else None
    try:
        with heartbeat_running(settings.TASKS["default"].get("QUEUES") or ["default"]):
            utility.execute()
    finally:
        if stop is not None:
            stop.set()


if __name__ == "__main__":
    main()

"""The ``paraph`` console command: Django's management commands, plus
Paraph's own (``paraph worker``, ``paraph audit-verify``, ``paraph demo``),
as ``python -m pretix`` does.

A start with missing or unsafe production settings prints the one message
that names them, without a traceback, and exits with status 2.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import BaseCommand, ManagementUtility
from django.core.management.color import color_style

WORKER_ALIAS = "worker"
WORKER_HELP = (
    "run the task workers of the configured queue: db_worker for the database "
    "backend, rqworker for Redis (PARAPH_TASK_BACKEND); one process for every "
    "queue, interactive first, and PARAPH_WORKER_INTERACTIVE_PROCESSES more for "
    "the interactive queue alone; --queues a,b runs one process for those queues"
)
QUEUES_OPTION = "--queues"
INTERACTIVE_POLL_SECONDS = 0.2


class WorkerNotNeeded(Exception):
    """The configured task backend runs tasks itself; there is no worker to start."""


def worker_queues() -> list[str]:
    """Every queue of the configured backend, most urgent first."""
    from django.conf import settings

    return [str(q) for q in settings.TASKS["default"].get("QUEUES") or ["default"]]


def worker_argv(rest: list[str], queues: list[str] | None = None) -> list[str]:
    """The management command (and its arguments) that ``paraph worker`` runs
    for the task backend chosen in settings, on ``queues`` (all of them, most
    urgent first, when None); ``rest`` is passed on."""
    from django.conf import settings

    backend = str(settings.TASKS["default"]["BACKEND"])
    only = queues
    queues = queues or worker_queues()
    if backend.startswith("django_tasks_rq"):
        # RQ needs the backend's own Job class to call a django-tasks Task, and
        # its scheduler to run deferred tasks (a message's retry) when due; our
        # worker class takes over a dead worker's scheduler within seconds.
        return [
            "rqworker",
            "--worker-class",
            "paraph.core.rqworker.Worker",
            "--job-class",
            "django_tasks_rq.Job",
            "--with-scheduler",
            *rest,
            *queues,
        ]
    if backend.startswith("django_tasks_db"):
        # Every queue by default: the database backend hands out tasks by
        # priority, and interactive ones carry a higher one (ADR 25).
        chosen = any(arg.startswith("--queue-name") for arg in rest)
        named = ["--queue-name", ",".join(only) if only else "*"]
        return ["db_worker", *([] if chosen else named), *rest]
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


def _queues_option(rest: list[str]) -> tuple[list[str] | None, list[str]]:
    """``--queues a,b`` (or ``--queues=a,b``) taken out of ``rest``."""
    for i, arg in enumerate(rest):
        if arg == QUEUES_OPTION and i + 1 < len(rest):
            return [q for q in rest[i + 1].split(",") if q], rest[:i] + rest[i + 2 :]
        if arg.startswith(QUEUES_OPTION + "="):
            value = arg.partition("=")[2]
            return [q for q in value.split(",") if q], rest[:i] + rest[i + 1 :]
    return None, rest


def _die_with_parent() -> None:
    """In a child worker, before it runs: Linux sends it SIGTERM when the
    ``paraph worker`` that started it dies, even by SIGKILL, so no worker is
    left behind (it then finishes its task and stops)."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the process group still goes together
        pass


def interactive_workers_start(rest: list[str], count: int) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` worker processes for the interactive queue alone
    (ADR 25), with the same options, as children that die with this one."""
    from django.conf import settings

    command = [sys.executable, "-m", "paraph", WORKER_ALIAS, QUEUES_OPTION]
    command.append(settings.TASK_INTERACTIVE_QUEUE)
    polls = str(settings.TASKS["default"]["BACKEND"]).startswith("django_tasks_db")
    if polls and not any(arg.startswith("--interval") for arg in rest):
        # The database queue is polled: a person waits for these tasks, so
        # look often (an idle look is one indexed query).
        rest = [*rest, "--interval", str(INTERACTIVE_POLL_SECONDS)]
    return [
        subprocess.Popen([*command, *rest], preexec_fn=_die_with_parent)  # noqa: S603
        for _ in range(count)
    ]


def interactive_workers_stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask each child to stop (it finishes its task), then wait for it."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _one_shot(rest: list[str]) -> bool:
    """A run that stops once the queues are empty (tests, scripts): one
    process is enough."""
    return any(arg in ("--batch", "--burst") for arg in rest)


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
    queues: list[str] | None = None
    children_rest: list[str] = []
    if worker:
        queues, rest = _queues_option(args[2:])
        children_rest = rest
        try:
            args[1:] = worker_argv(rest, queues)
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

    # The interactive queue gets workers of its own, so a log-in code never
    # waits behind a batch (ADR 25); this process takes every queue.
    children = []
    if (
        queues is None
        and not _one_shot(children_rest)
        and settings.TASK_INTERACTIVE_QUEUE in worker_queues()
    ):
        children = interactive_workers_start(children_rest, settings.WORKER_INTERACTIVE_PROCESSES)
    # ... and the worker of every queue enqueues the scheduled jobs that are
    # due (ADR 20).
    tick = queues is None and settings.SCHEDULE_TICK_SECONDS > 0
    stop = ticker_start() if tick else None
    try:
        with heartbeat_running(queues or worker_queues()):
            utility.execute()
    finally:
        if stop is not None:
            stop.set()
        interactive_workers_stop(children)


if __name__ == "__main__":
    main()

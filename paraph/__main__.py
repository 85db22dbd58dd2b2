"""The ``paraph`` console command: Django's management commands, plus
Paraph's own (``paraph worker``, ``paraph audit-verify``, ``paraph demo``),
as ``python -m pretix`` does."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paraph.settings")
    args = list(sys.argv if argv is None else argv)
    args[0] = "paraph"
    from django.core.management import execute_from_command_line

    if len(args) > 1 and args[1] == "worker":
        import django
        from django.conf import settings

        django.setup()
        backend = str(settings.TASKS["default"]["BACKEND"])
        if backend.startswith("django_tasks_rq"):
            args[1:2] = ["rqworker", "default", "notifications"]
        else:
            args[1:2] = ["db_worker", "--queue-name", "*"]
    execute_from_command_line(args)


if __name__ == "__main__":
    main()

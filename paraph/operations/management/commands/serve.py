"""``paraph serve``: the production web server, gunicorn with Paraph's
configuration (paraph/gunicorn.conf.py, ADR 26)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

CONFIG = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"


class Command(BaseCommand):
    help = (
        "Run the production web server (gunicorn, configured by paraph/gunicorn.conf.py): "
        "PARAPH_BIND or PORT, PARAPH_WEB_WORKERS, PARAPH_WEB_THREADS, PARAPH_WEB_TIMEOUT."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", help="address:port (default: PARAPH_BIND, or 127.0.0.1:PORT)")
        parser.add_argument("--workers", type=int, help="processes (default: PARAPH_WEB_WORKERS)")

    def handle(self, *args: Any, **options: Any) -> None:
        from paraph.operations.serving import itsme_keys_ensure

        # The first start makes what must exist before the first request.
        itsme_keys_ensure()
        command = [sys.executable, "-m", "gunicorn", "--config", str(CONFIG)]
        if options.get("bind"):
            command += ["--bind", options["bind"]]
        if options.get("workers"):
            command += ["--workers", str(options["workers"])]
        sys.stdout.flush()
        sys.stderr.flush()
        # gunicorn takes this process's place: systemd's SIGTERM reaches it.
        os.execv(sys.executable, command)  # noqa: S606

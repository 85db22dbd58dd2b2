"""The ticker each ``paraph worker`` runs beside its task loop: every
``PARAPH_SCHEDULE_TICK_SECONDS`` it asks :func:`schedule_tick` to enqueue
what is due. Many workers tick; each fire time is claimed by one."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from paraph.core.heartbeat import stopped_within
from paraph.scheduling.services import schedule_tick

log = logging.getLogger(__name__)


def ticker_start() -> threading.Event:
    """Tick once now (so a worker started with ``--batch`` runs what is due),
    then start the ticker thread (a daemon); set the returned event to stop
    it."""
    stop = threading.Event()

    def tick() -> None:
        try:
            close_old_connections()
            schedule_tick()
        except Exception:  # the database away for a while: tick again later
            log.exception("scheduled jobs: tick failed")
        finally:
            close_old_connections()

    def loop() -> None:
        while not stopped_within(stop, settings.SCHEDULE_TICK_SECONDS):
            tick()

    tick()
    threading.Thread(target=loop, name="paraph-schedule", daemon=True).start()
    return stop

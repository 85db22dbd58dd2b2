"""``paraph serve``'s side of gunicorn (ADR 26): its access and error lines
written through Paraph's logging, so a log collector reads one format."""

from __future__ import annotations

import logging
import logging.config
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

ACCESS_LOGGER = "paraph.access"
SERVER_LOGGER = "paraph.server"


class ParaphLogger(Logger):
    """gunicorn's logger with Django's LOGGING (PARAPH_LOG_FORMAT): an access
    line carries method, path, status, duration_ms, bytes, remote and the
    request id Paraph answered with, as separate fields in JSON."""

    def setup(self, cfg: Any) -> None:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
        self.cfg = cfg
        self.error_log = logging.getLogger(SERVER_LOGGER)
        self.access_log = logging.getLogger(ACCESS_LOGGER)
        for log in (self.error_log, self.access_log):
            log.setLevel(logging.INFO)
            log.propagate = True

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        headers = dict((name.lower(), value) for name, value in (resp.headers or []))
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        status = int(str(resp.status).split(None, 1)[0]) if resp.status else 0
        duration_ms = round(request_time.total_seconds() * 1000, 1)
        self.access_log.info(
            "%s %s %s %.1f ms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": path,
                "status_code": status,
                "duration_ms": duration_ms,
                "bytes": getattr(resp, "sent", 0) or 0,
                "remote": environ.get("REMOTE_ADDR", "-"),
                "request_id": headers.get("x-request-id") or "-",
            },
        )

    def reopen_files(self) -> None:  # the lines go to stderr, journald keeps them
        pass

    def close_on_exec(self) -> None:
        pass


def itsme_keys_ensure() -> list[str]:
    """Make Paraph's itsme keys when the real itsme is configured and its key
    file (PARAPH_ITSME_KEYS_FILE) does not exist yet, as ``paraph
    itsme-rotate-keys`` would, audited; so /.well-known/jwks.json answers
    from the first start on. Two servers starting together make one pair:
    the second waits for the first's lock, then finds the file. Returns the
    new keys' ids ([] when nothing was made)."""
    import fcntl

    from django.conf import settings

    from paraph.audit.services import audit_record
    from paraph.identity.providers.itsme import jwks

    if settings.IDENTITY_PROVIDERS["itsme"] != "paraph.identity.providers.itsme.ItsmeProvider":
        return []
    path = jwks.keys_path()
    if path.exists():
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".itsme-keys.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return []
        rotation = jwks.rotate()
        audit_record(
            name="identity.itsme.keys_rotated",
            actor_label="paraph serve",
            data={"added": rotation.added, "retired": [], "dropped": [], "first_start": True},
        )
    logging.getLogger(SERVER_LOGGER).info("itsme keys made in %s", path)
    return rotation.added

"""Log lines: plain text by default, or one JSON object per line
(``PARAPH_LOG_FORMAT=json``) for a log collector. Every line carries the
request id of the request or task it was written for (:mod:`requestid`)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from paraph.core.requestid import request_id_current

# What a LogRecord holds of its own; anything else was passed in ``extra``.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "request_id", "request", "server_time", "status_code"}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # Django logs a 4xx/5xx answer once the middleware has returned,
            # passing the request along.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or request_id_current() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger,
    message, request_id; the exception's traceback when there is one, and
    the simple values a caller passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or "-",
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            line["status"] = status
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and isinstance(value, str | int | float | bool):
                line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)

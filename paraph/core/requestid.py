"""The request id: one short string that every log line of a request carries,
returned to the client in ``X-Request-ID`` and carried into the tasks the
request queues, so an operator can follow one request from the proxy's log
to the worker that sent its e-mail.

The id comes from the client's ``X-Request-ID`` header only when
``PARAPH_TRUST_REQUEST_ID`` says a proxy in front sets it (and it looks like
an id); otherwise Paraph makes one. A task queued during a request finds the
request's id again through the cache (Redis in production), keyed by the
task's id; a worker that cannot find it (the embedded default's cache is
per process) logs under the task's own id.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy's id may look like: nginx's $request_id (32 hex digits), a
# UUID, or any short run of safe characters; anything else is replaced.
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# How long a queued task can find its request's id again.
_TASK_KEY_SECONDS = 24 * 3600

_current: ContextVar[str] = ContextVar("paraph_request_id", default="")
_task_tokens: dict[str, Token[str]] = {}

logger = logging.getLogger("paraph.tasks")


def request_id_current() -> str:
    """The id of the request (or task) this code runs for; "" outside both."""
    return _current.get()


def request_id_new() -> str:
    return uuid.uuid4().hex


def _from_client(request: HttpRequest) -> str:
    if not settings.TRUST_REQUEST_ID:
        return ""
    value = request.META.get(_META_KEY, "").strip()
    return value if _ACCEPTABLE.fullmatch(value) else ""


class RequestIdMiddleware:
    """Gives every request its id (``request.request_id``), for the log lines
    written while it runs and for the response's ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _from_client(request) or request_id_new()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


def _task_key(task_id: str) -> str:
    return f"paraph:task-request:{task_id}"


def _task_enqueued(sender: Any, task_result: Any, **kwargs: Any) -> None:
    request_id = _current.get()
    if not request_id:
        return
    try:
        cache.set(_task_key(task_result.id), request_id, _TASK_KEY_SECONDS)
    except Exception:  # the cache is a convenience here: never fail an enqueue for it
        logger.warning("the request id of task %s could not be kept", task_result.id)
    logger.info("task %s queued: %s", task_result.id, task_result.task.module_path)


def _task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    try:
        request_id = cache.get(_task_key(task_result.id))
    except Exception:
        request_id = None
    # A task run in the process that queued it (the immediate backend, tests)
    # already runs under its request's id.
    request_id = request_id or _current.get() or f"task-{task_result.id}"
    _task_tokens[task_result.id] = _current.set(request_id)


def _task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    token = _task_tokens.pop(task_result.id, None)
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context (a thread of its own)
            _current.set("")


def connect_task_signals() -> None:
    """Carry request ids into tasks (called once, from ``CoreConfig.ready``)."""
    from django_tasks import signals

    signals.task_enqueued.connect(_task_enqueued, dispatch_uid="paraph.requestid.enqueued")
    # Before django-tasks' own "Task ... state=RUNNING" line, so it carries the id.
    started_log = getattr(signals, "log_task_started", None)
    if started_log is not None:
        signals.task_started.disconnect(started_log)
    signals.task_started.connect(_task_started, dispatch_uid="paraph.requestid.started")
    if started_log is not None:
        signals.task_started.connect(started_log)
    signals.task_finished.connect(_task_finished, dispatch_uid="paraph.requestid.finished")

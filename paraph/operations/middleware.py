"""``/health/live``, ``/health/ready`` and ``/metrics`` answer here, before
the rest of the middleware: no session, no language, no rate limit, no CSRF,
no host check and no HTTPS redirect, so a load balancer or Prometheus can
ask a node directly by its address, as often as it likes, for a few
queries. Every other request is counted and timed per view."""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST

from paraph.operations.health import readiness
from paraph.operations.metrics import metrics_text, request_observe

logger = logging.getLogger(__name__)


def _json(body: dict[str, object], status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body), status=status, content_type="application/json; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response


def _not_allowed() -> HttpResponse:
    response = HttpResponse(status=405)
    response["Allow"] = "GET, HEAD"
    return response


def health_live(request: HttpRequest) -> HttpResponse:
    """The process answers; it checks nothing else."""
    return _json({"status": "ok"})


def health_ready(request: HttpRequest) -> HttpResponse:
    """200 when every part this node needs answers, 503 naming those that do not."""
    state = readiness()
    response = _json(state.as_json(), status=200 if state.ok else 503)
    if not state.ok:
        failed = [check for check in state.checks if not check.ok]
        logger.warning(
            "not ready: %s",
            ", ".join(f"{c.name} ({c.detail})" if c.detail else c.name for c in failed),
        )
        # Said above, with the reasons: not again as Django's "Service Unavailable".
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's text format, for the bearer of ``PARAPH_METRICS_TOKEN``;
    404 when no token is configured, as if the page did not exist."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse(status=404)
    presented = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, value = presented.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode(), token.encode()
    ):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


ROUTES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/health/live": health_live,
    "/health/ready": health_ready,
    "/metrics": metrics,
}


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name or match.route or "unnamed")
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unresolved"  # a 404 or a redirect before routing: never the path itself


class OperationsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = ROUTES.get(request.path_info.rstrip("/"))
        if route is not None:
            if request.method not in ("GET", "HEAD"):
                return _not_allowed()
            return route(request)
        started = time.perf_counter()
        response = self.get_response(request)
        request_observe(
            view=_view_name(request),
            method=str(request.method),
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response

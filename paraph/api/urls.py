"""/api/: the django-ninja API, with two guarantees around it: every error
answer is a problem document (even a 404 for an unknown path or a 405 from
the router), and a JSON body may be as large as ``API_MAX_REQUEST_BYTES``
(a PDF in base64, a bulk send), beyond the site's small form limit."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt

from paraph.api.api import api
from paraph.api.problems import Problem, as_problem, problem_response
from paraph.api.views import problems_page


def _read_json_body(request: HttpRequest) -> HttpResponse | None:
    """Read a JSON body up to ``API_MAX_REQUEST_BYTES`` (Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is kept small for the site's forms);
    a larger one is a 413 problem."""
    if request.content_type != "application/json":
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.API_MAX_REQUEST_BYTES:
        return problem_response(
            request,
            Problem(
                413,
                "payload_too_large",
                f"The request body is larger than {settings.API_MAX_REQUEST_BYTES // 1048576} MB; "
                "send large PDFs as multipart/form-data, or fewer contracts per bulk send.",
            ),
        )
    if length > 0:
        body = request.read(length)
        # What HttpRequest.body would have read, without its size check.
        request._body = body
        request._stream = io.BytesIO(body)
    return None


def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _read_json_body(request)
        if refused is not None:
            return refused
        return as_problem(request, view(request, *args, **kwargs))

    return wrapped


def _wrap(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _guarded(pattern.callback)
    return patterns


@csrf_exempt
def _unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return problem_response(request, Problem(404, "not_found", "There is no such API address."))


_api_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("problems", problems_page, name="api_problems"),
    path("", (_wrap(list(_api_patterns)), _app_name, _namespace)),
    re_path(r"^(?P<rest>.*)$", _unknown),
]

"""Small helpers about the HTTP request shared by every app."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

# The longest ``next`` a page keeps: a path with its query fits easily.
NEXT_MAX = 2000


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind ``TRUSTED_PROXY_COUNT``
    proxies, the address the outermost trusted proxy saw. Addresses further
    left in X-Forwarded-For are written by the client and never trusted."""
    if request is None:
        return None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def next_url_safe(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when it is a page of this site to go on to after a step
    (a path on this host, at most ``NEXT_MAX`` characters), else ''. Every
    ``next`` a page is given goes through here, so none can send a person
    to another site."""
    if (
        candidate
        and len(candidate) <= NEXT_MAX
        and candidate.startswith("/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return ""


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:300]


def rate_limited_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The page that says to try again in so many minutes (429, with
    Retry-After): the same for every rate limit of every app."""
    response = render(
        request,
        "core/rate_limited.html",
        {"minutes": max(1, math.ceil(retry_after / 60))},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response

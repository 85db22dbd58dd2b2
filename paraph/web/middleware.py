"""Exceptions that any page may raise and that have a page of their own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from paraph.core.storage import DocumentUnavailable


class DocumentUnavailableMiddleware:
    """A legal document that is missing from storage, or whose bytes are
    not the ones recorded (:class:`~paraph.core.storage.DocumentUnavailable`),
    gets a clear error page (503), never the document and never a stack
    trace. It was logged, counted and audited where it was found."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DocumentUnavailable):
            return None
        response = render(
            request,
            "web/error.html",
            {
                "title": _("Document unavailable"),
                "explanation": _(
                    "This document cannot be shown: the copy Paraph keeps is missing or is not "
                    "the one recorded, so it is not served. Nothing is lost from the contract's "
                    "record and Paraph's team has been alerted. Please try again later."
                ),
            },
            status=503,
        )
        response["Cache-Control"] = "private, no-store"
        return response

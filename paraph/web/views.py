"""Pages that belong to no particular part of the domain: home, language, errors."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from paraph.accounts.services import person_set_language
from paraph.core.context import Context
from paraph.core.http import next_url_safe

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the page language; a logged-in person's choice is kept on
    their account so every device and every message follows it."""
    language = request.POST.get("language", "")
    next_url = next_url_safe(request, request.POST.get("next")) or "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        person_set_language(
            person=request.user, language=language, context=Context.from_request(request)
        )
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
        httponly=False,
    )
    return response


def _error(request: HttpRequest, status: int, title: str, explanation: str) -> HttpResponse:
    return render(
        request, "web/error.html", {"title": title, "explanation": explanation}, status=status
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("This form has expired"),
        _(
            "For your security, forms stop working after a while. Go back, reload the page and try again."
        ),
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Access denied"), _("You cannot open this page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 404, _("Page not found"), _("This page does not exist or is no longer available.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """The friendly page, never a stack trace. The failure may be the
    database itself, so the page does not look up the person or their
    messages; if even that cannot render, a plain page answers."""
    title = _("Something went wrong")
    explanation = _(
        "We could not complete your request. Nothing was changed. Please try again later."
    )
    try:
        return render(
            request,
            "web/error.html",
            # no database: an anonymous user, and no "Log in" link offered
            # to someone who may well be logged in
            {
                "title": title,
                "explanation": explanation,
                "user": AnonymousUser(),
                "messages": (),
                "server_error": True,
            },
            status=500,
        )
    except Exception:
        logger.exception("the error page itself could not be rendered")
        return HttpResponseServerError(
            format_html(
                '<!doctype html><html lang="{}"><title>{}</title><h1>{}</h1><p>{}</p></html>',
                translation.get_language() or settings.LANGUAGE_CODE,
                title,
                title,
                explanation,
            )
        )

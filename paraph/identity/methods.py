"""Which registration methods this site offers (PARAPH_IDENTITY_METHODS):
a method switched off is offered on no page and its pages answer 404."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404
from django.urls import URLPattern


def method_enabled(method: str) -> bool:
    return method in settings.IDENTITY_METHODS


def only_when_enabled(method: str, patterns: list[URLPattern]) -> list[URLPattern]:
    """``patterns`` whose views answer 404 while ``method`` is switched off
    (read at each request, so a changed setting needs no new URL list)."""

    def guard(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not method_enabled(method):
                raise Http404
            return view(request, *args, **kwargs)

        return guarded

    for pattern in patterns:
        pattern.callback = guard(pattern.callback)
    return patterns

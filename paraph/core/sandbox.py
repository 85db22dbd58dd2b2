"""What the sandboxes (the local stand-ins for outside systems) share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

# The sandbox PKIs (Paraph's sandbox CA, seal and TSA; the virtual eID cards)
# are valid from this fixed moment, not from the day they were generated: a
# clock pinned by a test to any date since, or moved ahead by CI, or a
# machine's clock set a little wrong, still finds them valid. Their end is
# counted from the day they are made.
SANDBOX_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
# The sandbox's expired eID card expired long before any date a test pins.
SANDBOX_EXPIRED_CARD_UNTIL = datetime(2019, 12, 1, tzinfo=UTC)


def sandbox_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A sandbox page exists only in sandbox mode (``PARAPH_SANDBOX``): a 404
    otherwise, even if a URL configuration mounted it by mistake."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.SANDBOX:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped

"""What a service needs to know of the request that asked for it.

Services take a :class:`Context` (who acts, from which address and browser,
in which language), never the ``HttpRequest``: sessions, cookies and
redirects stay in views, and a task, a command or a test calls the same
service with a context of its own (``Context.system()``). Zulip's actions
take ``acting_user`` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import translation

from paraph.core.http import client_ip, user_agent


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts, from where, in which language.

    ``actor`` is the logged-in person (staff included) or ``None`` for an
    anonymous visitor, a task or a command; ``ip`` is the client's address
    behind the trusted proxies (``core.http.client_ip``); ``language`` is the
    language the person reads pages in, for messages a service writes.
    """

    actor: Any | None = None
    ip: str | None = None
    user_agent: str = ""
    language: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> Context:
        """The context of a page or API request: its authenticated user, the
        client's address, its browser and the language of the response."""
        if request is None:
            return cls.system()
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        language = getattr(request, "LANGUAGE_CODE", "") or translation.get_language() or ""
        return cls(
            actor=actor, ip=client_ip(request), user_agent=user_agent(request), language=language
        )

    @classmethod
    def system(cls) -> Context:
        """No one in particular: a task, a scheduled job, a command."""
        return cls(language=translation.get_language() or "")


# A task, a scheduled job or a command: no actor, no address, the default
# language. The default of a service's optional ``context``.
SYSTEM = Context()

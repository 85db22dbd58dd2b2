"""The catalogue of audit event names.

Every event has a unique dotted name (pretix's convention) and a human
sentence rendered from it. Apps register their events from their
``AppConfig.ready``; recording an unregistered name is a programming error,
so typos fail in tests rather than producing unreadable logs.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise

_EVENTS: dict[str, Promise | str] = {}


def register_events(events: Mapping[str, Promise | str]) -> None:
    for name, text in events.items():
        if name.count(".") < 2:
            raise ValueError(f"audit event names are dotted app.entity.action, not {name!r}")
        _EVENTS[name] = text


def names() -> list[str]:
    """Every registered event name, sorted."""
    return sorted(_EVENTS)


def is_registered(name: str) -> bool:
    return name in _EVENTS


def describe(name: str) -> str:
    text = _EVENTS.get(name)
    return str(text) if text is not None else name

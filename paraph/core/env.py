"""Reading settings from environment variables.

Every setting Paraph reads goes through these helpers so that the README's
table of variables and the code agree, and so that a production start with
a missing secret stops with one message naming everything that is missing
(Zulip's ``get_mandatory_secret`` is the model).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Missing(list[str]):
    """The names of mandatory variables that were not set, collected so that
    one start-up error can name them all."""

    def check(self) -> None:
        if self:
            raise ImproperlyConfigured(
                "Paraph refuses to start in production: these settings are missing or unsafe: "
                + "; ".join(self)
                + ". See README.md, section 'Configuring production'."
            )


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_list_renamed(name: str, old_names: tuple[str, ...], deprecated: list[str]) -> list[str]:
    """The list in ``name``; while it is unset, the lists in the variables it
    replaces (``old_names``, read for one more release), merged without
    repeats, and a note for each old variable set in ``deprecated``."""
    old_set = [old for old in old_names if old in os.environ]
    deprecated.extend(f"{old} is deprecated: use {name}" for old in old_set)
    if name in os.environ:
        return env_list(name)
    merged: list[str] = []
    for old in old_set:
        merged.extend(item for item in env_list(old) if item not in merged)
    return merged


def env_mandatory(name: str, missing: Missing, *, when: bool) -> str:
    """The variable's value; when ``when`` holds and it is unset, its name is
    added to ``missing`` and an empty string comes back."""
    value = os.environ.get(name, "").strip()
    if when and not value:
        missing.append(f"{name} is not set")
    return value

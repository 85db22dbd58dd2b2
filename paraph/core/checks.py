"""System checks of what the settings alone cannot guarantee."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning


def rq_key_prefix_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """RQ reads its key prefix when it is first imported: a process that
    imported it before Paraph's settings were read keeps RQ's own "rq:"
    keys, which another site on the same Redis shares."""
    if "django_tasks_rq" not in settings.INSTALLED_APPS or "rq.defaults" not in sys.modules:
        return []
    expected = f"{settings.CACHE_PREFIX}:rq"
    found = sys.modules["rq.defaults"].RQ_KEY_PREFIX
    if found == expected:
        return []
    return [
        Warning(
            f"RQ's keys start with {found!r}, not {expected!r} (PARAPH_CACHE_PREFIX)",
            hint="Import RQ only after Django's settings, or set RQ_KEY_PREFIX to the same value.",
            id="core.W001",
        )
    ]


def deprecated_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Old variable names still read for one release (``DEPRECATED_SETTINGS``,
    filled while the settings are read), named at every start and by
    ``paraph check --deploy``."""
    return [
        Warning(
            note,
            hint="Rename it before the next release (docs/operations.md, 'eID trust').",
            id="core.W002",
        )
        for note in getattr(settings, "DEPRECATED_SETTINGS", [])
    ]

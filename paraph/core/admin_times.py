"""Every moment in the back office in Brussels time (issue 14).

Django's admin shows a date-time field in the current time zone (Brussels,
``TIME_ZONE``) without saying which, and a JSON field as stored, where
moments are ISO 8601 in UTC. :func:`install`, run from ``CoreConfig.ready``,
wraps the admin's two display functions so that, in every list and detail
page:

- a date-time carries its zone (``CET``/``CEST``) where the wall-clock time
  alone is ambiguous (the hour repeated when summer time ends);
- a JSON field's moments are written in Brussels time with their zone.

The API, webhooks and evidence JSON keep UTC; they do not go through these.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import models

from paraph.core.moments import moment_brussels, moments_in_brussels

_INSTALLED = False


def _field(original: Any) -> Any:
    def display_for_field(
        value: Any, field: Any, empty_value_display: Any, *a: Any, **k: Any
    ) -> Any:
        if value not in (None, "") and not getattr(field, "flatchoices", None):
            if isinstance(field, models.DateTimeField) and isinstance(value, dt.datetime):
                return moment_brussels(value)
            if isinstance(field, models.JSONField) and value:
                try:
                    return json.dumps(
                        moments_in_brussels(value), ensure_ascii=False, cls=field.encoder
                    )
                except TypeError:
                    pass
        return original(value, field, empty_value_display, *a, **k)

    return display_for_field


def _value(original: Any) -> Any:
    def display_for_value(value: Any, empty_value_display: Any, boolean: bool = False) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None and not boolean:
            return moment_brussels(value)
        return original(value, empty_value_display, boolean)

    return display_for_value


def install() -> None:
    """Wrap the admin's display functions, where the admin imported them."""
    global _INSTALLED
    if _INSTALLED:
        return
    from django.contrib.admin import helpers, utils
    from django.contrib.admin.templatetags import admin_list

    field, value = _field(utils.display_for_field), _value(utils.display_for_value)
    for module in (utils, helpers, admin_list):
        if hasattr(module, "display_for_field"):
            module.display_for_field = field  # type: ignore[attr-defined]
        if hasattr(module, "display_for_value"):
            module.display_for_value = value  # type: ignore[attr-defined]
    _INSTALLED = True

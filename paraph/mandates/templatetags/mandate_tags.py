"""``{% load mandate_tags %}{% mandate_summary request.user as summary %}``:
the person's mandate situation, for the partials other apps include."""

from __future__ import annotations

from typing import Any

from django import template

from paraph.mandates.selectors import MandateSummary, mandate_status_for

register = template.Library()


@register.simple_tag
def mandate_summary(person: Any) -> MandateSummary | None:
    if person is None or not getattr(person, "is_authenticated", False):
        return None
    return mandate_status_for(person)

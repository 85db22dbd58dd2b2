"""``{% load identity_tags %}{% eid_signing request.user as eid %}``: whether
the person can sign with the eID card, for the pages of other apps that
offer it (the contract, the password page, the preferences)."""

from __future__ import annotations

from typing import Any

from django import template

from paraph.identity.selectors import EidSigningSituation, person_eid_signing

register = template.Library()


@register.simple_tag
def eid_signing(person: Any) -> EidSigningSituation | None:
    if person is None or not getattr(person, "is_authenticated", False):
        return None
    return person_eid_signing(person=person)

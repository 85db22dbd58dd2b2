"""The links of the e-mails: an activation link, and a contract's link,
which opens the contract for the person it was sent to."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from paraph.adminbox.views.activation import (
    activation_start,
)
from paraph.adminbox.views.common import (
    link_refused,
)
from paraph.contracts.models import AccessLink, LinkPurpose
from paraph.contracts.selectors import adminbox_is_active
from paraph.contracts.services import (
    AccessLinkInvalid,
    access_link_resolve,
    access_link_use,
)
from paraph.core.context import Context


@never_cache
@require_GET
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """The "activate your adminbox" link of a contract's e-mail (ES-3).
    Following it changes nothing yet (a mail scanner may follow links too):
    the activation happens when the SMS code is typed."""
    try:
        link = access_link_resolve(token=token, purpose=LinkPurpose.ACTIVATE)
    except AccessLinkInvalid as exc:
        return link_refused(request, exc.code, purpose="activate")
    if adminbox_is_active(link.person):
        return link_refused(request, "active", purpose="activate")
    if _someone_else(request, link):
        return render(request, "adminbox/link_other_person.html", status=403)
    return activation_start(request, link)


def _someone_else(request: HttpRequest, link: AccessLink) -> bool:
    """Logged in to another adminbox than the link's: the link must not
    switch the session to the other person (they choose: merge, or log out
    and follow the link again)."""
    user = request.user
    return bool(user.is_authenticated and user.pk != link.person_id)


@never_cache
@require_GET
def contract_link(request: HttpRequest, token: str) -> HttpResponse:
    """The "your contract" link of the e-mail. An adminbox not yet active is
    activated first, then the contract opens (ES-4); an active one needs its
    owner logged in: the link logs nobody in by itself (ES-13)."""
    try:
        link = access_link_resolve(token=token, purpose=LinkPurpose.OPEN_CONTRACT)
    except AccessLinkInvalid as exc:
        return link_refused(request, exc.code, purpose="contract")
    contract = link.contract
    assert contract is not None
    if _someone_else(request, link):
        return render(request, "adminbox/link_other_person.html", status=403)
    if not adminbox_is_active(link.person):
        return activation_start(request, link)
    target = reverse("adminbox:contract", args=[contract.public_id])
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
    access_link_use(link=link, context=Context.from_request(request))
    return redirect(target)

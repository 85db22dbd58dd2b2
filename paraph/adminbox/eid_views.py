"""Signing a contract with the eID card (ES-6): the card's one flow
(:mod:`paraph.signing.eid_flow`: the page, its ``prepare`` and ``finish``
steps, the refusals) told what a contract is. Its two services:
:func:`paraph.contracts.services.contract_eid_prepare` and
:func:`paraph.contracts.services.contract_sign_with_eid` (check, finish
and record in one transaction boundary)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from paraph.accounts.models import Person
from paraph.contracts.companies import acting_company_number
from paraph.contracts.models import Contract
from paraph.contracts.selectors import contract_get_for_person
from paraph.contracts.services import (
    ContractError,
    ContractNotSignable,
    contract_check_signable,
    contract_eid_prepare,
    contract_sign_with_eid,
)
from paraph.core.context import Context
from paraph.signing.eid_flow import EidSigningViews, Links, NotSignable, SigningUnavailable
from paraph.signing.services import EidSigningRequest


def password_url(contract: Contract) -> str:
    """The password path (a mandate first when there is none)."""
    return reverse("mandates:sign_password", args=[contract.public_id])


def contract_url(contract: Contract) -> str:
    return reverse("adminbox:contract", args=[contract.public_id])


class ContractSignable:
    """A contract, signed by its recipient; the signed contract's page is
    the same as after a password signature ("You signed …", the download)."""

    template = "adminbox/sign_eid.html"

    @property
    def other_way(self) -> str:
        return _("Sign with a password instead.")

    def find(self, person: Person, **kwargs: Any) -> Contract:
        try:
            return contract_get_for_person(
                person=person,
                public_id=kwargs["public_id"],
                company_number=kwargs.get("company_number", ""),
            )
        except Contract.DoesNotExist:
            raise Http404 from None

    def refusal(self, target: Contract, person: Person) -> NotSignable | None:
        target.refresh_from_db()
        try:
            contract_check_signable(contract=target, person=person)
        except ContractNotSignable as exc:
            return NotSignable(str(exc), code=exc.code)
        return None

    def links(self, target: Contract) -> Links:
        public_id = target.public_id
        return Links(
            prepare=reverse("adminbox:sign_eid_prepare", args=[public_id]),
            finish=reverse("adminbox:sign_eid_finish", args=[public_id]),
            back=contract_url(target),
            other_way=password_url(target),
            done=reverse("mandates:signed", args=[public_id]),
        )

    def context(self, target: Contract) -> dict[str, Any]:
        return {
            "contract": target,
            "contract_url": contract_url(target),
            "password_url": password_url(target),
        }

    def prepare(
        self,
        *,
        target: Contract,
        person: Person,
        certificate: bytes,
        evidence: dict[str, Any],
        context: Context,
    ) -> EidSigningRequest:
        try:
            return contract_eid_prepare(
                contract=target,
                person=person,
                certificate=certificate,
                evidence=evidence,
                context=context,
            )
        except ContractNotSignable as exc:
            raise NotSignable(str(exc), code=exc.code) from exc
        except ContractError as exc:
            raise SigningUnavailable(f"contract {target.public_id}: {exc}") from exc

    def finish(
        self,
        *,
        target: Contract,
        person: Person,
        prepared_id: str,
        signature_value: bytes,
        evidence: dict[str, Any],
        context: Context,
    ) -> None:
        try:
            contract_sign_with_eid(
                contract=target,
                person=person,
                prepared_id=prepared_id,
                signature_value=signature_value,
                evidence=evidence,
                context=context,
            )
        except ContractNotSignable as exc:
            raise NotSignable(str(exc), code=exc.code) from exc
        except ContractError as exc:
            raise SigningUnavailable(f"contract {target.public_id}: {exc}") from exc


flow: EidSigningViews[Contract] = EidSigningViews(ContractSignable())


def _acting(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The flow's view, finding the contract among those of the company the
    person acts for in this request (ADR 35), or their own."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return view(request, company_number=acting_company_number(request), **kwargs)

    return wrapped


sign_eid = _acting(flow.page_view())
sign_eid_prepare = _acting(flow.prepare_view())
sign_eid_finish = _acting(flow.finish_view())

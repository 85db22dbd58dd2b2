"""Signing the mandate with the eID card (ES-7): the card's one flow
(:mod:`paraph.signing.eid_flow`: the page, its ``prepare`` and ``finish``
steps, the refusals) told what a mandate is. Its two services:
:func:`paraph.mandates.services.mandate_eid_prepare` and
:func:`paraph.mandates.services.mandate_sign_with_eid` (check, finish and
record in one transaction boundary)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from paraph.accounts.models import Person
from paraph.core.context import Context
from paraph.mandates import services
from paraph.mandates.models import Mandate, MandateStatus
from paraph.mandates.selectors import mandate_in_progress
from paraph.signing.eid_flow import (
    EidSigningViews,
    Links,
    NothingToSign,
    NotSignable,
    SigningUnavailable,
)
from paraph.signing.services import EidSigningRequest


def _no_longer_pending() -> NothingToSign:
    return NothingToSign(
        _("This mandate is no longer waiting for a signature. Start again."),
        code="state",
        url=reverse("mandates:start"),
    )


def _refused(exc: services.MandateError) -> Exception:
    if exc.code == "state":
        return _no_longer_pending()
    return SigningUnavailable(str(exc))


class MandateSignable:
    """The person's pending mandate; once signed, the next step is choosing
    the password."""

    template = "mandates/eid.html"

    @property
    def other_way(self) -> str:
        return _("Sign your mandate with a code instead.")

    def find(self, person: Person, **kwargs: Any) -> Mandate:
        mandate = mandate_in_progress(person)
        if mandate is None or mandate.status != MandateStatus.PENDING:
            raise _no_longer_pending()
        return mandate

    def refusal(self, target: Mandate, person: Person) -> NotSignable | None:
        target.refresh_from_db()
        return None if target.status == MandateStatus.PENDING else _no_longer_pending()

    def links(self, target: Mandate) -> Links:
        start = reverse("mandates:start")
        return Links(
            prepare=reverse("mandates:eid_prepare"),
            finish=reverse("mandates:eid_finish"),
            back=start,
            other_way=start,
            done=reverse("mandates:password"),
        )

    def context(self, target: Mandate) -> dict[str, Any]:
        return {"mandate": target, "start_url": reverse("mandates:start")}

    def prepare(
        self,
        *,
        target: Mandate,
        person: Person,
        certificate: bytes,
        evidence: dict[str, Any],
        context: Context,
    ) -> EidSigningRequest:
        try:
            return services.mandate_eid_prepare(
                mandate=target, certificate=certificate, context=context
            )
        except services.MandateError as exc:
            raise _refused(exc) from exc

    def finish(
        self,
        *,
        target: Mandate,
        person: Person,
        prepared_id: str,
        signature_value: bytes,
        evidence: dict[str, Any],
        context: Context,
    ) -> None:
        try:
            services.mandate_sign_with_eid(
                mandate=target,
                prepared_id=prepared_id,
                signature_value=signature_value,
                evidence=evidence,
                context=context,
            )
        except services.MandateError as exc:
            raise _refused(exc) from exc


flow: EidSigningViews[Mandate] = EidSigningViews(MandateSignable())
eid = flow.page_view()
eid_prepare = flow.prepare_view()
eid_finish = flow.finish_view()

"""Companies as recipients of contracts (ADR 35): what ``paraph.contracts``
asks through its ``CompanyDirectory`` Protocol, answered from the register
(KBO) and the companies registered on Paraph. Installed when the apps are
ready (``CompaniesConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from paraph.companies.models import CompanyUser, RegisteredCompany
from paraph.companies.services.registration import CompanyRefused, company_active_check
from paraph.contracts.companies import CompanyFound, CompanyRecipientRefused, CompanyRole
from paraph.core.belgium import enterprise_number_format


class RegisteredCompanies:
    """The default directory: the register says whether the company exists
    and is active; Paraph's registrations say who acts and signs for it."""

    def recipient(self, number: str) -> CompanyFound:
        formatted = enterprise_number_format(number)
        try:
            data = company_active_check(number)
        except CompanyRefused as refused:
            if refused.code == "stopped":
                message = _(
                    "The company %(number)s has stopped or is stopping according to the "
                    "company register: a contract cannot be addressed to it."
                ) % {"number": formatted}
            else:
                message = _(
                    "The company register (Crossroads Bank for Enterprises) has no active "
                    "company with number %(number)s: check the number."
                ) % {"number": formatted}
            raise CompanyRecipientRefused(refused.code, message) from refused
        registered = RegisteredCompany.objects.filter(number=number).first()
        if registered is not None:
            return CompanyFound(number=number, name=registered.name, registered=True)
        name = data.name(translation.get_language() or "fr") or formatted
        return CompanyFound(number=number, name=name, registered=False)

    def role(self, *, person: Any, number: str) -> CompanyRole | None:
        company = (
            RegisteredCompany.objects.filter(number=number).select_related("representative").first()
        )
        if company is None or person is None:
            return None
        representative = company.representative.get_full_name()
        if company.representative_id == person.pk:
            return CompanyRole(
                role="representative",
                can_sign=True,
                company_name=company.name,
                representative_name=representative,
            )
        member = CompanyUser.objects.filter(company=company, person=person).first()
        if member is None:
            return None
        return CompanyRole(
            role="user",
            can_sign=member.can_sign,
            company_name=company.name,
            representative_name=representative,
        )

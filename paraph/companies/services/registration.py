"""Registering a company on Paraph (CO-1) and correcting its registry data
through its intermediary or the contact centre (CO-2)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from paraph.accounts.models import AssuranceLevel, RegistrationMethod
from paraph.audit.services import audit_record
from paraph.companies.models import (
    CorrectionRequest,
    Intermediary,
    IntermediaryClient,
    RegisteredCompany,
)
from paraph.companies.providers import CompanyData, get_company_registry
from paraph.core.belgium import enterprise_number_format, enterprise_number_normalize
from paraph.core.context import SYSTEM, Context
from paraph.notifications.services import email_send

# --- registering a company (CO-1) and correcting its data (CO-2) -------------

# The KBO's JuridicalSituation "normal situation": any other (liquidation,
# bankruptcy, dissolution, ...) means the company has stopped or is stopping.
SITUATION_NORMAL = "000"
STATUS_ACTIVE = "AC"


class CompanyRefused(Exception):
    """A refusal the person sees as is; ``code`` names the check that failed:
    ``invalid``, ``unknown``, ``stopped``, ``taken``, ``assurance``,
    ``empty``, ``decided``, ``not_allowed``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def person_may_register_companies(person: Any) -> bool:
    """Registered with itsme or the eID card (high assurance): CO-1."""
    return person.assurance_level == AssuranceLevel.HIGH and person.registration_method in (
        RegistrationMethod.ITSME,
        RegistrationMethod.EID,
    )


def assurance_refusal() -> CompanyRefused:
    """Why a person without high assurance may not register a company, and
    how to get it."""
    return CompanyRefused(
        "assurance",
        _(
            "Only a person registered with itsme or the eID card can register a "
            "company. Your account was opened another way (video identification, the "
            "contact centre): contact the contact centre, who will tell you how to "
            "confirm your identity with itsme or your eID card."
        ),
    )


def company_check(*, person: Any, number: str) -> CompanyData:
    """What registering ``number`` would register: the registry's data.
    Refuses (:class:`CompanyRefused`), in the active language, a person
    without high assurance, an invalid, unknown, stopped or already
    registered company. Reads only: call it outside any transaction (the
    registry may be a web service)."""
    if not person_may_register_companies(person):
        raise assurance_refusal()
    try:
        digits = enterprise_number_normalize(number)
    except ValidationError as exc:
        raise CompanyRefused("invalid", str(exc.messages[0])) from exc
    data = company_active_check(digits)
    formatted = enterprise_number_format(digits)
    existing = (
        RegisteredCompany.objects.filter(number=digits).select_related("representative").first()
    )
    if existing is not None:
        if existing.representative_id == person.pk:
            message = _(
                "You already registered the company %(number)s: you are its digital representative."
            )
        else:
            message = _(
                "The company %(number)s is already registered on Paraph. To act for it, "
                "ask its digital representative (%(name)s) to invite you; if the "
                "representative must change, contact the contact centre."
            )
        raise CompanyRefused(
            "taken",
            message % {"number": formatted, "name": existing.representative.get_full_name()},
        )
    return data


def company_active_check(digits: str) -> CompanyData:
    """The registry's data of the company ``digits`` (ten digits), refused
    (:class:`CompanyRefused`) when the register has no active company with
    that number (``unknown``) or it has stopped (``stopped``)."""
    data = get_company_registry().lookup(digits)
    formatted = enterprise_number_format(digits)
    if data is None:
        raise CompanyRefused(
            "unknown",
            _(
                "The company register (Crossroads Bank for Enterprises) has no active "
                "company with number %(number)s. Check the number on your company's "
                "documents."
            )
            % {"number": formatted},
        )
    if data.status.code != STATUS_ACTIVE or data.juridical_situation.code != SITUATION_NORMAL:
        language = translation.get_language() or "fr"
        raise CompanyRefused(
            "stopped",
            _(
                "The company %(number)s has stopped or is stopping according to the "
                "company register (%(situation)s): it cannot be registered."
            )
            % {"number": formatted, "situation": data.juridical_situation.describe(language)},
        )
    return data


def company_register(
    *, person: Any, number: str, language: str, correction: str = "", context: Context = SYSTEM
) -> tuple[RegisteredCompany, CorrectionRequest | None]:
    """Register the company ``number`` with ``person`` as its digital
    representative (CO-1), after the checks of :func:`company_check`; with
    ``correction`` (what is wrong in its data), file a correction request in
    the same step (CO-2). Two people registering the same company at once:
    one wins, the other is refused as "already registered"."""
    data = company_check(person=person, number=number)
    name = data.name(language)[:320] or enterprise_number_format(data.enterprise_number)
    try:
        with transaction.atomic():
            company = RegisteredCompany.objects.create(
                number=data.enterprise_number,
                name=name,
                representative=person,
                registered_at=timezone.now(),
            )
            audit_record(
                name="companies.company.registered",
                actor=person,
                subject=company,
                data={"number": company.number, "source": data.source},
                context=context,
            )
            request = (
                correction_file(company=company, person=person, text=correction, context=context)
                if correction.strip()
                else None
            )
    except IntegrityError:
        # Registered by someone else between the check and the insert.
        company_check(person=person, number=number)
        raise
    return company, request


def correction_file(
    *, company: RegisteredCompany, person: Any, text: str, context: Context = SYSTEM
) -> CorrectionRequest:
    """File "this data is wrong" for ``company``: to its intermediary when
    one serves it, otherwise to the contact centre (CO-2)."""
    text = text.strip()
    if not text:
        raise CompanyRefused("empty", _("Say what is wrong in the company's data."))
    client = (
        IntermediaryClient.objects.filter(number=company.number)
        .select_related("intermediary")
        .first()
    )
    with transaction.atomic():
        request = CorrectionRequest.objects.create(
            company=company,
            filed_by=person,
            intermediary=client.intermediary if client else None,
            text=text[:5000],
            created_at=timezone.now(),
        )
        audit_record(
            name="companies.correction.filed",
            actor=person,
            subject=request,
            data={
                "number": company.number,
                "queue": f"intermediary:{client.intermediary_id}" if client else "contact_centre",
            },
            context=context,
        )
    return request


def correction_decide(
    *, request_id: int, staff: Any, apply: bool, reason: str, context: Context = SYSTEM
) -> CorrectionRequest:
    """A back-office decision on a correction request: applied or refused,
    with a reason the representative reads (by e-mail). Only the contact
    centre (the ``companies.change_correctionrequest`` permission) or, for
    its clients' requests, a staff member of the intermediary decides; a
    request is decided once."""
    reason = reason.strip()
    if not reason:
        raise CompanyRefused("empty", _("Give the reason for your decision."))
    with transaction.atomic():
        request = (
            CorrectionRequest.objects.select_for_update()
            .select_related("company__representative")
            .get(pk=request_id)
        )
        if not correction_may_decide(staff=staff, correction=request):
            raise CompanyRefused(
                "not_allowed", _("You may not decide on this company's correction requests.")
            )
        if request.status != CorrectionRequest.Status.OPEN:
            raise CompanyRefused("decided", _("This correction request was already decided."))
        request.status = (
            CorrectionRequest.Status.APPLIED if apply else CorrectionRequest.Status.REFUSED
        )
        request.reason = reason[:5000]
        request.decided_by = staff
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        audit_record(
            name="companies.correction.applied" if apply else "companies.correction.refused",
            actor=staff,
            subject=request,
            data={"number": request.company.number, "reason": request.reason[:500]},
            context=context,
        )
        representative = request.company.representative
        email_send(
            to=representative.email,
            template="company_correction_decided",
            context={
                "company": request.company.name,
                "number": enterprise_number_format(request.company.number),
                "applied": apply,
                "reason": request.reason,
            },
            language=representative.language,
            person=representative,
        )
    return request


def correction_may_decide(*, staff: Any, correction: CorrectionRequest) -> bool:
    """The contact centre decides on the requests of companies without an
    intermediary; an intermediary's staff on its own clients' requests."""
    if staff.is_superuser:
        return True
    if correction.intermediary_id is None:
        return bool(staff.has_perm("companies.change_correctionrequest"))
    return Intermediary.staff.through.objects.filter(
        intermediary_id=correction.intermediary_id, person_id=staff.pk
    ).exists()

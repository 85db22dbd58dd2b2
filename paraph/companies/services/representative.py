"""Changing a company's digital representative (CO-5), in three steps:
the person identifies themselves with itsme or the eID card (the view
checks the session's high-assurance log-in), identifies the company
(:func:`representative_company_check`: its current representative, or a
legal representative in the registry's data or recorded by the contact
centre) and designates the new representative
(:func:`representative_designate`). The designation waits until that
person, registered with itsme or the eID card under the national number
given, accepts (:func:`representative_accept`); it can be withdrawn before
(:func:`representative_withdraw`) and expires after 30 days. When a
company has no reachable representative, the contact centre designates
from the back office, with a written reason. At most one designation
waits per company: two at once, one wins (ADR 29)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from paraph.accounts.hashing import keyed_hash
from paraph.audit.services import audit_record
from paraph.companies.models import (
    CompanyUser,
    LegalRepresentative,
    RegisteredCompany,
    RepresentativeChange,
)
from paraph.companies.providers import get_company_registry
from paraph.companies.services.registration import CompanyRefused, person_may_register_companies
from paraph.core.belgium import (
    enterprise_number_format,
    enterprise_number_normalize,
    national_number_normalize,
)
from paraph.core.context import SYSTEM, Context
from paraph.notifications.services import email_send

DESIGNATION_DAYS = 30
# The back-office permission of the contact centre's designation.
CONTACT_CENTRE_PERMISSION = "companies.add_representativechange"
_TOKEN_PURPOSE = "companies.representative"

Basis = RepresentativeChange.Basis
Status = RepresentativeChange.Status


def _company(number: str) -> RegisteredCompany:
    try:
        digits = enterprise_number_normalize(number)
    except ValidationError as exc:
        raise CompanyRefused("invalid", str(exc.messages[0])) from exc
    company = (
        RegisteredCompany.objects.filter(number=digits).select_related("representative").first()
    )
    if company is None:
        raise CompanyRefused(
            "not_registered",
            _(
                "The company %(number)s is not registered on Paraph, so it has no digital "
                "representative to change. A person registered with itsme or the eID card "
                "can register it and become its representative."
            )
            % {"number": enterprise_number_format(digits)},
        )
    return company


def _basis(*, person: Any, company: RegisteredCompany) -> str:
    """Why ``person`` may change the representative of ``company``; refuses
    when they may not. May ask the registry (call it outside a transaction)."""
    if company.representative_id == person.pk:
        return Basis.REPRESENTATIVE
    national_number = person.national_number or ""
    if national_number:
        if LegalRepresentative.objects.filter(
            number=company.number, national_number=national_number
        ).exists():
            return Basis.RECORDED
        data = get_company_registry().lookup(company.number)
        if data is not None and national_number in data.legal_representatives:
            return Basis.REGISTRY
    raise CompanyRefused(
        "not_allowed",
        _(
            "Only the digital representative of %(company)s, or a person recorded as one of "
            "its legal representatives, can designate a new digital representative. If you "
            "represent the company legally, contact the contact centre: they check the "
            "company's documents and record you."
        )
        % {"company": str(company)},
    )


def representative_company_check(*, person: Any, number: str) -> tuple[RegisteredCompany, str]:
    """Step 2, "identify your company": the registered company ``number``
    and why ``person`` may change its representative (a ``Basis``).
    Refuses an invalid number, a company not registered on Paraph and a
    person who is neither its representative nor a legal representative."""
    company = _company(number)
    return company, _basis(person=person, company=company)


def _clean(*, name: str, email: str, national_number: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise CompanyRefused("name", _("Enter the name of the new digital representative."))
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise CompanyRefused("email", _("Enter an e-mail address like name@example.be.")) from exc
    if not (national_number or "").strip():
        raise CompanyRefused(
            "national_number",
            _("Enter the national register number of the new digital representative."),
        )
    try:
        digits = national_number_normalize(national_number)
    except ValidationError as exc:
        raise CompanyRefused("national_number", str(exc.messages[0])) from exc
    return name[:200], email, digits


def _pending_refusal(change: RepresentativeChange) -> CompanyRefused:
    return CompanyRefused(
        "pending",
        _(
            "A change of the digital representative of %(company)s is already waiting for "
            "%(name)s to accept it (until %(date)s). Withdraw it first to designate someone "
            "else."
        )
        % {
            "company": str(change.company),
            "name": change.name,
            "date": formats.date_format(timezone.localtime(change.expires_at), "DATE_FORMAT"),
        },
    )


def _expire_overdue(company: RegisteredCompany, now: dt.datetime) -> None:
    """Designations whose 30 days have passed end as expired (the company
    row is locked by the caller), so that they no longer block a new one."""
    for change in RepresentativeChange.objects.filter(
        company=company, status=Status.PENDING, expires_at__lte=now
    ):
        change.status = Status.EXPIRED
        change.ended_at = now
        change.save(update_fields=["status", "ended_at"])
        audit_record(
            name="companies.representative.expired",
            actor=None,
            actor_label="paraph",
            subject=change,
            data={"number": company.number},
        )


def _refuse_current(company: RegisteredCompany, *, email: str, national_number: str) -> None:
    current = company.representative
    if national_number == (current.national_number or "") or email == current.email.lower():
        raise CompanyRefused(
            "already_representative",
            _("%(name)s is already the digital representative of %(company)s.")
            % {"name": current.get_full_name(), "company": str(company)},
        )


def _designation_checked(
    *,
    person: Any,
    number: str,
    name: str,
    email: str,
    national_number: str,
    reason: str,
    by_contact_centre: bool,
) -> tuple[RegisteredCompany, str, str, str, str, str]:
    name, email, digits = _clean(name=name, email=email, national_number=national_number)
    reason = (reason or "").strip()
    if by_contact_centre:
        if not person.has_perm(CONTACT_CENTRE_PERMISSION):
            raise CompanyRefused(
                "not_allowed", _("Only the contact centre designates a representative here.")
            )
        if not reason:
            raise CompanyRefused(
                "reason",
                _("Write why the contact centre designates the representative (what was checked)."),
            )
        company, basis = _company(number), str(Basis.CONTACT_CENTRE)
    else:
        company, basis = representative_company_check(person=person, number=number)
    return company, basis, name, email, digits, reason


def representative_designation_check(
    *,
    person: Any,
    number: str,
    name: str,
    email: str,
    national_number: str,
    reason: str = "",
    by_contact_centre: bool = False,
) -> RegisteredCompany:
    """What :func:`representative_designate` would refuse, without writing
    (the back office's form shows it beside the fields). The designation
    checks again under the company's lock."""
    company, *_rest = _designation_checked(
        person=person,
        number=number,
        name=name,
        email=email,
        national_number=national_number,
        reason=reason,
        by_contact_centre=by_contact_centre,
    )
    _refuse_current(
        company,
        email=(email or "").strip().lower(),
        national_number=national_number_normalize(national_number),
    )
    waiting = representative_change_waiting(company=company)
    if waiting is not None:
        raise _pending_refusal(waiting)
    return company


def representative_designate(
    *,
    person: Any,
    number: str,
    name: str,
    email: str,
    national_number: str,
    reason: str = "",
    by_contact_centre: bool = False,
    context: Context = SYSTEM,
) -> tuple[RepresentativeChange, str]:
    """Step 3: designate the new digital representative of the company
    ``number`` (their name, e-mail address and national number). Returns
    the designation and the token of its link (sent by e-mail, never
    stored). ``by_contact_centre``: a contact-centre agent designates for a
    company without a reachable representative, ``reason`` saying what was
    checked. Refuses, changing nothing: bad details, a person not allowed,
    the current representative designated again, a designation already
    waiting (also when two are made at once: one wins)."""
    company, basis, name, email, digits, reason = _designation_checked(
        person=person,
        number=number,
        name=name,
        email=email,
        national_number=national_number,
        reason=reason,
        by_contact_centre=by_contact_centre,
    )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            # One change of this company at a time: the second waits here,
            # then finds the first one's designation (the constraint below
            # is the last guard).
            company = (
                RegisteredCompany.objects.select_for_update()
                .select_related("representative")
                .get(pk=company.pk)
            )
            if basis == Basis.REPRESENTATIVE and company.representative_id != person.pk:
                basis = _basis(person=person, company=company)
            current = company.representative
            _refuse_current(company, email=email, national_number=digits)
            _expire_overdue(company, now)
            waiting = RepresentativeChange.objects.filter(
                company=company, status=Status.PENDING
            ).first()
            if waiting is not None:
                raise _pending_refusal(waiting)
            change = RepresentativeChange.objects.create(
                company=company,
                designated_by=person,
                basis=basis,
                reason=reason[:5000],
                previous_representative=current,
                name=name,
                email=email,
                national_number=digits,
                token_hash=keyed_hash(_TOKEN_PURPOSE, token),
                created_at=now,
                expires_at=now + dt.timedelta(days=DESIGNATION_DAYS),
            )
            audit_record(
                name="companies.representative.designated",
                actor=person,
                subject=change,
                data={
                    "number": company.number,
                    "basis": basis,
                    "email": email,
                    "previous": current.pk,
                    **({"reason": reason[:500]} if reason else {}),
                },
                context=context,
            )
            values = {
                "company": company.name,
                "number": enterprise_number_format(company.number),
                "name": name,
                "by": person.get_full_name(),
                "days": DESIGNATION_DAYS,
            }
            email_send(
                to=email,
                template="company_representative_designated",
                context={
                    **values,
                    "link": settings.BASE_URL
                    + reverse("companies:representative_accept", args=[token]),
                },
                language=person.language,
                secret=True,
            )
            if current.pk != person.pk:
                # The representative hears of it at once, and can call the
                # contact centre if it is wrong.
                email_send(
                    to=current.email,
                    template="company_representative_pending",
                    context=values,
                    language=current.language,
                    person=current,
                )
    except IntegrityError:
        # Another designation of this company committed first.
        waiting = (
            RepresentativeChange.objects.select_related("company")
            .filter(company_id=company.pk, status=Status.PENDING)
            .first()
        )
        if waiting is None:
            raise
        raise _pending_refusal(waiting) from None
    return change, token


def representative_change_find(*, token: str) -> RepresentativeChange:
    """The designation of a link; refuses an unknown, accepted, withdrawn or
    expired one, each with its own message."""
    change = (
        RepresentativeChange.objects.select_related("company", "company__representative")
        .filter(token_hash=keyed_hash(_TOKEN_PURPOSE, token or ""))
        .first()
    )
    if change is None:
        raise CompanyRefused("designation_unknown", _("This designation link is not valid."))
    _check_waiting(change)
    return change


def _check_waiting(change: RepresentativeChange) -> None:
    if change.status == Status.ACCEPTED:
        raise CompanyRefused(
            "designation_used",
            _("This designation was already accepted: %(name)s represents %(company)s.")
            % {"name": change.company.representative.get_full_name(), "company": change.company},
        )
    if change.status == Status.WITHDRAWN:
        raise CompanyRefused(
            "designation_withdrawn",
            _(
                "This designation was withdrawn. If you should represent %(company)s, ask the "
                "person who designated you."
            )
            % {"company": str(change.company)},
        )
    if change.status == Status.EXPIRED or change.expires_at <= timezone.now():
        raise CompanyRefused(
            "designation_expired",
            _(
                "This designation has expired (after %(days)d days). If you should represent "
                "%(company)s, ask for a new designation."
            )
            % {"days": DESIGNATION_DAYS, "company": str(change.company)},
        )


def representative_accept(
    *, token: str, person: Any, context: Context = SYSTEM
) -> RepresentativeChange:
    """The designated person accepts and becomes the company's digital
    representative: the link must be theirs (its e-mail address), they must
    be registered with itsme or the eID card, under the national number the
    designation gives. The previous representative loses the role (their
    next request for the company is refused); they and the users are told
    by e-mail."""
    change = representative_change_find(token=token)
    if change.email != (person.email or "").lower():
        raise CompanyRefused(
            "designation_other",
            _(
                "This designation was sent to another e-mail address. Log in with the account "
                "of that address to accept it."
            ),
        )
    if not person_may_register_companies(person):
        raise CompanyRefused(
            "assurance",
            _(
                "To become the digital representative of a company you must be registered "
                "with itsme or the eID card. Contact the contact centre to confirm your "
                "identity that way."
            ),
        )
    if change.national_number != (person.national_number or ""):
        raise CompanyRefused(
            "national_number",
            _(
                "This designation is for another person: your national register number is "
                "not the one it was made for. Ask the person who designated you to check it."
            ),
        )
    now = timezone.now()
    with transaction.atomic():
        company = (
            RegisteredCompany.objects.select_for_update()
            .select_related("representative")
            .get(pk=change.company_id)
        )
        change = RepresentativeChange.objects.select_for_update().get(pk=change.pk)
        change.company = company
        _check_waiting(change)
        previous = company.representative
        if previous.pk == person.pk:
            raise CompanyRefused(
                "already_representative",
                _("You are already the digital representative of %(company)s.")
                % {"company": str(company)},
            )
        company.representative = person
        company.save(update_fields=["representative"])
        # The new representative is no longer one of the users; the previous
        # one keeps no role (the new one invites them if they should stay).
        CompanyUser.objects.filter(company=company, person=person).delete()
        change.status = Status.ACCEPTED
        change.ended_at = now
        change.ended_by = person
        change.save(update_fields=["status", "ended_at", "ended_by"])
        audit_record(
            name="companies.representative.changed",
            actor=person,
            subject=company,
            data={
                "number": company.number,
                "change": change.pk,
                "old": previous.pk,
                "new": person.pk,
            },
            context=context,
        )
        values = {
            "company": company.name,
            "number": enterprise_number_format(company.number),
            "name": person.get_full_name(),
            "previous": previous.get_full_name(),
        }
        told = [previous] + [
            member.person for member in CompanyUser.objects.filter(company=company)
        ]
        for someone in told:
            email_send(
                to=someone.email,
                template="company_representative_changed",
                context={**values, "was_representative": someone.pk == previous.pk},
                language=someone.language,
                person=someone,
            )
    return change


def representative_change_waiting(*, company: RegisteredCompany) -> RepresentativeChange | None:
    """The designation of ``company`` that waits for an answer, if any."""
    return (
        RepresentativeChange.objects.filter(
            company=company, status=Status.PENDING, expires_at__gt=timezone.now()
        )
        .select_related("designated_by")
        .first()
    )


def representative_withdraw(
    *, change_id: int, person: Any, context: Context = SYSTEM
) -> RepresentativeChange:
    """Withdraw a designation before it is accepted: by the person who made
    it, or the contact centre (a representative who disagrees with a legal
    representative's designation calls the contact centre: they were told
    by e-mail)."""
    with transaction.atomic():
        change = (
            RepresentativeChange.objects.select_for_update()
            .select_related("company", "company__representative")
            .filter(pk=change_id)
            .first()
        )
        if change is None or not (
            person.pk == change.designated_by_id or person.has_perm(CONTACT_CENTRE_PERMISSION)
        ):
            raise CompanyRefused("not_allowed", _("You may not withdraw this designation."))
        _check_waiting(change)
        change.status = Status.WITHDRAWN
        change.ended_at = timezone.now()
        change.ended_by = person
        change.save(update_fields=["status", "ended_at", "ended_by"])
        audit_record(
            name="companies.representative.withdrawn",
            actor=person,
            subject=change,
            data={"number": change.company.number},
            context=context,
        )
    return change

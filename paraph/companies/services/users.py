"""A company's users (CO-3) and acting for a company (CO-3, CO-4): the
representative invites, removes and lets sign; every request made for a
company checks again that the person may act for it."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from paraph.accounts.hashing import keyed_hash
from paraph.audit.services import audit_record
from paraph.companies.models import CompanyInvitation, CompanyUser, RegisteredCompany
from paraph.companies.services.registration import CompanyRefused, person_may_register_companies
from paraph.core.belgium import enterprise_number_format, national_number_normalize
from paraph.core.context import SYSTEM, Context
from paraph.notifications.services import email_send

# --- users and acting for a company (CO-3, CO-4) -----------------------------

INVITATION_DAYS = 14


def _representative_only(*, company: RegisteredCompany, person: Any) -> None:
    if company.representative_id != person.pk:
        raise CompanyRefused(
            "not_representative",
            _("Only the digital representative of %(company)s manages its users.")
            % {"company": str(company)},
        )


def invitation_create(
    *,
    company: RegisteredCompany,
    person: Any,
    email: str,
    national_number: str = "",
    context: Context = SYSTEM,
) -> tuple[CompanyInvitation, str]:
    """The representative invites ``email`` to become a user of ``company``;
    returns the invitation and the token of its link (sent by e-mail, never
    stored)."""
    _representative_only(company=company, person=person)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise CompanyRefused("email", _("Enter an e-mail address like name@example.be.")) from exc
    nn = ""
    if (national_number or "").strip():
        try:
            nn = national_number_normalize(national_number)
        except ValidationError as exc:
            raise CompanyRefused("national_number", str(exc.messages[0])) from exc
    if CompanyUser.objects.filter(company=company, person__email__ciexact=email).exists() or (
        company.representative.email.lower() == email
    ):
        raise CompanyRefused(
            "already_user",
            _("This person already acts for %(company)s.") % {"company": str(company)},
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = CompanyInvitation.objects.create(
            company=company,
            email=email,
            national_number=nn,
            token_hash=keyed_hash("companies.invitation", token),
            invited_by=person,
            created_at=now,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS),
        )
        audit_record(
            name="companies.user.invited",
            actor=person,
            subject=invitation,
            data={"number": company.number, "email": email, "national_number_given": bool(nn)},
            context=context,
        )
        email_send(
            to=email,
            template="company_invitation",
            context={
                "company": company.name,
                "number": enterprise_number_format(company.number),
                "representative": person.get_full_name(),
                "link": settings.BASE_URL + reverse("companies:invitation", args=[token]),
                "days": INVITATION_DAYS,
            },
            language=person.language,
            secret=True,
        )
    return invitation, token


def invitation_find(*, token: str) -> CompanyInvitation:
    """The invitation of a link; refuses an unknown, used or expired one."""
    invitation = (
        CompanyInvitation.objects.select_related("company")
        .filter(token_hash=keyed_hash("companies.invitation", token or ""))
        .first()
    )
    if invitation is None:
        raise CompanyRefused("invitation_unknown", _("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise CompanyRefused("invitation_used", _("This invitation was already accepted."))
    if invitation.expires_at <= timezone.now():
        raise CompanyRefused(
            "invitation_expired",
            _("This invitation has expired: ask the digital representative for a new one."),
        )
    return invitation


def invitation_accept(*, token: str, person: Any, context: Context = SYSTEM) -> CompanyUser:
    """``person`` accepts an invitation: it must be theirs (its e-mail
    address, and national number when given) and they must have registered
    with itsme or the eID card. Single use."""
    invitation = invitation_find(token=token)
    if invitation.email.lower() != (person.email or "").lower():
        raise CompanyRefused(
            "invitation_other",
            _(
                "This invitation was sent to another e-mail address. Log in with the "
                "account of that address to accept it."
            ),
        )
    if not person_may_register_companies(person):
        raise CompanyRefused(
            "assurance",
            _(
                "To act for a company you must be registered with itsme or the eID card. "
                "Contact the contact centre to confirm your identity that way."
            ),
        )
    if invitation.national_number and invitation.national_number != person.national_number:
        raise CompanyRefused(
            "invitation_other",
            _("This invitation is for another person (the national register number differs)."),
        )
    with transaction.atomic():
        locked = CompanyInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise CompanyRefused("invitation_used", _("This invitation was already accepted."))
        locked.accepted_at = timezone.now()
        locked.accepted_by = person
        locked.save(update_fields=["accepted_at", "accepted_by"])
        member, _created = CompanyUser.objects.get_or_create(
            company=invitation.company, person=person, defaults={"added_at": locked.accepted_at}
        )
        audit_record(
            name="companies.user.added",
            actor=person,
            subject=member,
            data={"number": invitation.company.number, "invitation": locked.pk},
            context=context,
        )
    return member


def company_user_remove(
    *, company: RegisteredCompany, person: Any, user_id: int, context: Context = SYSTEM
) -> None:
    """The representative removes a user; a user acting for the company has
    their next request refused (see :func:`acting_check`)."""
    _representative_only(company=company, person=person)
    with transaction.atomic():
        member = (
            CompanyUser.objects.select_related("person").filter(company=company, pk=user_id).first()
        )
        if member is None:
            raise CompanyRefused("no_user", _("This person is not a user of the company."))
        audit_record(
            name="companies.user.removed",
            actor=person,
            subject=company,
            data={"number": company.number, "person": member.person_id},
            context=context,
        )
        member.delete()


def company_user_set_signer(
    *,
    company: RegisteredCompany,
    person: Any,
    user_id: int,
    can_sign: bool,
    context: Context = SYSTEM,
) -> CompanyUser:
    """The representative chooses whether a user may sign for the company."""
    _representative_only(company=company, person=person)
    with transaction.atomic():
        member = CompanyUser.objects.select_for_update().filter(company=company, pk=user_id).first()
        if member is None:
            raise CompanyRefused("no_user", _("This person is not a user of the company."))
        if member.can_sign != can_sign:
            member.can_sign = can_sign
            member.save(update_fields=["can_sign"])
            audit_record(
                name="companies.user.signing_changed",
                actor=person,
                subject=member,
                data={"number": company.number, "can_sign": can_sign},
                context=context,
            )
    return member


def acting_check(*, person: Any, number: str) -> RegisteredCompany:
    """Whether ``person`` may act for the company ``number`` (CO-3, CO-4).
    Refuses, naming the check that failed: ``not_registered`` (the company is
    not registered on Paraph), ``unfinished`` (the person was invited and has
    not accepted yet), ``not_member`` (neither representative nor user)."""
    company = RegisteredCompany.objects.filter(number=number).first()
    if company is None:
        raise CompanyRefused(
            "not_registered",
            _("The company %(number)s is not registered on Paraph.")
            % {"number": enterprise_number_format(number)},
        )
    if (
        company.representative_id == person.pk
        or CompanyUser.objects.filter(company=company, person=person).exists()
    ):
        return company
    if CompanyInvitation.objects.filter(
        company=company,
        email__ciexact=person.email,
        accepted_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists():
        raise CompanyRefused(
            "unfinished",
            _(
                "You have not accepted your invitation to act for %(company)s yet: open "
                "the link in the e-mail you received."
            )
            % {"company": str(company)},
        )
    raise CompanyRefused(
        "not_member",
        _("You are neither the digital representative nor a user of %(company)s.")
        % {"company": str(company)},
    )


def acting_set(*, person: Any, number: str, context: Context) -> RegisteredCompany | None:
    """``person`` chooses for whom they act from now on: the company
    ``number`` (checked by :func:`acting_check`, refused the same way) or,
    with no number, themselves. Recorded, so the audit log says on whose
    behalf each later action was taken; the view keeps the choice in the
    session."""
    company = acting_check(person=person, number=number) if number else None
    audit_record(
        name="companies.acting.chosen",
        actor=person,
        subject=company if company is not None else person,
        data={"number": company.number if company is not None else None},
        context=context,
    )
    return company

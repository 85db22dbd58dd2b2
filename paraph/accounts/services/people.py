"""Changes to a person: the language they chose; what the contact centre
does for them (LG-3): their e-mail address or phone changed, a lock-out
lifted, their account created; and the first back-office agent
(``paraph bootstrap-admin``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from paraph.accounts.models import AssuranceLevel, Language, Person, RegistrationMethod
from paraph.audit.services import audit_record
from paraph.core import roles
from paraph.core.belgium import national_number_normalize, phone_mask, phone_normalize
from paraph.core.context import SYSTEM, Context
from paraph.notifications.addresses import mask_destination
from paraph.notifications.services import email_send


def person_set_language(*, person: Person, language: str, context: Context = SYSTEM) -> Person:
    """Remember the language a person chose for pages and messages."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    if person.language == language:
        return person
    with transaction.atomic():
        old = person.language
        person.language = language
        person.save(update_fields=["language"])
        audit_record(
            name="accounts.person.language_changed",
            actor=person,
            subject=person,
            data={"old": old, "new": language},
            context=context,
        )
    return person


# --- Contact centre changes (LG-3): e-mail, phone, lock-out -----------------


CHANGE_REASON_MAX = 1000


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _change_reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _field_error(
            "reason",
            gettext("Write why this change is made (who asked, how you checked who they are)."),
            "required",
        )
    if len(reason) > CHANGE_REASON_MAX:
        raise _field_error(
            "reason",
            gettext("The reason can be at most %(limit)d characters long.")
            % {"limit": CHANGE_REASON_MAX},
            "max_length",
        )
    return reason


def _contact_changed_notify(
    *, person: Person, kind: str, old: str, new: str, recipients: list[str]
) -> None:
    """Tell the person, at every address given, that the contact centre
    changed how we reach them; the message never shows an address in full."""
    if kind == "email":
        old_masked, new_masked = mask_destination("email", old), mask_destination("email", new)
    else:
        old_masked, new_masked = phone_mask(old) if old else "", phone_mask(new)
    for to in recipients:
        email_send(
            to=to,
            template="contact_changed",
            context={
                "name": person.get_full_name(),
                "kind": kind,
                "old": old_masked,
                "new": new_masked,
                "to_old_address": kind == "email" and to == old,
            },
            language=person.language,
            person=person,
        )


def person_contact_set(
    *,
    person: Person,
    kind: Literal["email", "phone"],
    value: str,
    actor: Person | None,
    taken: ValidationError,
    audit_data: dict[str, Any],
    unlock: bool = False,
    context: Context = SYSTEM,
) -> tuple[Person, str]:
    """Write a person's new e-mail address or mobile phone (``kind``), which
    counts as verified from now on, under a row lock, with one audit event
    ``accounts.<kind>.changed`` (the old and the new value, then
    ``audit_data``). ``actor`` None: the person changed it themselves.
    ``unlock`` also lifts a log-in lock-out (the person just proved who they
    are). Returns the locked row and the old value; ``person`` is updated.

    Refuses with ``taken`` a value another person took meanwhile. What else
    to refuse, and whom to tell, is the caller's: the contact centre's
    change (LG-3) and the person's own (LG-3, LG-4) say it differently."""
    verified = f"{kind}_verified_at"
    fields = [kind, verified]
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        old = getattr(locked, kind)
        setattr(locked, kind, value)
        setattr(locked, verified, timezone.now())
        if unlock:
            locked.failed_login_count, locked.locked_until = 0, None
            fields += ["failed_login_count", "locked_until"]
        try:
            with transaction.atomic():
                locked.save(update_fields=fields)
        except IntegrityError as exc:  # taken by another person meanwhile
            raise taken from exc
        audit_record(
            name=f"accounts.{kind}.changed",
            actor=locked if actor is None else actor,
            subject=locked,
            data={"old": old, "new": value, **audit_data},
            context=context,
        )
    for field in fields:
        setattr(person, field, getattr(locked, field))
    return locked, old


def person_change_email(
    *,
    person: Person,
    new_email: str,
    reason: str,
    actor: Person,
    context: Context = SYSTEM,
) -> Person:
    """The contact centre changes a person's e-mail address (LG-3).

    Refuses, with a ``ValidationError`` keyed by field, a missing reason, an
    invalid address, the person's current address, and an address that
    belongs to another person (RG-3: an address is strictly personal).
    Notifies the person at the old and at the new address. The contact
    centre checked who the person is before the change, so the new address
    counts as verified from now on.
    """
    reason = _change_reason_clean(reason)
    new_email = Person.objects.normalize_email((new_email or "").strip())
    try:
        validate_email(new_email)
    except ValidationError as exc:
        raise _field_error(
            "new_email", gettext("Enter an e-mail address like name@example.be."), "invalid"
        ) from exc
    # Compared as every other check of an address is (``ciexact``): a change
    # of case only is the same mailbox, as the person's own change says.
    if new_email.lower() == person.email.lower():
        raise _field_error(
            "new_email", gettext("This already is the person's e-mail address."), "unchanged"
        )
    taken = _field_error(
        "new_email",
        gettext(
            "This e-mail address belongs to another person. An e-mail address "
            "must be personal: it cannot be shared by two people."
        ),
        "taken",
    )
    if Person.objects.filter(email__ciexact=new_email).exclude(pk=person.pk).exists():
        raise taken
    with transaction.atomic():
        locked, old = person_contact_set(
            person=person,
            kind="email",
            value=new_email,
            actor=actor,
            taken=taken,
            audit_data={"reason": reason},
            context=context,
        )
        _contact_changed_notify(
            person=locked, kind="email", old=old, new=new_email, recipients=[old, new_email]
        )
    return person


def person_change_phone(
    *,
    person: Person,
    new_phone: str,
    reason: str,
    actor: Person,
    context: Context = SYSTEM,
) -> Person:
    """The contact centre changes a person's mobile phone for log-in codes.

    Refuses, with a ``ValidationError`` keyed by field, a missing reason, a
    number that is not a mobile number, the current number, and a number
    that belongs to another person. The person is told by e-mail, not by
    SMS (RG-7: the phone serves log-in codes only).
    """
    reason = _change_reason_clean(reason)
    try:
        new_phone = phone_normalize(new_phone)
    except ValidationError as exc:
        raise ValidationError({"new_phone": exc}) from exc
    if new_phone == person.phone:
        raise _field_error(
            "new_phone", gettext("This already is the person's phone number."), "unchanged"
        )
    taken = _field_error(
        "new_phone", gettext("This phone number belongs to another person."), "taken"
    )
    if Person.objects.filter(phone=new_phone).exclude(pk=person.pk).exists():
        raise taken
    with transaction.atomic():
        locked, old = person_contact_set(
            person=person,
            kind="phone",
            value=new_phone,
            actor=actor,
            taken=taken,
            audit_data={"reason": reason},
            context=context,
        )
        _contact_changed_notify(
            person=locked, kind="phone", old=old, new=new_phone, recipients=[locked.email]
        )
    return person


def person_unlock(*, person: Person, actor: Person, context: Context = SYSTEM) -> bool:
    """Lift a log-in lock-out and forget past failures (LG-2: the contact
    centre helps a locked-out person). Returns False, and records nothing,
    when there was nothing to lift."""
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.locked_until is None and locked.failed_login_count == 0:
            return False
        old = {
            "locked_until": locked.locked_until.isoformat() if locked.locked_until else None,
            "failed_login_count": locked.failed_login_count,
        }
        locked.locked_until = None
        locked.failed_login_count = 0
        locked.save(update_fields=["locked_until", "failed_login_count"])
        audit_record(
            name="accounts.login.unlocked",
            actor=actor,
            subject=locked,
            data={"old": old},
            context=context,
        )
    person.locked_until, person.failed_login_count = None, 0
    return True


# --- The contact centre creates a person (until registration exists) --------


def _national_number_mask(national_number: str) -> str:
    """``85.07.30-***.**``: the birth date part only, for the audit log."""
    return f"{national_number[:2]}.{national_number[2:4]}.{national_number[4:6]}-***.**"


def _email_taken() -> str:
    return gettext(
        "This e-mail address belongs to another person. An e-mail address "
        "must be personal: it cannot be shared by two people."
    )


def phone_taken_error(field: str = "phone") -> ValidationError:
    """What a person reads when the mobile number they gave is another
    account's: at registration, for a new phone, at the adminbox's
    activation (one wording everywhere). Staff read :func:`_phone_taken`."""
    return ValidationError(
        {
            field: ValidationError(
                gettext(
                    "This mobile number is already used by another account: every account "
                    "needs its own number. Give another number, or call the contact centre."
                ),
                code="taken",
            )
        }
    )


def _phone_taken() -> str:
    return gettext("This phone number belongs to another person.")


def _national_number_taken() -> str:
    return gettext(
        "This national register number belongs to another person. Search for "
        "that person instead of creating a second account."
    )


Refuse = Callable[[str, str, str], None]


def _names_check(first_name: str, last_name: str, refuse: Refuse) -> dict[str, str]:
    """The names, spaces collapsed; missing or too long ones refused."""
    names: dict[str, str] = {}
    for field, value, missing in (
        ("first_name", first_name, gettext("Enter the person's first name.")),
        ("last_name", last_name, gettext("Enter the person's last name.")),
    ):
        value = " ".join((value or "").split())
        limit = 150  # the max_length of Person.first_name and last_name
        if not value:
            refuse(field, missing, "required")
        elif len(value) > limit:
            refuse(
                field,
                gettext("A name can be at most %(limit)d characters long.") % {"limit": limit},
                "max_length",
            )
        names[field] = value
    return names


def _new_email_check(email: str, refuse: Refuse) -> str:
    """A new person's e-mail address, normalised; refused when missing,
    invalid or another person's."""
    email = Person.objects.normalize_email((email or "").strip())
    if not email:
        refuse("email", gettext("Enter the person's e-mail address."), "required")
        return email
    try:
        validate_email(email)
    except ValidationError:
        refuse("email", gettext("Enter an e-mail address like name@example.be."), "invalid")
    else:
        if Person.objects.filter(email__ciexact=email).exists():
            refuse("email", _email_taken(), "taken")
    return email


def _new_phone_check(phone: str, refuse: Refuse, errors: dict[str, Any]) -> str:
    """A new person's mobile number, normalised; refused when missing,
    not a mobile number or another person's."""
    if not (phone or "").strip():
        refuse("phone", gettext("Enter the person's mobile phone number."), "required")
        return phone
    try:
        phone = phone_normalize(phone)
    except ValidationError as exc:
        errors.setdefault("phone", exc)
    else:
        if Person.objects.filter(phone=phone).exists():
            refuse("phone", _phone_taken(), "taken")
    return phone


def _new_national_number_check(
    national_number: str, refuse: Refuse, errors: dict[str, Any]
) -> str | None:
    """A new person's national number (optional), normalised; refused when
    invalid or another person's."""
    if not (national_number or "").strip():
        return None
    try:
        nn = national_number_normalize(national_number)
    except ValidationError as exc:
        errors.setdefault("national_number", exc)
        return None
    if Person.objects.filter(national_number=nn).exists():
        refuse("national_number", _national_number_taken(), "taken")
    return nn


def _taken_fields(email: str, phone: str, nn: str | None) -> dict[str, ValidationError]:
    """The fields another person holds now (after a lost race)."""
    taken: dict[str, ValidationError] = {}
    if Person.objects.filter(email__ciexact=email).exists():
        taken["email"] = ValidationError(_email_taken(), code="taken")
    if Person.objects.filter(phone=phone).exists():
        taken["phone"] = ValidationError(_phone_taken(), code="taken")
    if nn and Person.objects.filter(national_number=nn).exists():
        taken["national_number"] = ValidationError(_national_number_taken(), code="taken")
    return taken


def person_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    national_number: str,
    language: str,
    reason: str,
    actor: Person,
    context: Context = SYSTEM,
) -> Person:
    """The contact centre creates a person's account, at their request.

    Refuses, with one ``ValidationError`` keyed by field that lists every
    mistake at once: a missing reason, a missing or too long name, an
    invalid e-mail address, a number that is not a mobile number, an
    invalid national register number (optional), an unknown language, and
    an e-mail address, phone number or national number that belongs to
    another person (RG-3), without ever naming that person.

    The contact centre checked the person on the phone, so the phone counts
    as verified and the person can log in with an SMS code at once; the
    e-mail address is not verified. The account has no password. The person
    gets a welcome e-mail in their language.
    """
    errors: dict[str, Any] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, ValidationError(message, code=code))

    try:
        reason = _change_reason_clean(reason)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    names = _names_check(first_name, last_name, refuse)
    email = _new_email_check(email, refuse)
    phone = _new_phone_check(phone, refuse, errors)
    nn = _new_national_number_check(national_number, refuse, errors)
    if language not in Language.values:
        refuse(
            "language",
            gettext("Choose the language in which the person wants to read Paraph."),
            "required" if not language else "invalid",
        )
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    person = Person(
        first_name=names["first_name"],
        last_name=names["last_name"],
        email=email,
        phone=phone,
        phone_verified_at=now,
        national_number=nn,
        language=language,
        assurance_level=AssuranceLevel.LOW,
        registration_method=RegistrationMethod.BACKOFFICE,
        registered_at=now,
        date_joined=now,
    )
    person.set_unusable_password()
    with transaction.atomic():
        try:
            with transaction.atomic():
                person.save(force_insert=True)
        except IntegrityError as exc:
            # Another person took one of them meanwhile: say which.
            raced = _taken_fields(email, phone, nn)
            if not raced:
                raise
            raise ValidationError(raced) from exc
        audit_record(
            name="accounts.person.created",
            actor=actor,
            subject=person,
            data={
                "new": {
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "email": email,
                    "phone": phone,
                    "national_number": _national_number_mask(nn) if nn else "",
                    "language": language,
                    "registration_method": RegistrationMethod.BACKOFFICE.value,
                    "assurance_level": AssuranceLevel.LOW.value,
                },
                "reason": reason,
            },
            context=context,
        )
        email_send(
            to=email,
            template="account_created",
            context={
                "name": person.get_full_name(),
                "login_url": f"{settings.BASE_URL}{reverse('accounts:login')}",
                "phone": phone_mask(phone),
            },
            language=language,
            person=person,
        )
    return person


# --- The first back-office agent (``paraph bootstrap-admin``) ----------------


class AgentBootstrapRefused(Exception):
    """``paraph bootstrap-admin`` was refused; the message says why."""


def agent_bootstrap(
    *,
    email: str,
    phone: str,
    first_name: str,
    last_name: str,
    password: str,
    language: str = Language.FR,
) -> Person:
    """Create the first back-office agent: an active superuser (who then
    adds the other agents in the back office) whose phone counts as verified,
    so the back office's log-in (password, then an SMS code) works at once.

    Refuses, naming why: when any active staff member already exists (it
    runs once; later agents are made in the back office), an invalid e-mail
    address or mobile number, one that belongs to someone, an unknown
    language, and a password that Django's validators refuse.
    """
    from django.contrib.auth.models import Group
    from django.contrib.auth.password_validation import validate_password

    email = Person.objects.normalize_email((email or "").strip())
    try:
        validate_email(email)
    except ValidationError as exc:
        raise AgentBootstrapRefused(f"{email!r} is not an e-mail address") from exc
    try:
        phone = phone_normalize(phone)
    except ValidationError as exc:
        raise AgentBootstrapRefused(f"{phone!r}: {' '.join(exc.messages)}") from exc
    if language not in Language.values:
        raise AgentBootstrapRefused(f"the language must be one of {', '.join(Language.values)}")
    first_name, last_name = " ".join(first_name.split()), " ".join(last_name.split())
    if not first_name or not last_name:
        raise AgentBootstrapRefused("the agent needs a first name and a last name")
    candidate = Person(email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise AgentBootstrapRefused("the password is refused: " + " ".join(exc.messages)) from exc

    with transaction.atomic():
        existing = Person.objects.filter(is_staff=True, is_active=True).first()
        if existing is not None:
            raise AgentBootstrapRefused(
                f"the back office already has an agent ({existing.email}): "
                "nothing was changed; add other agents in the back office"
            )
        if Person.objects.filter(email__ciexact=email).exists():
            raise AgentBootstrapRefused(f"{email} already belongs to a person: nothing was changed")
        if Person.objects.filter(phone=phone).exists():
            raise AgentBootstrapRefused(f"{phone} already belongs to a person: nothing was changed")
        now = timezone.now()
        agent = Person.objects.create_user(
            email,
            password,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            phone_verified_at=now,
            language=language,
            is_staff=True,
            is_superuser=True,
            registration_method=RegistrationMethod.BACKOFFICE,
        )
        # What every agent may do (the role, declared in core/roles.py).
        agent.groups.add(*Group.objects.filter(name=roles.AGENTS))
        audit_record(
            name="accounts.agent.bootstrapped",
            subject=agent,
            actor_label="paraph bootstrap-admin",
            data={"email": email, "phone": phone_mask(phone), "superuser": True},
        )
    return agent

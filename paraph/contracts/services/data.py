"""What a new contract carries (:class:`ContractData`: its recipient, its
dates, where the signature goes) and what is wrong with it: every problem
found at once, as :class:`~paraph.contracts.services.errors.FieldError`
named like the API's JSON (pydantic's too, in the language of the
answer)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from paraph.accounts.models import Language, Person
from paraph.contracts.inputs import BRUSSELS, ContractIn
from paraph.contracts.services.errors import ContractInvalid, FieldError
from paraph.core.belgium import (
    enterprise_number_normalize,
    national_number_normalize,
    phone_normalize,
)
from paraph.signing import engine


@dataclass(frozen=True)
class RecipientData:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    national_number: str | None = None
    language: str | None = None
    # A company's contract (ADR 35): its enterprise number as the sender
    # typed it (ten digits once checked); no names, phone or national number.
    # None: a person's contract.
    company_number: str | None = None


@dataclass(frozen=True)
class SignaturePlacement:
    """``page`` counts from 1 (None: the last page); ``box`` in PDF points."""

    page: int | None = None
    box: tuple[float, float, float, float] | None = None

    def engine_placement(self) -> engine.Placement:
        return engine.Placement(
            page=self.page - 1 if self.page else -1,
            box=tuple(self.box) if self.box else None,  # type: ignore[arg-type]
        )


@dataclass
class ContractData:
    """What :func:`contract_create` needs, parsed from a :class:`ContractIn`."""

    title: str
    recipient: RecipientData
    start_of_work: dt.datetime
    deadline: dt.datetime | None = None
    placement: SignaturePlacement | None = None
    external_reference: str = ""
    errors: list[FieldError] = field(default_factory=list)

    @classmethod
    def from_input(cls, data: ContractIn) -> ContractData:
        r, company = data.recipient, data.company
        errors = []
        if (r is None) == (company is None):
            errors.append(person_or_company_error(both=r is not None))
        if r is not None:
            recipient = RecipientData(
                first_name=r.first_name,
                last_name=r.last_name,
                email=r.email,
                phone=r.phone,
                national_number=r.national_number or None,
                language=r.language,
            )
        elif company is not None:
            recipient = RecipientData(
                first_name="",
                last_name="",
                email=company.email,
                language=company.language,
                company_number=company.enterprise_number,
            )
        else:
            recipient = RecipientData(first_name="-", last_name="-", email="")
        return cls(
            title=data.title,
            recipient=recipient,
            errors=errors,
            start_of_work=data.start_of_work,
            deadline=data.signing_deadline,
            placement=SignaturePlacement(page=data.signature.page, box=data.signature.box)
            if data.signature
            else None,
            external_reference=data.external_reference,
        )


def person_or_company_error(*, both: bool) -> FieldError:
    """A contract goes to a person or to a company: never both, never neither."""
    if both:
        message = gettext(
            "Give either a person (recipient) or a company (company), not both: a contract "
            "has one recipient."
        )
    else:
        message = gettext(
            "Say to whom the contract goes: a person (recipient) or a company (company)."
        )
    return FieldError("recipient", "person_or_company", message)


def recipient_shape_problems(body: Any) -> list[FieldError]:
    """A request's body that names both a person and a company, or neither
    (found before its model is read, so it is reported with the model's
    other problems)."""
    if not isinstance(body, dict):
        return []
    person = body.get("recipient") is not None
    company = body.get("company") is not None
    return [person_or_company_error(both=person)] if person == company else []


def pdf_from_base64(value: str, *, field_name: str = "pdf_base64") -> bytes:
    """The bytes of a base64 PDF, or :class:`ContractInvalid`."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ContractInvalid(
            [FieldError(field_name, "base64", gettext("This is not valid base64."))]
        ) from exc


# --- Checking a contract's data -----------------------------------------------------------


def _text_fields_check(
    *,
    title: Any,
    first_name: Any,
    last_name: Any,
    email: Any,
    phone: Any,
    national_number: Any,
    company: bool = False,
) -> tuple[str, str, str | None, list[FieldError]]:
    """The e-mail address, phone (E.164) and national number normalised, and
    the problems of the contract's text fields. A value that is not text is
    left to the caller (the model of the request says what is wrong). For a
    ``company``, only the title and the e-mail address (``company.email``)."""
    errors: list[FieldError] = []
    clean_email = ""
    if isinstance(email, str):
        clean_email = Person.objects.normalize_email(email.strip())
        try:
            validate_email(clean_email)
        except ValidationError:
            errors.append(
                FieldError(
                    "company.email" if company else "recipient.email",
                    "invalid",
                    gettext("Enter an e-mail address like name@example.be."),
                )
            )
    clean_phone = ""
    if isinstance(phone, str):
        try:
            clean_phone = phone_normalize(phone)
        except ValidationError as exc:
            errors.append(
                FieldError("recipient.phone", exc.code or "invalid", str(exc.messages[0]))
            )
    clean_number = None
    if isinstance(national_number, str) and national_number:
        try:
            clean_number = national_number_normalize(national_number)
        except ValidationError as exc:
            errors.append(
                FieldError("recipient.national_number", exc.code or "invalid", str(exc.messages[0]))
            )
    required = [("title", title, gettext("Give the contract a title."))]
    if not company:
        required += [
            ("recipient.first_name", first_name, gettext("Give the recipient's first name.")),
            ("recipient.last_name", last_name, gettext("Give the recipient's last name.")),
        ]
    for name, value, message in required:
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(FieldError(name, "required", message))
    return clean_email, clean_phone, clean_number, errors


def contract_body_problems(body: Any) -> list[FieldError]:
    """The problems of a request's text fields that its model did not
    accept (another field had the wrong type, or was missing): reported
    with the model's, so a sender sees every error at once."""
    if not isinstance(body, dict):
        return []
    shape = recipient_shape_problems(body)
    if shape:
        return shape
    company = body.get("company")
    if isinstance(company, dict) and "recipient" not in body:
        problems = _text_fields_check(
            title=body.get("title"),
            first_name=None,
            last_name=None,
            email=company.get("email"),
            phone=None,
            national_number=None,
            company=True,
        )[3]
        number = company.get("enterprise_number")
        if isinstance(number, str):
            problems += _company_number_check(number)[1]
        return problems
    recipient = body.get("recipient")
    recipient = recipient if isinstance(recipient, dict) else {}
    return _text_fields_check(
        title=body.get("title"),
        first_name=recipient.get("first_name"),
        last_name=recipient.get("last_name"),
        email=recipient.get("email"),
        phone=recipient.get("phone"),
        national_number=recipient.get("national_number"),
    )[3]


def _company_number_check(value: str) -> tuple[str, list[FieldError]]:
    """The ten digits of an enterprise number, or why it is not one."""
    try:
        return enterprise_number_normalize(value), []
    except ValidationError as exc:
        return "", [
            FieldError("company.enterprise_number", exc.code or "invalid", str(exc.messages[0]))
        ]


def contract_fields_check(
    data: ContractData, *, now: dt.datetime
) -> tuple[RecipientData, dt.datetime, dt.datetime, list[FieldError]]:
    """The recipient's data normalised, the start of work and the deadline
    (time-zone aware), and every problem."""
    errors = list(data.errors)
    r = data.recipient
    if any(e.code == "person_or_company" for e in errors):
        # Without knowing to whom, the recipient's fields mean nothing yet.
        return r, now, now, errors
    company = r.company_number is not None
    email, phone, national_number, text_errors = _text_fields_check(
        title=data.title,
        first_name=r.first_name,
        last_name=r.last_name,
        email=r.email,
        phone=None if company else r.phone,
        national_number=None if company else r.national_number,
        company=company,
    )
    errors.extend(text_errors)
    company_number = None
    if r.company_number is not None:
        company_number, number_errors = _company_number_check(r.company_number)
        errors.extend(number_errors)
    if data.placement is not None and data.placement.box is not None:
        try:
            data.placement.engine_placement()
        except ValueError:
            errors.append(
                FieldError(
                    "signature.box",
                    "too_small",
                    gettext("The signature box must be at least %(w)d x %(h)d points.")
                    % {"w": engine.MIN_BOX_WIDTH, "h": engine.MIN_BOX_HEIGHT},
                )
            )
    start = data.start_of_work
    if start.tzinfo is None:
        start = start.replace(tzinfo=BRUSSELS)
    deadline = data.deadline or start
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=BRUSSELS)
    if deadline <= now:
        errors.append(
            FieldError(
                "signing_deadline" if data.deadline else "start_of_work",
                "past",
                gettext("The signing deadline has already passed: choose a later moment."),
            )
        )
    elif deadline > start:
        errors.append(
            FieldError(
                "signing_deadline",
                "after_start",
                gettext(
                    "The contract must be signed before work starts: the deadline cannot be "
                    "after the start of work."
                ),
            )
        )
    language = r.language if r.language in Language.values else None
    clean = RecipientData(
        first_name=r.first_name.strip(),
        last_name=r.last_name.strip(),
        email=email,
        phone=phone,
        national_number=national_number,
        language=language,
        company_number=company_number,
    )
    return clean, start, deadline, errors


# --- pydantic's errors, in the language of the answer -------------------------------------


def pydantic_errors(exc: Any) -> list[FieldError]:
    """A pydantic ``ValidationError`` as field errors named like the JSON,
    each in the language of the answer (pydantic's own are in English)."""
    result = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        result.append(FieldError(loc, str(error.get("type", "invalid")), _pydantic_message(error)))
    return result


_NOT_A_NUMBER = frozenset(
    {"int_parsing", "int_type", "int_from_float", "float_parsing", "float_type", "finite_number"}
)
_WRONG_TYPE = frozenset(
    {"string_type", "dict_type", "model_type", "model_attributes_type", "list_type", "tuple_type"}
)


def _pydantic_message(error: Any) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return gettext("This field is required.")
    if kind == "extra_forbidden":
        return gettext("Paraph does not know this field: check its name.")
    if kind == "string_too_long":
        return gettext("Too long: at most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind.startswith(("datetime_", "date_", "time_")):
        return gettext("Not a date and time: write it like 2026-12-07T08:00:00+01:00.")
    if kind in _NOT_A_NUMBER:
        return gettext("Not a number.")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return gettext("This number is out of range.")
    if kind == "literal_error":
        return gettext("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind in ("too_short", "too_long"):
        return gettext("Wrong number of values.")
    if kind == "json_invalid":
        return gettext("The body is not valid JSON.")
    if kind in _WRONG_TYPE:
        return gettext("Wrong kind of value for this field.")
    return gettext("This value is not valid.")

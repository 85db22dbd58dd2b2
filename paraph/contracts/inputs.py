"""The shape of a contract as senders send it: one description shared by
the API (JSON or multipart), the bulk send (API and CSV) and the back
office, so every path checks the same things in the same words.

These models check types and maximum lengths; whether a field is filled
in and the rules of the domain (a valid e-mail address, a mobile phone, a
national register number, the deadline before the start of work, RG-3) are
checked by
:func:`paraph.contracts.services.contract_create`, which reports every
problem at once with the same field names (``recipient.phone``...).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

BRUSSELS = ZoneInfo("Europe/Brussels")


def brussels_aware(value: datetime | date) -> datetime:
    """A moment without a time zone is Brussels time (the law on temporary
    work speaks of the Belgian start of work); a date alone is its midnight."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    if value.tzinfo is None:
        return value.replace(tzinfo=BRUSSELS)
    return value


class RecipientIn(BaseModel):
    """The person who signs, as the sender knows them (ES-2: the contract
    goes to this e-mail address)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: Annotated[str, Field(max_length=150)]
    last_name: Annotated[str, Field(max_length=150)]
    email: Annotated[str, Field(max_length=254)]
    phone: Annotated[str, Field(max_length=32, description="Mobile phone, e.g. +32470123456.")]
    national_number: Annotated[
        str | None,
        Field(
            default=None,
            max_length=20,
            description="Belgian national register or BIS number (optional).",
        ),
    ] = None
    language: Annotated[
        Literal["fr", "nl", "de", "en"] | None,
        Field(
            default=None,
            description="Language of the e-mails for a person new to Paraph (default fr); "
            "a known person keeps their own.",
        ),
    ] = None


class CompanyRecipientIn(BaseModel):
    """A company as the recipient (ADR 35): its Belgian enterprise number in
    any printed form (``BE 0812.345.603``, ``0812345603``, the old nine
    digits) and the e-mail address the contract is announced to. The
    contract lands in the company's adminbox, where its digital
    representative, or a user it allows to sign, signs for it. A company not
    registered on Paraph yet: the e-mail asks its representative to register
    it, and the contract waits."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    enterprise_number: Annotated[
        str, Field(max_length=20, description="Belgian enterprise number (KBO/BCE).")
    ]
    email: Annotated[str, Field(max_length=254)]
    language: Annotated[
        Literal["fr", "nl", "de", "en"] | None,
        Field(default=None, description="Language of the e-mail and the stamp (default fr)."),
    ] = None


class PlacementIn(BaseModel):
    """Where the recipient's signature goes: ``page`` counts from 1 (default:
    the last page); ``box`` is [x1, y1, x2, y2] in PDF points from the
    page's lower-left corner, at least 140 x 40 (default: a free place at
    the bottom of the page)."""

    model_config = ConfigDict(extra="forbid")

    page: Annotated[int | None, Field(default=None, ge=1, le=10_000)] = None
    box: tuple[float, float, float, float] | None = None


class ContractIn(BaseModel):
    """A contract for a person (``recipient``) or a company (``company``):
    exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "oneOf": [
                {"required": ["recipient"], "not": {"required": ["company"]}},
                {"required": ["company"], "not": {"required": ["recipient"]}},
            ]
        },
    )

    title: Annotated[str, Field(max_length=200)]
    recipient: Annotated[
        RecipientIn | None, Field(default=None, description="A person (or give `company`).")
    ] = None
    company: Annotated[
        CompanyRecipientIn | None,
        Field(default=None, description="A company (or give `recipient`)."),
    ] = None
    external_reference: Annotated[str, Field(default="", max_length=100)] = ""
    start_of_work: Annotated[
        datetime,
        Field(description="When the work starts; without a time zone, Brussels time."),
    ]
    signing_deadline: Annotated[
        datetime | None,
        Field(
            default=None,
            description="Until when the contract can be signed; default: the start of work.",
        ),
    ] = None
    signature: PlacementIn | None = None

    @field_validator("start_of_work", "signing_deadline", mode="after")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else brussels_aware(value)


class ContractJsonIn(ContractIn):
    """A contract with its PDF in base64 (for a JSON request)."""

    pdf_base64: Annotated[str, Field(min_length=1, description="The PDF, base64-encoded.")]


class ReofferIn(BaseModel):
    """A new version of a contract: what changes (the PDF always)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Annotated[str | None, Field(default=None, min_length=1, max_length=200)] = None
    start_of_work: datetime | None = None
    signing_deadline: datetime | None = None
    signature: PlacementIn | None = None

    @field_validator("start_of_work", "signing_deadline", mode="after")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else brussels_aware(value)


class ReofferJsonIn(ReofferIn):
    pdf_base64: Annotated[str, Field(min_length=1)]

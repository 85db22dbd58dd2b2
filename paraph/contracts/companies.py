"""Contracts addressed to a company: what ``contracts`` needs to know about
companies, behind a small Protocol that ``paraph.companies`` (a floor up)
fills when the apps are ready.

A company recipient is an enterprise number on the contract, not a
foreign key: a contract may wait for a company that is not registered on
Paraph yet, and reaches its adminbox once its digital representative
registers it. Who may see and sign it is asked here, at every step and
again under the contract's row lock, so a user removed, or whose right to
sign was withdrawn, between opening and signing is refused at signing
(ADR 35)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext

from paraph.core.belgium import enterprise_number_format


@dataclass(frozen=True)
class CompanyFound:
    """A company a contract can be addressed to: its ten digits, its name
    (the registry's or, once registered, Paraph's), and whether it is
    registered on Paraph (otherwise the contract waits for it)."""

    number: str
    name: str
    registered: bool


@dataclass(frozen=True)
class CompanyRole:
    """What ``person`` is for a company right now: ``representative`` or
    ``user``; ``can_sign`` whether they may sign for it; the name of its
    representative (whom a user asks for the right to sign)."""

    role: str
    can_sign: bool
    company_name: str
    representative_name: str


class CompanyRecipientRefused(Exception):
    """A company no contract can be addressed to: ``code`` ``invalid``,
    ``unknown`` or ``stopped``, ``message`` in the active language."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CompanyDirectory(Protocol):
    def recipient(self, number: str) -> CompanyFound:
        """The company ``number`` (ten digits) as a recipient, or
        :class:`CompanyRecipientRefused` (unknown to the register, stopped)."""
        ...

    def role(self, *, person: Any, number: str) -> CompanyRole | None:
        """What ``person`` is for the company ``number`` now; None when they
        are neither its representative nor a user (or it is not registered)."""
        ...


class _NoCompanies:
    """Before ``paraph.companies`` is installed: no company recipient."""

    def recipient(self, number: str) -> CompanyFound:
        raise CompanyRecipientRefused(
            "unknown",
            gettext("Paraph cannot address contracts to companies here."),
        )

    def role(self, *, person: Any, number: str) -> CompanyRole | None:
        return None


_directory: CompanyDirectory = _NoCompanies()


def company_directory_set(directory: CompanyDirectory) -> None:
    """Called by ``paraph.companies`` when the apps are ready."""
    global _directory
    _directory = directory


def company_directory() -> CompanyDirectory:
    return _directory


def company_label(*, name: str, number: str) -> str:
    """ "Boulangerie Dupont (enterprise number 0812.345.603)", in the active
    language: how pages, e-mails, stamps and evidence name a company."""
    return gettext("%(company)s (enterprise number %(number)s)") % {
        "company": name,
        "number": enterprise_number_format(number),
    }


def acting_company_number(request: Any) -> str:
    """The enterprise number the person acts for in this request (checked
    by ``companies.middleware`` on every request), "" for themselves."""
    company = getattr(request, "acting_for", None)
    return str(getattr(company, "number", "") or "")

"""Reads of the imported KBO open data."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from paraph.companies.models import (
    Address,
    Company,
    CompanyUser,
    CorrectionRequest,
    Denomination,
    Establishment,
    KboCode,
    KboImport,
    RegisteredCompany,
)


def kbo_dataset_current() -> KboImport | None:
    """The full import whose dataset lookups read: the newest one that
    finished. None before the first import."""
    return (
        KboImport.objects.filter(kind=KboImport.Kind.FULL, status=KboImport.Status.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )


def kbo_import_latest(*, dataset: KboImport) -> KboImport:
    """The newest finished import of ``dataset``: its last update, or the
    full import itself. Its extract number is the data's."""
    update = (
        KboImport.objects.filter(dataset=dataset, status=KboImport.Status.DONE)
        .order_by("-extract_number", "-pk")
        .first()
    )
    return update or dataset


def kbo_company_rows(
    *, dataset_id: int, number: str
) -> tuple[Company, list[Denomination], list[Address], list[Establishment]] | None:
    """An enterprise's rows in one dataset, with its establishments, and the
    names and addresses of both (four queries); None when it is absent."""
    company = Company.objects.filter(dataset_id=dataset_id, number=number).first()
    if company is None:
        return None
    establishments = list(
        Establishment.objects.filter(dataset_id=dataset_id, enterprise_number=number).order_by(
            "number"
        )
    )
    entities = [number, *(e.number for e in establishments)]
    names = list(
        Denomination.objects.filter(dataset_id=dataset_id, entity_number__in=entities).order_by(
            "entity_number", "kind", "language", "pk"
        )
    )
    addresses = list(
        Address.objects.filter(dataset_id=dataset_id, entity_number__in=entities).order_by(
            "entity_number", "kind", "pk"
        )
    )
    return company, names, addresses, establishments


def kbo_code_descriptions(
    *, dataset_id: int, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Descriptions of ``(category, code)`` pairs: ``{pair: [(language, text)]}``."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    if not wanted:
        return found
    rows = KboCode.objects.filter(
        dataset_id=dataset_id,
        category__in={category for category, _code in wanted},
        code__in={code for _category, code in wanted},
    ).order_by("category", "code", "language")
    for row in rows:
        if (row.category, row.code) in wanted:
            found.setdefault((row.category, row.code), []).append(
                (row.language.lower(), row.description)
            )
    return found


def companies_represented(*, person: Any) -> list[RegisteredCompany]:
    """The companies ``person`` is the digital representative of, with their
    correction requests (newest first)."""
    return list(
        RegisteredCompany.objects.filter(representative=person)
        .prefetch_related(
            Prefetch(
                "corrections", queryset=CorrectionRequest.objects.order_by("-created_at", "-pk")
            )
        )
        .order_by("name")
    )


def companies_of(*, person: Any) -> list[RegisteredCompany]:
    """The companies ``person`` may act for: as representative or user. Two
    look-ups joined by a union, each through its index (an ``OR`` across the
    join would read every company)."""
    return list(
        RegisteredCompany.objects.filter(representative=person)
        .union(RegisteredCompany.objects.filter(users__person=person))
        .order_by("name")
    )


def company_users(*, company: RegisteredCompany) -> list[CompanyUser]:
    return list(company.users.select_related("person").order_by("person__last_name", "pk"))

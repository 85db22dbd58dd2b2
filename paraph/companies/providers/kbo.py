"""The default :class:`~paraph.companies.providers.CompanyRegistry`: the
Crossroads Bank for Enterprises open data, as ``paraph import-kbo`` loaded
it into this database."""

from __future__ import annotations

from paraph.companies import selectors
from paraph.companies.models import Address as AddressRow
from paraph.companies.models import Company, Denomination, KboImport
from paraph.companies.providers import (
    KBO_LANGUAGES,
    Address,
    Code,
    CompanyData,
    EstablishmentData,
    Name,
)

# A full import may replace the dataset while a lookup reads it: the lookup
# then starts again on the new one (docs/adr/0017).
_TRIES = 3


def _names(rows: list[Denomination], entity: str) -> tuple[Name, ...]:
    return tuple(
        Name(language=KBO_LANGUAGES.get(row.language, ""), kind=row.kind, text=row.name)
        for row in rows
        if row.entity_number == entity
    )


def _address(rows: list[AddressRow], entity: str, kinds: tuple[str, ...]) -> Address | None:
    for kind in kinds:
        for row in rows:
            if row.entity_number == entity and row.kind == kind and not row.date_striking_off:
                return Address(
                    street_fr=row.street_fr,
                    street_nl=row.street_nl,
                    house_number=row.house_number,
                    box=row.box,
                    zipcode=row.zipcode,
                    municipality_fr=row.municipality_fr,
                    municipality_nl=row.municipality_nl,
                    country_fr=row.country_fr,
                    country_nl=row.country_nl,
                    extra=row.extra,
                )
    return None


class KboOpenDataRegistry:
    """Looks an enterprise up in the current imported dataset."""

    def lookup(self, enterprise_number: str) -> CompanyData | None:
        for _try in range(_TRIES):
            dataset = selectors.kbo_dataset_current()
            if dataset is None:
                return None
            found = self._read(dataset, enterprise_number)
            # Still current: every read above came before any row of this
            # dataset could be removed (a replaced dataset is removed only
            # after the switch).
            current = selectors.kbo_dataset_current()
            if current is not None and current.pk == dataset.pk:
                return found
        return None

    def _read(self, dataset: KboImport, number: str) -> CompanyData | None:
        rows = selectors.kbo_company_rows(dataset_id=dataset.pk, number=number)
        if rows is None:
            return None
        company, names, addresses, establishments = rows
        codes = selectors.kbo_code_descriptions(
            dataset_id=dataset.pk, wanted=set(_code_keys(company))
        )

        def code(category: str, value: str) -> Code:
            return Code(code=value, descriptions=tuple(codes.get((category, value), ())))

        form = company.juridical_form_cac or company.juridical_form
        latest = selectors.kbo_import_latest(dataset=dataset)
        return CompanyData(
            enterprise_number=company.number,
            names=_names(names, number),
            legal_form=code("JuridicalForm", form) if form else None,
            status=code("Status", company.status),
            juridical_situation=code("JuridicalSituation", company.juridical_situation),
            type_of_enterprise=code("TypeOfEnterprise", company.type_of_enterprise),
            start_date=company.start_date,
            registered_address=_address(addresses, number, ("REGO", "ABBR", "BAET")),
            establishments=tuple(
                EstablishmentData(
                    number=row.number,
                    start_date=row.start_date,
                    names=_names(names, row.number),
                    address=_address(addresses, row.number, ("BAET",)),
                )
                for row in establishments
            ),
            source=(
                f"KBO open data, extract {latest.extract_number or '?'}"
                + (f" of {latest.snapshot_date:%d/%m/%Y}" if latest.snapshot_date else "")
            ),
        )


def _code_keys(company: Company) -> list[tuple[str, str]]:
    keys = [
        ("Status", company.status),
        ("JuridicalSituation", company.juridical_situation),
        ("TypeOfEnterprise", company.type_of_enterprise),
    ]
    form = company.juridical_form_cac or company.juridical_form
    if form:
        keys.append(("JuridicalForm", form))
    return keys

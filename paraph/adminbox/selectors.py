"""Reads for the adminbox's tabs: the person's contracts, a page at a time.

A page is one query whatever the number of documents: the rows and their
sender come in one join, and one row more than the page tells whether a
next page exists (no ``COUNT`` over thousands of rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from paraph.accounts.models import Person
from paraph.contracts.models import Contract, ContractStatus
from paraph.contracts.selectors import contract_list_for_person

PAGE_SIZE = 25
# Beyond this, a page number is refused as nonsense (an offset that deep
# would only make the database skip rows for nothing).
PAGE_MAX = 10_000


@dataclass(frozen=True)
class ContractPage:
    """One page of contracts; ``number`` counts from 1."""

    items: list[Contract]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def page_number(value: Any) -> int:
    """The page asked for in a query string; anything odd is page 1."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= PAGE_MAX else 1


def _page(qs: QuerySet[Contract], number: int, size: int) -> ContractPage:
    start = (number - 1) * size
    rows = list(qs[start : start + size + 1])
    return ContractPage(items=rows[:size], number=number, has_next=len(rows) > size)


# What the documents tab's filter offers, in the order of a contract's life.
DOCUMENT_STATUSES = [
    ContractStatus.SENT,
    ContractStatus.OPENED,
    ContractStatus.SIGNED,
    ContractStatus.REFUSED,
    ContractStatus.NOT_SIGNED,
    ContractStatus.REVOKED,
    ContractStatus.SUPERSEDED,
]


def adminbox_tasks(
    *, person: Person, number: int = 1, size: int = PAGE_SIZE, company_number: str = ""
) -> ContractPage:
    """What waits for the person's signature (ES-5), soonest deadline first;
    with ``company_number``, what waits for the company they act for."""
    return _page(
        contract_list_for_person(person=person, waiting_only=True, company_number=company_number),
        number,
        size,
    )


def adminbox_documents(
    *,
    person: Person,
    number: int = 1,
    status: str = "",
    search: str = "",
    size: int = PAGE_SIZE,
    company_number: str = "",
) -> ContractPage:
    """Everything the person received, from every sender, newest first;
    ``status`` keeps one state, ``search`` matches the title or the
    sender's name.

    Newest is the order of arrival (the primary key): the index on the
    recipient then gives the first rows of a page in order, where sorting
    on the creation time would sort every one of the person's rows."""
    qs = contract_list_for_person(person=person, company_number=company_number).order_by("-pk")
    if status in DOCUMENT_STATUSES:
        qs = qs.filter(status=status)
    term = (search or "").strip()
    if term:
        qs = qs.filter(Q(title__icontains=term) | Q(sender__name__icontains=term))
    return _page(qs, number, size)


def contract_successor_for_person(*, person: Person, contract: Contract) -> Contract | None:
    """The newer version that replaced ``contract``, if it reached this
    person's adminbox (or, for a company's contract, the company's)."""
    if contract.for_company:
        return Contract.objects.filter(
            supersedes=contract, recipient_company_number=contract.recipient_company_number
        ).first()
    return Contract.objects.filter(supersedes=contract, recipient=person).first()

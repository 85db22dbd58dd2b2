"""``field__ciexact=value``: equal whatever the case, as ``LOWER(field) =
LOWER(value)``, the expression of the unique indexes on e-mail addresses
(``UniqueConstraint(Lower("email"))``), so the database finds the row
through that index. Django's ``iexact`` compares ``UPPER(...)`` on
PostgreSQL and ``LIKE`` on SQLite: neither can use the index, and every
look-up of an address read the whole table (a million people: a million
rows per log-in and per contract sent)."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Lookup


@CharField.register_lookup
class CaseInsensitiveExact(Lookup):
    lookup_name = "ciexact"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"LOWER({lhs}) = LOWER({rhs})", [*lhs_params, *rhs_params]

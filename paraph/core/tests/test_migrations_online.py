"""Every index added to a table that already exists is built without
blocking its writes (``AddIndexOnline``: concurrently on PostgreSQL), in a
migration that is not one transaction: on a production table of millions
of rows a plain ``CREATE INDEX`` stops every insert for minutes. An index
made with its table (the table is empty then) may be plain."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, CreateModel

from paraph.core.migration_operations import AddIndexOnline

# Released before AddIndexOnline existed, already applied wherever Paraph
# runs: changing them now would change nothing.
RELEASED = {
    ("contracts", "0005_company_recipients"),
    ("notifications", "0003_outbound_message_lease"),
}


def _paraph_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if migration.__module__.startswith("paraph."):
            yield app, name, migration


def test_every_index_on_an_existing_table_is_built_online():
    blocking = []
    for app, name, migration in _paraph_migrations():
        made_here = {
            (app, op.name.lower()) for op in migration.operations if isinstance(op, CreateModel)
        }
        for op in migration.operations:
            if not isinstance(op, AddIndex) or (app, op.model_name_lower) in made_here:
                continue
            if isinstance(op, AddIndexOnline):
                assert not migration.atomic, f"{app}.{name}: set atomic = False"
            elif (app, name) not in RELEASED:
                blocking.append(f"{app}.{name}: {op.index.name}")
    assert not blocking, "use AddIndexOnline: " + ", ".join(blocking)


@pytest.mark.django_db
def test_the_online_indexes_are_there():
    with connection.cursor() as cursor:
        tables = {
            table: {
                name
                for name, info in connection.introspection.get_constraints(cursor, table).items()
                if info["index"]
            }
            for table in ("accounts_person", "contracts_contract", "mandates_mandate")
        }
    assert "person_phone_idx" in tables["accounts_person"]
    assert "contract_archive_due" in tables["contracts_contract"]
    assert "mandate_status_end_idx" in tables["mandates_mandate"]

"""Migration operations for tables that are already large in production.

``AddIndexOnline``: on PostgreSQL, ``CREATE INDEX CONCURRENTLY``, so the
contracts, people and mandates go on being written while the index is
built (a plain ``CREATE INDEX`` on a table of millions of rows blocks
every insert and update of it for minutes); on SQLite, the embedded
default of a single machine, a plain ``CREATE INDEX``. A migration that
uses it sets ``atomic = False``: PostgreSQL builds such an index outside a
transaction. ``core/tests/test_migrations_online.py`` holds every new index
to it."""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.migrations.operations import AddIndex


class AddIndexOnline(AddIndex):
    def describe(self) -> str:
        return f"Create index {self.index.name} on {self.model_name} without blocking writes"

    def _concurrently(self, schema_editor: Any) -> bool:
        if schema_editor.connection.vendor != "postgresql":
            return False
        if schema_editor.connection.in_atomic_block:
            raise NotSupportedError(
                f"{self.index.name}: an index built concurrently needs a migration "
                "with atomic = False"
            )
        return True

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not self._concurrently(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not self._concurrently(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)

"""An index on the database queue's tasks by status and end, for the daily
job that deletes those finished days ago (core/taskresults.py). The table
is django-tasks-db's: the index is made here, built without blocking writes
on PostgreSQL (concurrently, outside a transaction)."""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"
INDEX = "paraph_task_result_finished"


def create(apps, schema_editor):
    online = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {online}IF NOT EXISTS {INDEX} ON {TABLE} (status, finished_at)"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0002_worker_heartbeat"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(create, drop)]

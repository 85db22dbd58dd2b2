"""The metrics read the rows of the last day in each final status through
an index (ADR 43), built without blocking writes."""

from django.db import migrations, models

from paraph.core.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    # the index is built without blocking writes (PostgreSQL: concurrently)
    atomic = False

    dependencies = [
        ('senders', '0003_operators_requeue'),
    ]

    operations = [
        AddIndexOnline(
            model_name='webhookdelivery',
            index=models.Index(fields=['status', 'created_at'], name='delivery_status_created'),
        ),
    ]

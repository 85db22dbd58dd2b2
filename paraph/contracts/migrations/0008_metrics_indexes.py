"""The metrics read the rows of the last day in each final status through
an index (ADR 43), built without blocking writes."""

from django.conf import settings
from django.db import migrations, models

from paraph.core.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    # the index is built without blocking writes (PostgreSQL: concurrently)
    atomic = False

    dependencies = [
        ('contracts', '0007_contract_archive_expires'),
        ('senders', '0004_metrics_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexOnline(
            model_name='contract',
            index=models.Index(fields=['status', 'status_changed_at'], name='contract_status_changed'),
        ),
    ]

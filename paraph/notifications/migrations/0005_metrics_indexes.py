"""The metrics read the rows of the last day in each final status through
an index (ADR 43), built without blocking writes."""

from django.conf import settings
from django.db import migrations, models

from paraph.core.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    # the index is built without blocking writes (PostgreSQL: concurrently)
    atomic = False

    dependencies = [
        ('notifications', '0004_outboundmessage_interactive_requeue'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexOnline(
            model_name='outboundmessage',
            index=models.Index(fields=['status', 'created_at'], name='message_status_created'),
        ),
    ]

"""The audit log without its global lock (ADR 16), step 3 of 3: every
event has its own random uid; the old chain's link and lock are gone."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_convert_events"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="uid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.RemoveField(
            model_name="auditevent",
            name="prev_hash",
        ),
        migrations.DeleteModel(
            name="AuditChainHead",
        ),
    ]

"""The audit log without its global lock (ADR 16), step 1 of 3: the
checkpoint tables and the events' new columns."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_verbose_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("size", models.PositiveBigIntegerField(unique=True, verbose_name="events")),
                ("root", models.CharField(max_length=64, verbose_name="root")),
                ("previous_size", models.PositiveBigIntegerField(unique=True)),
                ("previous_root", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(verbose_name="time")),
                ("statement", models.BinaryField(verbose_name="sealed statement")),
                ("seal", models.BinaryField(verbose_name="seal")),
                ("sealed_at", models.DateTimeField(verbose_name="time-stamped at")),
                ("leaves", models.BinaryField()),
                ("event_ids", models.JSONField(default=list)),
            ],
            options={
                "verbose_name": "audit checkpoint",
                "verbose_name_plural": "audit checkpoints",
                "ordering": ["-size"],
            },
        ),
        migrations.CreateModel(
            name="AuditSequencer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_sequence", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(
                blank=True, null=True, unique=True, verbose_name="position"
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="uid",
            field=models.UUIDField(editable=False, null=True),
        ),
    ]

"""Requeueing outgoing work: the permission to requeue a webhook delivery
(the "Operators" role that holds it is declared in ``paraph/core/roles.py``)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("senders", "0002_sender_language"),
        ("notifications", "0004_outboundmessage_interactive_requeue"),
        ("scheduling", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="webhookdelivery",
            options={
                "ordering": ["-created_at", "-pk"],
                "permissions": [("requeue_webhookdelivery", "Can requeue webhook deliveries")],
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
            },
        ),
    ]

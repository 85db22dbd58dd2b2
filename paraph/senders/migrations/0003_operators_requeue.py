"""Requeueing outgoing work, and the "Operators" group that may do it.

Operators read the outgoing messages, the webhook deliveries and the
scheduled jobs in the back office, requeue a message or a delivery that
was given up or is stuck (ADR 25), and read the audit log. They see no
person's file and change nothing else."""

from django.db import migrations

GROUP_NAME = "Operators"
PERMISSIONS = [
    ("notifications", "outboundmessage", ["view", "requeue"]),
    ("senders", "webhookdelivery", ["view", "requeue"]),
    ("scheduling", "scheduledjob", ["view"]),
    ("audit", "auditevent", ["view"]),
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after every migration has run; make
    # sure the ones this group needs exist already.
    for app_label in {app for app, _model, _actions in PERMISSIONS}:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


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
        migrations.RunPython(create_group, remove_group),
    ]

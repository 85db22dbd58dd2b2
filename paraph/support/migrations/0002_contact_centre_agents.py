"""The "Contact centre agents" group: what agents may do in the back office.

They see and change people and support tickets, and read the audit log;
they never delete a person, and never grant back-office access (only a
superuser does, see ``PersonAdmin``)."""

from django.db import migrations

GROUP_NAME = "Contact centre agents"
PERMISSIONS = [
    ("accounts", "person", ["view", "change"]),
    ("support", "ticket", ["view", "change"]),
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
        ("support", "0001_initial"),
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]

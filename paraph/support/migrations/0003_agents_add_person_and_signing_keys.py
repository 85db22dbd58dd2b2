"""Contact centre agents may also create a person's account (until
registration exists, and for people who cannot register themselves), and
see and unlock people's signing keys (the password-key lock-out)."""

from django.db import migrations

GROUP_NAME = "Contact centre agents"
PERMISSIONS = [
    ("accounts", "person", ["add"]),
    ("signing", "personsigningkey", ["view", "change"]),
]


def grant(apps, schema_editor):
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


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP_NAME).first()
    if group is None:
        return
    for app_label, model, actions in PERMISSIONS:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0002_contact_centre_agents"),
        ("signing", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

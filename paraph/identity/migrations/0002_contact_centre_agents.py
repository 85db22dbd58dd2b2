"""Contact-centre agents keep the customer file up to date (RG-2) and read
people's identities and registrations; they never delete a customer."""

from django.db import migrations

GROUP_NAME = "Contact centre agents"
PERMISSIONS = [
    ("identity", "customerrecord", ["view", "add", "change"]),
    ("identity", "clientreference", ["view", "add", "change", "delete"]),
    ("identity", "identitylink", ["view"]),
    ("identity", "eidcertificate", ["view"]),
    ("identity", "registrationattempt", ["view"]),
    ("identity", "idnowidentification", ["view"]),
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("identity")
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
        for action in actions:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_initial"),
        ("support", "0002_contact_centre_agents"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

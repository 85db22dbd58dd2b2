"""Contact-centre agents' permissions on accounts and signing keys were
granted here; roles are now declared once in ``paraph/core/roles.py`` and
synced after every migrate (issue 13), so this step does nothing any more."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("support", "0002_contact_centre_agents"),
        ("signing", "0001_initial"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]

"""Contact-centre agents' permissions on the customer file were granted
here; roles are now declared once in ``paraph/core/roles.py`` and synced
after every migrate (issue 13), so this step does nothing any more."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_initial"),
        ("support", "0002_contact_centre_agents"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]

"""Customer records' address keys computed again with the stricter address
matching (word boundaries, box letters and punctuation kept, Brussels
streets under their French name, no key for an empty street or number)."""

from django.db import migrations

from paraph.identity.matching import address_key

BATCH = 500


def recompute(apps, schema_editor):
    # The current rules on purpose: the key only means something when it was
    # made as the one typed at registration is. Running this again changes
    # nothing.
    CustomerRecord = apps.get_model("identity", "CustomerRecord")
    changed = []
    for record in CustomerRecord.objects.only(
        "postal_code", "street", "house_number", "box", "address_key"
    ).iterator(chunk_size=BATCH):
        key = address_key(
            postal_code=record.postal_code,
            street=record.street,
            house_number=record.house_number,
            box=record.box,
        )
        if key != record.address_key:
            record.address_key = key
            changed.append(record)
        if len(changed) >= BATCH:
            CustomerRecord.objects.bulk_update(changed, ["address_key"])
            changed = []
    if changed:
        CustomerRecord.objects.bulk_update(changed, ["address_key"])


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_contact_centre_agents")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop, elidable=True)]

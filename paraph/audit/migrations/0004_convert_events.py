"""The audit log without its global lock (ADR 16), step 2 of 3: existing
events converted to RFC 9162 leaf hashes, after their old hash chain is
checked (a chain that no longer holds stops the upgrade: it would otherwise
be sealed as if it were intact)."""

import hashlib
import json
import uuid

from django.db import migrations

GENESIS_HASH = "0" * 64


def _content(event, **extra) -> bytes:
    payload = {
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "name": event.name,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "subject_label": event.subject_label,
        "ip": event.ip,
        "data": event.data,
        **extra,
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return raw.encode()


def _old_hash(event) -> str:
    """ADR 5's chain hash: the id and the previous hash in the content."""
    return hashlib.sha256(_content(event, id=event.pk, prev_hash=event.prev_hash)).hexdigest()


def _leaf_hash(event) -> str:
    """ADR 16's RFC 9162 leaf hash: the uid in the content."""
    return hashlib.sha256(b"\x00" + _content(event, uid=str(event.uid))).hexdigest()


def convert(apps, schema_editor):
    event_model = apps.get_model("audit", "AuditEvent")
    previous = GENESIS_HASH
    for event in event_model.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous or _old_hash(event) != event.hash:
            raise RuntimeError(
                f"the audit chain is broken at event {event.pk}: run `paraph audit-verify` "
                "with the previous version and investigate before upgrading"
            )
        previous = event.hash
    for event in event_model.objects.order_by("id").iterator(chunk_size=2000):
        event.uid = uuid.uuid4()
        event.hash = _leaf_hash(event)
        event_model.objects.filter(pk=event.pk).update(uid=event.uid, hash=event.hash)
    apps.get_model("audit", "AuditSequencer").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_checkpoints"),
    ]

    operations = [
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]

"""Mandate PDFs move from the row to document storage (ADR 21): each
mandate's document and signed PDF are written to the storage under
``mandates/<person>/<mandate>/`` and checked against the row's SHA-256;
backwards, they are read back into the row."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import migrations, models

import paraph.mandates.models

FIELDS = (
    ("document_pdf", "document_sha256", "mandate.pdf"),
    ("signed_pdf", "signed_sha256", "signed.pdf"),
)


def _to_storage(apps, schema_editor):
    Mandate = apps.get_model("mandates", "Mandate")
    for mandate in Mandate.objects.order_by("pk").iterator(chunk_size=200):
        for field, sha_field, filename in FIELDS:
            data = bytes(getattr(mandate, field) or b"")
            if not data:
                continue
            if hashlib.sha256(data).hexdigest() != getattr(mandate, sha_field):
                raise RuntimeError(
                    f"mandate {mandate.reference}: its {field} does not match its SHA-256; "
                    "nothing was moved"
                )
            getattr(mandate, f"{field}_file").save(filename, ContentFile(data), save=False)
        mandate.save(update_fields=["document_pdf_file", "signed_pdf_file"])


def _to_rows(apps, schema_editor):
    Mandate = apps.get_model("mandates", "Mandate")
    for mandate in Mandate.objects.order_by("pk").iterator(chunk_size=200):
        for field, _sha_field, _filename in FIELDS:
            stored = getattr(mandate, f"{field}_file")
            if stored.name:
                with stored.open("rb") as handle:
                    setattr(mandate, field, handle.read())
        mandate.save(update_fields=["document_pdf", "signed_pdf"])


class Migration(migrations.Migration):
    dependencies = [("mandates", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="mandate",
            name="document_pdf_file",
            field=models.FileField(
                blank=True,
                max_length=300,
                upload_to=paraph.mandates.models._upload_to,
                verbose_name="mandate (PDF)",
            ),
        ),
        migrations.AddField(
            model_name="mandate",
            name="signed_pdf_file",
            field=models.FileField(
                blank=True,
                max_length=300,
                upload_to=paraph.mandates.models._upload_to,
                verbose_name="signed mandate (PDF)",
            ),
        ),
        migrations.RunPython(_to_storage, _to_rows),
        # so that going back re-creates the column on rows that exist
        migrations.AlterField(
            model_name="mandate",
            name="document_pdf",
            field=models.BinaryField(default=b"", verbose_name="mandate (PDF)"),
        ),
        migrations.RemoveField(model_name="mandate", name="document_pdf"),
        migrations.RemoveField(model_name="mandate", name="signed_pdf"),
        migrations.RenameField(
            model_name="mandate", old_name="document_pdf_file", new_name="document_pdf"
        ),
        migrations.RenameField(
            model_name="mandate", old_name="signed_pdf_file", new_name="signed_pdf"
        ),
        migrations.AlterField(
            model_name="mandate",
            name="document_pdf",
            field=models.FileField(
                max_length=300,
                upload_to=paraph.mandates.models._upload_to,
                verbose_name="mandate (PDF)",
            ),
        ),
    ]

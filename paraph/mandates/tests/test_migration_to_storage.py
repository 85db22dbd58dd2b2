"""Migration 0002 moves the mandates' PDFs from their rows to document
storage, checked against the row's hash, and back when it is reversed."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from paraph.mandates.models import Mandate
from paraph.mandates.selectors import mandate_pdf_checked

BEFORE = [("mandates", "0001_initial")]
AFTER = [("mandates", "0002_mandate_pdfs_in_document_storage")]
DOCUMENT = b"%PDF-1.7\n% the mandate as generated\n%%EOF\n"
SIGNED = DOCUMENT + b"% sealed\n%%EOF\n"


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_the_pdfs_move_to_document_storage_and_back(person_factory):
    person = person_factory()
    old = _migrate(BEFORE).get_model("mandates", "Mandate")
    old.objects.create(
        person_id=person.pk,
        reference="M-2026-000001",
        status="active",
        language="fr",
        document_pdf=DOCUMENT,
        document_sha256=hashlib.sha256(DOCUMENT).hexdigest(),
        signed_pdf=SIGNED,
        signed_sha256=hashlib.sha256(SIGNED).hexdigest(),
        signed_with="sms_code",
    )
    old.objects.create(
        person_id=person.pk,
        reference="M-2026-000002",
        status="superseded",
        language="fr",
        document_pdf=DOCUMENT,
        document_sha256=hashlib.sha256(DOCUMENT).hexdigest(),
    )

    _migrate(AFTER)

    signed, unsigned = Mandate.objects.order_by("reference")
    assert mandate_pdf_checked(signed, signed=False) == DOCUMENT
    assert mandate_pdf_checked(signed) == SIGNED
    assert signed.signed_pdf.name.startswith(f"mandates/{person.pk}/{signed.public_id}/")
    assert mandate_pdf_checked(unsigned) == DOCUMENT and not unsigned.signed_pdf

    back = _migrate(BEFORE).get_model("mandates", "Mandate")
    rows = back.objects.order_by("reference")
    assert [bytes(r.document_pdf) for r in rows] == [DOCUMENT, DOCUMENT]
    assert [bytes(r.signed_pdf) for r in rows] == [SIGNED, b""]
    _migrate(AFTER)


@pytest.mark.django_db(transaction=True)
def test_a_pdf_that_does_not_match_its_hash_stops_the_move(person_factory):
    person = person_factory()
    old = _migrate(BEFORE).get_model("mandates", "Mandate")
    old.objects.create(
        person_id=person.pk,
        reference="M-2026-000003",
        status="pending",
        language="fr",
        document_pdf=DOCUMENT,
        document_sha256="0" * 64,
    )

    with pytest.raises(RuntimeError, match="M-2026-000003"):
        _migrate(AFTER)
    old.objects.all().delete()
    _migrate(AFTER)

"""A mandate's PDF (in document storage, its SHA-256 in the row) is checked
on every read, as a contract's documents are: altered or missing, it is not
served."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from paraph.core.storage import DOCUMENTS_REFUSED, stored_documents
from paraph.mandates.models import Mandate
from paraph.mandates.tests.conftest import verified

pytestmark = pytest.mark.django_db


def test_an_altered_mandate_pdf_is_refused_with_a_clear_page(person_factory, mandate_for, clock):
    person = verified(person_factory(language="en"))
    mandate = mandate_for(person)
    client = Client()
    client.cookies["paraph_language"] = "en"
    client.force_login(person)
    url = reverse("mandates:document", kwargs={"public_id": mandate.public_id})
    served = client.get(url)
    assert served.streaming and served.getvalue().startswith(b"%PDF")
    before = DOCUMENTS_REFUSED.labels(what="mandate", reason="altered")._value.get()

    stored = Mandate.objects.get(pk=mandate.pk).signed_pdf
    with stored.open("rb") as handle:
        data = handle.read()
    stored.storage.delete(stored.name)
    stored.storage.save(stored.name, ContentFile(data.replace(b"%%EOF", b"%%EOF %", 1)))
    refused = client.get(url)

    assert refused.status_code == 503 and b"%PDF" not in refused.content
    assert "Document unavailable" in refused.content.decode()
    assert DOCUMENTS_REFUSED.labels(what="mandate", reason="altered")._value.get() == before + 1


def test_a_missing_mandate_pdf_is_refused_with_a_clear_page(person_factory, mandate_for, clock):
    person = verified(person_factory(language="en"))
    mandate = mandate_for(person)
    client = Client()
    client.cookies["paraph_language"] = "en"
    client.force_login(person)
    before = DOCUMENTS_REFUSED.labels(what="mandate", reason="missing")._value.get()

    mandate.signed_pdf.storage.delete(mandate.signed_pdf.name)
    refused = client.get(reverse("mandates:document", kwargs={"public_id": mandate.public_id}))

    assert refused.status_code == 503 and b"%PDF" not in refused.content
    assert DOCUMENTS_REFUSED.labels(what="mandate", reason="missing")._value.get() == before + 1


def test_the_mandate_pdfs_are_in_document_storage_not_in_the_row(person_factory, mandate_for):
    person = verified(person_factory(language="en"))
    mandate = mandate_for(person)

    for stored in (mandate.document_pdf, mandate.signed_pdf):
        assert stored.name.startswith(f"mandates/{person.pk}/{mandate.public_id}/")
        assert stored.storage.exists(stored.name)
    assert (mandate.document_pdf.name, mandate.document_sha256) in set(stored_documents())
    assert (mandate.signed_pdf.name, mandate.signed_sha256) in set(stored_documents())

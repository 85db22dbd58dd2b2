"""A mandate's PDF (kept in the database beside its SHA-256) is checked on
every read, as a contract's documents are: altered, it is not served."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from paraph.core.storage import DOCUMENTS_REFUSED
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
    assert client.get(url).content.startswith(b"%PDF")
    before = DOCUMENTS_REFUSED.labels(what="mandate", reason="altered")._value.get()

    Mandate.objects.filter(pk=mandate.pk).update(
        signed_pdf=bytes(mandate.signed_pdf).replace(b"%%EOF", b"%%EOF %", 1)
    )
    refused = client.get(url)

    assert refused.status_code == 503 and b"%PDF" not in refused.content
    assert "Document unavailable" in refused.content.decode()
    assert DOCUMENTS_REFUSED.labels(what="mandate", reason="altered")._value.get() == before + 1

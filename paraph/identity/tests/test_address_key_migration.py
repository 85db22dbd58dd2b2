"""The data migration that computes the customer records' address keys
again when the matching rules change."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from paraph.identity.models import CustomerRecord

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "paraph.identity.migrations.0003_customer_address_key_recompute"
)


def test_keys_made_by_the_old_rules_are_made_again():
    loi = CustomerRecord.objects.create(
        external_id="C-1",
        last_name="Martin",
        street="Wetstraat",
        house_number="016",
        box="bte B",
        postal_code="1040",
        municipality="Etterbeek",
    )
    empty = CustomerRecord.objects.create(
        external_id="C-2", last_name="Peeters", street="-", house_number="-", postal_code="1000"
    )
    # What the old rules stored (saving computes the new key: write past it).
    CustomerRecord.objects.filter(pk=loi.pk).update(address_key="1040|wetstr|016|")
    CustomerRecord.objects.filter(pk=empty.pk).update(address_key="1000|||")

    migration.recompute(apps, None)
    migration.recompute(apps, None)  # again: nothing changes

    loi.refresh_from_db()
    empty.refresh_from_db()
    assert loi.address_key == "1040|rue de la loi|16|b"
    assert empty.address_key == ""

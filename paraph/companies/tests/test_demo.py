"""``paraph demo`` loads the sample company register once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from paraph.companies.models import KboImport
from paraph.companies.providers import get_company_registry

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_sample_register_and_a_second_run_keeps_it():
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", stdout=first)
    call_command("demo", stdout=second)

    assert "Demo company register: 16 enterprises" in first.getvalue()
    assert "company register" not in second.getvalue()
    assert KboImport.objects.get().status == "done"
    company = get_company_registry().lookup("0123456749")
    assert company is not None and company.name("fr") == "Intérim Demo"

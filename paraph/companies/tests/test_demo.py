"""``paraph demo`` loads the sample company register once, and registers a
demo company whose representative registered with the sandbox itsme, with a
user who may sign; every later start leaves the company as the demo people
made it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from paraph.accounts.models import Person, RegistrationMethod
from paraph.companies import services
from paraph.companies.demo import DEMO_COMPANY, DEMO_NEW_REPRESENTATIVE
from paraph.companies.models import CompanyUser, KboImport, RegisteredCompany
from paraph.companies.providers import get_company_registry
from paraph.core.demo import DEMO_PEOPLE

pytestmark = pytest.mark.django_db


def _demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_the_demo_loads_the_sample_register_and_a_second_run_keeps_it():
    first, second = _demo(), _demo()

    assert "Demo company register: 16 enterprises" in first
    assert "company register" not in second
    assert KboImport.objects.get().status == "done"
    company = get_company_registry().lookup("0123456749")
    assert company is not None and company.name("fr") == "Intérim Demo"


def test_the_demo_company_has_a_representative_with_high_assurance_and_a_user():
    out = _demo()

    company = RegisteredCompany.objects.get(number=DEMO_COMPANY["number"])
    anne = company.representative
    assert (anne.first_name, anne.registration_method) == ("Anne", RegistrationMethod.ITSME)
    assert services.person_may_register_companies(anne)
    [member] = CompanyUser.objects.filter(company=company)
    assert (member.person.first_name, member.can_sign) == ("Jan", True)
    assert member.person.registration_method == RegistrationMethod.EID
    assert (
        "Demo company: Boulangerie Dupont (0812.345.603), digital representative Anne Martin, "
        "users Jan Peeters"
    ) in out
    assert DEMO_NEW_REPRESENTATIVE["national_number"] in out


def test_a_restart_leaves_the_company_as_the_demo_people_made_it(high_person):
    _demo()
    company = RegisteredCompany.objects.get(number=DEMO_COMPANY["number"])
    anne = company.representative
    anne.email = "anne@example.be"
    anne.save(update_fields=["email"])
    services.company_user_remove(company=company, person=anne, user_id=CompanyUser.objects.get().pk)
    marie = high_person
    _change, token = services.representative_designate(
        person=anne,
        number=company.number,
        name="Marie Dubois",
        email=marie.email,
        national_number=marie.national_number,
    )
    services.representative_accept(token=token, person=marie)
    counts = (Person.objects.count(), RegisteredCompany.objects.count())

    out = _demo()

    company.refresh_from_db()
    assert company.representative == marie
    assert not CompanyUser.objects.exists()
    assert (Person.objects.count(), RegisteredCompany.objects.count()) == counts
    assert "digital representative Marie Dubois" in out


def test_a_database_from_before_the_demo_company_gets_it():
    now = timezone.now()
    for data in DEMO_PEOPLE:
        fields = {k: v for k, v in data.items() if k != "registration_method"}
        Person.objects.create(
            **fields,
            assurance_level="high",
            registration_method=RegistrationMethod.DEMO,
            registered_at=now,
        )

    _demo()

    company = RegisteredCompany.objects.get(number=DEMO_COMPANY["number"])
    assert company.representative.registration_method == RegistrationMethod.ITSME
    assert CompanyUser.objects.get().can_sign


def test_a_register_without_the_demo_company_does_not_stop_the_demo(monkeypatch):
    monkeypatch.setitem(DEMO_COMPANY, "number", "0403617097")  # valid, not in the sample

    out = _demo()

    [line] = [line for line in out.splitlines() if line.startswith("Demo company: ")]
    assert "0403.617.097" in line  # the registry's refusal, in the site's language
    assert "Back office" in out
    assert not RegisteredCompany.objects.exists()


@pytest.fixture
def high_person(person_factory):
    return person_factory(
        first_name="Marie",
        last_name="Dubois",
        email="marie.dubois@example.be",
        national_number="90021400227",
        assurance_level="high",
        registration_method=RegistrationMethod.ITSME,
    )

"""The customer file: ``paraph import-customers`` (good and bad rows,
idempotent) and the back office, where agents keep it up to date."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paraph.accounts.tests.backoffice import make_agent, staff_login
from paraph.audit.models import AuditEvent
from paraph.identity.models import ClientReference, CustomerRecord

pytestmark = pytest.mark.django_db

HEADER = (
    "customer_id,last_name,first_name,national_number,birth_date,street,house_number,box,"
    "postal_code,municipality,client_references\n"
)
GOOD = (
    "C-1,Martin,Anne,85.07.30-033.28,1985-07-30,Rue de la Loi,16,3,1000,Bruxelles,10/2030-405\n"
    "C-2,Claes,Pieter,,12/04/1988,Kerkstraat,12,bus 3,9000,Gent,12/3456-789|77.88.99\n"
)


def run(tmp_path, text, *, name="customers.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import-customers", str(path), stdout=out, stderr=err)
        failed = None
    except CommandError as exc:
        failed = str(exc)
    return out.getvalue(), err.getvalue(), failed


def test_good_rows_are_imported(tmp_path):
    out, err, failed = run(tmp_path, HEADER + GOOD)

    assert failed is None and err == ""
    assert "created 2, updated 0, unchanged 0, rejected 0" in out
    anne = CustomerRecord.objects.get(external_id="C-1")
    assert anne.national_number == "85073003328"
    assert anne.address_key == "1000|rue de la loi|16|3"
    pieter = CustomerRecord.objects.get(external_id="C-2")
    assert str(pieter.birth_date) == "1988-04-12" and pieter.national_number == ""
    assert sorted(pieter.references.values_list("digits", flat=True)) == ["123456789", "778899"]
    event = AuditEvent.objects.get(name="identity.customers.imported")
    assert event.data["created"] == 2 and event.data["rejected"] == 0


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    run(tmp_path, HEADER + GOOD)

    out, _err, failed = run(tmp_path, HEADER + GOOD)

    assert failed is None
    assert "created 0, updated 0, unchanged 2, rejected 0" in out
    assert CustomerRecord.objects.count() == 2 and ClientReference.objects.count() == 3


def test_a_changed_row_updates_the_record_and_its_references(tmp_path):
    run(tmp_path, HEADER + GOOD)
    moved = GOOD.replace(
        "Kerkstraat,12,bus 3,9000,Gent,12/3456-789|77.88.99", "Veldstraat,1,,9000,Gent,12/3456-789"
    )

    out, _err, _failed = run(tmp_path, HEADER + moved)

    assert "created 0, updated 1, unchanged 1, rejected 0" in out
    pieter = CustomerRecord.objects.get(external_id="C-2")
    assert pieter.street == "Veldstraat" and pieter.address_key == "9000|veldstr|1|"
    assert list(pieter.references.values_list("digits", flat=True)) == ["123456789"]


def test_bad_rows_are_reported_with_their_line_and_reason_and_the_good_ones_imported(tmp_path):
    bad = (
        "C-3,Dubois,Marie,90.02.14-002.28,,Rue Haute,120,,1000,Bruxelles,\n"  # check digits
        "C-4,,Jan,,,,,,,,\n"  # no last name
        "C-5,Peeters,Jan,,31/02/1990,,,,,,\n"  # no such date
        "C-6,Maes,Sofie,,,Meir,1,,20000,Antwerpen,\n"  # postcode
        "C-7,Wouters,Lea,,,,,,,,AB-12\n"  # letters in a reference
        "C-1,Martin,Anne,,,,,,,,\n"  # customer_id twice
        "C-8,Janssens,Luc,,,,,,,,123456789\n"  # Pieter's reference
        "C-9,Extra,Col,,,,,,,,,surplus\n"  # a value too many
        "C-10,Ok,Good,,,,,,,,\n"
    )

    out, err, failed = run(tmp_path, HEADER + GOOD + bad)

    assert failed == "8 row(s) rejected; the other rows were imported"
    assert "created 3, updated 0, unchanged 0, rejected 8" in out
    lines = err.splitlines()
    assert lines[0].startswith("rejected line 4: national_number '90.02.14-002.28'")
    assert "check the last two digits" in lines[0]
    assert lines[1] == "rejected line 5: last_name is empty"
    assert lines[2].startswith("rejected line 6: birth_date '31/02/1990' is not a date")
    assert lines[3] == "rejected line 7: postal_code '20000' is not 4 digits"
    assert lines[4].startswith(
        "rejected line 8: client reference 'AB-12': A client reference has only digits"
    )
    assert lines[5] == "rejected line 9: customer_id C-1 already appears on line 2"
    assert lines[6] == "rejected line 10: client reference 12/3456-789 belongs to customer C-2"
    assert lines[7] == "rejected line 11: more values than columns in the header"
    assert sorted(CustomerRecord.objects.values_list("external_id", flat=True)) == [
        "C-1",
        "C-10",
        "C-2",
    ]
    event = AuditEvent.objects.get(name="identity.customers.imported")
    assert event.data["rejected"] == 8 and len(event.data["rejected_lines"]) == 8


def test_a_spreadsheet_export_with_semicolons_and_a_byte_order_mark(tmp_path):
    text = "\ufeff" + (HEADER + GOOD).replace(",", ";").replace("Rue de la Loi", "Rue de l'Étuve")

    out, _err, failed = run(tmp_path, text)

    assert failed is None and "created 2" in out
    assert CustomerRecord.objects.get(external_id="C-1").street == "Rue de l'Étuve"


def test_a_header_without_the_required_columns_stops_before_importing(tmp_path):
    _out, _err, failed = run(tmp_path, "id,name\nC-1,Martin\n")

    assert failed == "the header lacks the column(s) customer_id, last_name"
    assert not CustomerRecord.objects.exists()


def test_an_unknown_column_is_named(tmp_path):
    _out, _err, failed = run(tmp_path, "customer_id,last_name,iban\nC-1,Martin,BE00\n")
    assert failed is not None and "unknown column(s) iban" in failed


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import-customers", str(tmp_path / "nope.csv"))


# --- The back office -----------------------------------------------------------

ADD = "/backoffice/identity/customerrecord/add/"


def _form(**fields):
    data = {
        "external_id": "C-42",
        "national_number": "",
        "first_name": "Pieter",
        "last_name": "Claes",
        "birth_date": "",
        "street": "Kerkstraat",
        "house_number": "12",
        "box": "3",
        "postal_code": "9000",
        "municipality": "Gent",
        "country": "BE",
        "person": "",
        "references-TOTAL_FORMS": "1",
        "references-INITIAL_FORMS": "0",
        "references-MIN_NUM_FORMS": "0",
        "references-MAX_NUM_FORMS": "1000",
        "references-0-reference": "12/3456-789",
    }
    data.update(fields)
    return data


def test_an_agent_adds_a_customer_with_a_reference_and_it_is_audited(client, person_factory):
    agent = make_agent(person_factory, language="en")
    staff_login(client, agent)

    response = client.post(ADD, _form())

    assert response.status_code == 302, response.content.decode()[:2000]
    record = CustomerRecord.objects.get(external_id="C-42")
    assert record.address_key == "9000|kerkstr|12|3"
    assert record.references.get().digits == "123456789"
    event = AuditEvent.objects.get(name="backoffice.object.added")
    assert event.actor_id == agent.pk
    assert event.data["changes"]["references"]["added"] == ["12/3456-789"]


def test_the_back_office_refuses_a_bad_national_number_and_a_taken_reference(
    client, person_factory
):
    staff_login(client, make_agent(person_factory, language="en"))
    client.post(ADD, _form())

    response = client.post(
        ADD,
        _form(
            external_id="C-43",
            national_number="12345678901",
            **{"references-0-reference": "12.3456.789"},
        ),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "This national register number is not valid" in page
    assert "This client reference belongs to another customer." in page
    assert not CustomerRecord.objects.filter(external_id="C-43").exists()


def test_agents_cannot_delete_a_customer(client, person_factory):
    staff_login(client, make_agent(person_factory, language="en"))
    client.post(ADD, _form())
    record = CustomerRecord.objects.get()

    response = client.post(
        f"/backoffice/identity/customerrecord/{record.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 403

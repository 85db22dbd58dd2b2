"""``paraph import-kbo``: the sample export, updates, and refused files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from paraph.audit.models import AuditEvent
from paraph.companies import services
from paraph.companies.demo import DEMO_KBO_DIR
from paraph.companies.models import Company, Denomination, KboImport
from paraph.companies.providers import CompanyData, get_company_registry
from paraph.companies.providers.kbo import KboOpenDataRegistry
from paraph.companies.tests.conftest import read_csv, write_csv

pytestmark = pytest.mark.django_db

SAMPLE_NUMBERS = [row[0].replace(".", "") for row in read_csv(DEMO_KBO_DIR / "enterprise.csv")[1:]]


def _import(folder) -> str:
    out = io.StringIO()
    call_command("import-kbo", str(folder), stdout=out)
    return out.getvalue()


def _everything() -> dict[str, CompanyData | None]:
    """What a user could read about every sample company, minus the note
    of which extract it comes from."""
    registry = get_company_registry()
    found = {}
    for number in SAMPLE_NUMBERS:
        company = registry.lookup(number)
        found[number] = dataclasses.replace(company, source="") if company else None
    return found


def test_the_sample_export_gives_each_company_its_names_form_address_and_establishments():
    assert get_company_registry().lookup("0123456749") is None  # nothing imported yet

    report = _import(DEMO_KBO_DIR)

    assert "full extract 143" in report
    company = get_company_registry().lookup("0123456749")
    assert company is not None
    assert company.name("fr") == "Intérim Demo"
    assert company.legal_form is not None
    assert company.legal_form.describe("nl") == "Naamloze vennootschap"
    assert company.legal_form.describe("fr") == "Société anonyme"
    assert company.status.describe("de") == "Aktiv"
    assert company.juridical_situation.describe("fr") == "Situation normale"
    assert company.start_date == dt.date(2004, 3, 12)
    assert company.registered_address is not None
    assert company.registered_address.lines("fr") == ("Rue de la Loi 200", "1040 Etterbeek")
    assert company.registered_address.lines("nl") == ("Wetstraat 200", "1040 Etterbeek")
    assert [e.number for e in company.establishments] == ["2051234551", "2051234650"]
    mechelen = company.establishments[1]
    assert mechelen.start_date == dt.date(2015, 9, 1)
    assert mechelen.address is not None
    assert mechelen.address.lines("fr") == ("Grand-Place 7", "2800 Malines")
    assert [n.text for n in mechelen.names] == ["Interim Demo Mechelen"]
    assert company.source == "KBO open data, extract 143 of 02/01/2026"


def test_a_company_reads_in_the_language_the_kbo_has_and_falls_back_to_another():
    _import(DEMO_KBO_DIR)
    registry = get_company_registry()

    eupen = registry.lookup("0678901218")
    multilingual = registry.lookup("0403170701")
    flemish = registry.lookup("0456789034")

    assert eupen is not None and multilingual is not None and flemish is not None
    assert (eupen.name("de"), eupen.name("fr"), eupen.name("nl")) == (
        "Eupener Holzbau",
        "Construction Bois d'Eupen",
        "Construction Bois d'Eupen",
    )
    assert multilingual.name("de") == "Gegenseitige Versicherungen des Zentrums"
    assert multilingual.name("nl") == "Onderlinge Verzekeringen van het Centrum"
    assert multilingual.registered_address is not None
    assert multilingual.registered_address.lines("fr")[0] == "Boulevard du Roi Albert II 16 bte 3"
    assert multilingual.registered_address.lines("nl")[0] == "Koning Albert II-laan 16 bus 3"
    assert flemish.name("fr") == "Bakkerij Janssens"  # only a Dutch name exists
    assert flemish.legal_form is not None
    assert flemish.legal_form.describe("de") == "Gesellschaft mit beschränkter Haftung"


def test_a_sole_trader_has_no_seat_address_but_its_establishment_is_shown():
    _import(DEMO_KBO_DIR)

    trader = get_company_registry().lookup("0788991169")

    assert trader is not None
    assert trader.type_of_enterprise.describe("fr") == "Personne physique"
    assert trader.legal_form is None and trader.registered_address is None
    (shop,) = trader.establishments
    assert shop.names[0].text == "Plomberie Lejeune"
    assert shop.address is not None and shop.address.lines("fr")[1] == "5100 Namur"


def test_an_unknown_enterprise_is_not_found():
    _import(DEMO_KBO_DIR)

    assert get_company_registry().lookup("0999999922") is None


def test_each_import_is_recorded_and_audited():
    _import(DEMO_KBO_DIR)

    record = KboImport.objects.get()
    assert (record.kind, record.status, record.extract_number) == ("full", "done", 143)
    assert record.snapshot_date == dt.date(2026, 1, 2)
    assert record.counts == {
        "code": 51,
        "enterprise": 16,
        "establishment": 8,
        "denomination": 34,
        "address": 23,
    }
    event = AuditEvent.objects.get(name="companies.kbo.imported")
    assert event.data["extract_number"] == 143 and event.data["counts"]["enterprise"] == 16


def test_an_update_changes_one_name_and_removes_one_enterprise_and_nothing_else(update_folder):
    _import(DEMO_KBO_DIR)
    before = _everything()
    janssens, dupont = "0456.789.034", "0812.345.603"
    update = update_folder(
        number=144,
        delete={
            "enterprise": [dupont],
            "denomination": [janssens, dupont],
            "address": [dupont],
        },
        insert={"denomination": [[janssens, "2", "001", "Bakkerij Janssens & Zonen"]]},
    )

    report = _import(update)

    after = _everything()
    assert "update extract 144" in report
    assert after["0812345603"] is None
    assert after["0456789034"] is not None
    assert after["0456789034"].name("nl") == "Bakkerij Janssens & Zonen"
    # Its establishments' names are theirs, not the enterprise's: unchanged.
    assert before["0456789034"] is not None
    assert after["0456789034"].establishments == before["0456789034"].establishments
    changed = {number for number in SAMPLE_NUMBERS if after[number] != before[number]}
    assert changed == {"0456789034", "0812345603"}
    assert not Denomination.objects.filter(entity_number="0812345603").exists()
    interim = get_company_registry().lookup("0123456749")
    assert interim is not None and interim.source.startswith("KBO open data, extract 144")
    record = KboImport.objects.get(kind="update")
    assert record.counts["enterprise_deleted"] == 1
    assert record.counts["denomination_deleted"] == 2  # Janssens' one name, Dupont's one
    assert record.counts["denomination_inserted"] == 1


def test_an_update_already_included_or_without_a_full_export_is_refused(update_folder):
    with pytest.raises(CommandError, match="import one first"):
        _import(update_folder(number=144))

    _import(DEMO_KBO_DIR)
    before = _everything()
    old = update_folder(number=143, delete={"enterprise": ["0812.345.603"]})
    with pytest.raises(CommandError, match="not newer than the data"):
        _import(old)

    assert _everything() == before


def test_an_update_with_a_bad_line_changes_nothing(update_folder):
    _import(DEMO_KBO_DIR)
    before = _everything()
    update = update_folder(
        delete={"enterprise": ["0812.345.603"], "denomination": ["0456.789.034"]},
        insert={
            "denomination": [
                ["0456.789.034", "2", "001", "Bakkerij Janssens & Zonen"],
                ["0456.789.099", "2", "001", "A number with wrong check digits"],
            ]
        },
    )

    with pytest.raises(CommandError) as refused:
        _import(update)

    assert "denomination_insert.csv, line 3" in str(refused.value)
    assert "0456.789.099" in str(refused.value)
    assert _everything() == before
    assert KboImport.objects.get(kind="update").status == "failed"


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda folder: (folder / "address.csv").unlink(), "address.csv: the file is missing"),
        (
            lambda folder: write_csv(folder / "enterprise.csv", ["EnterpriseNumber", "Status"], []),
            "enterprise.csv, line 1: the header lacks JuridicalSituation",
        ),
        (lambda folder: (folder / "meta.csv").unlink(), "meta.csv: the file is missing"),
    ],
)
def test_a_missing_file_or_column_is_named_before_anything_is_written(sample_copy, spoil, message):
    _import(DEMO_KBO_DIR)
    before = _everything()
    spoil(sample_copy)

    with pytest.raises(CommandError, match=message):
        _import(sample_copy)

    assert _everything() == before


def test_a_bad_number_deep_in_a_file_names_its_line_and_leaves_the_previous_data(
    sample_copy, monkeypatch
):
    _import(DEMO_KBO_DIR)
    before = _everything()
    rows = read_csv(sample_copy / "denomination.csv")
    rows[30][0] = "0403.170.700"  # line 31: check digits 00 do not exist
    write_csv(sample_copy / "denomination.csv", rows[0], rows[1:])
    # Small batches: the rows before line 31 are written, then taken back.
    monkeypatch.setattr(services, "CHUNK_ROWS", 4)

    with pytest.raises(CommandError) as refused:
        _import(sample_copy)

    assert "denomination.csv, line 31: EntityNumber '0403.170.700'" in str(refused.value)
    assert _everything() == before
    failed = KboImport.objects.get(status="failed")
    assert "line 31" in failed.error
    assert not Company.objects.filter(dataset=failed).exists()
    assert not Denomination.objects.filter(dataset=failed).exists()
    assert AuditEvent.objects.filter(name="companies.kbo.import_failed").count() == 1


def test_a_bad_date_is_named_with_its_line(sample_copy):
    rows = read_csv(sample_copy / "enterprise.csv")
    rows[4][6] = "31-02-2011"
    write_csv(sample_copy / "enterprise.csv", rows[0], rows[1:])

    with pytest.raises(CommandError, match=r"enterprise.csv, line 5: StartDate '31-02-2011'"):
        _import(sample_copy)

    assert get_company_registry().lookup("0123456749") is None


def test_a_new_full_export_replaces_the_data_and_the_old_rows_go(sample_copy):
    _import(DEMO_KBO_DIR)
    rows = [row for row in read_csv(sample_copy / "enterprise.csv") if row[0] != "0812.345.603"]
    write_csv(sample_copy / "enterprise.csv", rows[0], rows[1:])
    meta = read_csv(sample_copy / "meta.csv")
    meta[4][1] = "147"
    write_csv(sample_copy / "meta.csv", meta[0], meta[1:])

    _import(sample_copy)

    registry = get_company_registry()
    assert registry.lookup("0812345603") is None
    interim = registry.lookup("0123456749")
    assert interim is not None and interim.source.startswith("KBO open data, extract 147")
    assert Company.objects.count() == 15  # the replaced dataset's rows are gone
    assert list(KboImport.objects.order_by("pk").values_list("status", flat=True)) == [
        "replaced",
        "done",
    ]


def test_a_lookup_costs_the_same_queries_however_many_establishments(django_assert_num_queries):
    _import(DEMO_KBO_DIR)
    registry = get_company_registry()

    with django_assert_num_queries(8):
        with_two = registry.lookup("0123456749")
    with django_assert_num_queries(8):
        with_none = registry.lookup("0812345603")

    assert with_two is not None and len(with_two.establishments) == 2
    assert with_none is not None and with_none.establishments == ()


def test_a_lookup_that_a_new_export_overtakes_reads_the_new_data(sample_copy, monkeypatch):
    _import(DEMO_KBO_DIR)
    rows = read_csv(sample_copy / "denomination.csv")
    for row in rows:
        if row[0] == "0123.456.749" and row[1] == "1" and row[2] == "001":
            row[3] = "Intérim Demo Belgique"
    write_csv(sample_copy / "denomination.csv", rows[0], rows[1:])
    meta = read_csv(sample_copy / "meta.csv")
    meta[4][1] = "147"
    write_csv(sample_copy / "meta.csv", meta[0], meta[1:])
    registry = get_company_registry()
    assert isinstance(registry, KboOpenDataRegistry), "the lookup reads the imported export"
    read = KboOpenDataRegistry._read
    overtaken: list[bool] = []

    def read_then_switch(self, dataset, number):
        found = read(self, dataset, number)
        if not overtaken:  # the new export finishes while this lookup reads
            overtaken.append(True)
            _import(sample_copy)
        return found

    monkeypatch.setattr(KboOpenDataRegistry, "_read", read_then_switch)

    company = registry.lookup("0123456749")

    assert overtaken
    assert company is not None and company.name("fr") == "Intérim Demo Belgique"
    assert company.source.startswith("KBO open data, extract 147")


def test_one_import_at_a_time_but_a_dead_one_does_not_block_the_next():
    running = KboImport.objects.create(
        kind="full", started_at=timezone.now() - dt.timedelta(hours=1)
    )

    with pytest.raises(CommandError, match="another import is running"):
        _import(DEMO_KBO_DIR)
    assert get_company_registry().lookup("0123456749") is None

    KboImport.objects.filter(pk=running.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=13)
    )
    _import(DEMO_KBO_DIR)

    assert get_company_registry().lookup("0123456749") is not None
    running.refresh_from_db()
    assert (running.status, running.error) == ("failed", "interrupted")


def test_an_enterprise_listed_twice_is_refused_and_the_data_stays(sample_copy):
    _import(DEMO_KBO_DIR)
    before = _everything()
    rows = read_csv(sample_copy / "enterprise.csv")
    write_csv(sample_copy / "enterprise.csv", rows[0], [*rows[1:], rows[3]])

    with pytest.raises(
        CommandError, match=r"enterprise.csv, lines 2 to 18: a number appears twice"
    ):
        _import(sample_copy)

    assert _everything() == before

"""KBO import: ``paraph import-kbo`` on a full export of the real size,
against a plain bulk insert of the same rows.

    .venv/bin/python bench/kbo_import.py [--enterprises 1900000]

Generates, in a throw-away folder, a full KBO open-data export in the
published format (meta.csv, code.csv, enterprise.csv, establishment.csv,
denomination.csv, address.csv: quoted CSV, dotted numbers with valid check
digits, dates ``dd-mm-yyyy``), about the size of the real one at the
default: 1.9 million enterprises, 1.4 million establishments, 2.5 million
names and 2.6 million addresses. Then, each in a fresh process on a fresh
SQLite database made by Paraph's migrations:

- the baseline: the same rows, already in their stored form (ten-digit
  numbers, dates), written by ``sqlite3``'s ``executemany`` in batches of
  the import's size, one transaction each; only the inserts are timed;
- Paraph: ``paraph.companies.services.kbo_import`` on the folder (reading
  and checking every row, the batches, the switch to the new dataset, the
  audit event).

Prints rows per second for both, the import's peak resident memory
(``kbo_import_peak_rss_mb``, aim: under 300) and
``kbo_import_ratio=<x>``, the import's rate over the baseline's (aim: 0.3
or more).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 5000
STREETS = [
    ("Rue de la Loi", "Wetstraat", "1040", "Etterbeek", "Etterbeek"),
    ("Chaussée de Louvain", "Leuvensesteenweg", "1030", "Schaerbeek", "Schaarbeek"),
    ("Rue Neuve", "Nieuwstraat", "1000", "Bruxelles", "Brussel"),
    ("Meir", "Meir", "2000", "Anvers", "Antwerpen"),
    ("Rue de Fer", "Rue de Fer", "5000", "Namur", "Namen"),
    ("Veldstraat", "Veldstraat", "9000", "Gand", "Gent"),
    ("Boulevard d'Avroy", "Boulevard d'Avroy", "4000", "Liège", "Luik"),
    ("Aachener Straße", "Aachener Straße", "4700", "Eupen", "Eupen"),
]
FORMS = ["014", "015", "017", "016", "610"]


def _check(stem: int) -> str:
    return f"{stem:08d}{97 - stem % 97:02d}"


def _date(n: int) -> dt.date:
    return dt.date(1950, 1, 1) + dt.timedelta(days=n % 27000)


# --- The rows, in their stored form (the baseline inserts these) -------------


def enterprises(n: int) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        legal = i % 10 < 6
        yield (
            _check(2_000_000 + 5 * i),
            "AC",
            "000",
            "2" if legal else "1",
            FORMS[i % 5] if legal else "",
            "",
            _date(i),
        )


def _establishment_owners(n: int) -> Iterator[int]:
    for i in range(n):
        legal = i % 10 < 6
        if not legal or i % 2 == 0:
            yield i
        if legal and i % 10 == 0:
            yield i


def establishments(n: int) -> Iterator[tuple[object, ...]]:
    for j, i in enumerate(_establishment_owners(n)):
        yield (_check(20_000_000 + j), _date(i + j), _check(2_000_000 + 5 * i))


def denominations(n: int) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        if i % 10 >= 6:
            continue
        number = _check(2_000_000 + 5 * i)
        yield (
            number,
            "1" if i % 2 else "2",
            "001",
            f"Entreprise Générale {i} Algemene Onderneming",
        )
        if i % 3 == 0:
            yield (number, "2" if i % 2 else "1", "001", f"Algemene Onderneming {i}")
        if i % 5 == 0:
            yield (number, "0", "002", f"EG{i}")
    for j, _i in enumerate(_establishment_owners(n)):
        if j % 2 == 0:
            yield (_check(20_000_000 + j), "1", "003", f"Magasin {j}")


def _address(number: str, kind: str, k: int) -> tuple[object, ...]:
    street_fr, street_nl, zipcode, place_fr, place_nl = STREETS[k % len(STREETS)]
    return (
        number,
        kind,
        "",
        "",
        zipcode,
        place_nl,
        place_fr,
        street_nl,
        street_fr,
        str(1 + k % 300),
        "" if k % 4 else str(k % 9),
        "",
        None,
    )


def addresses(n: int) -> Iterator[tuple[object, ...]]:
    for i in range(n):
        if i % 10 < 6:
            yield _address(_check(2_000_000 + 5 * i), "REGO", i)
    for j, _i in enumerate(_establishment_owners(n)):
        yield _address(_check(20_000_000 + j), "BAET", j)


def codes() -> Iterator[tuple[object, ...]]:
    for category, code, fr, nl in [
        ("Status", "AC", "Actif", "Actief"),
        ("JuridicalSituation", "000", "Situation normale", "Normale toestand"),
        ("TypeOfEnterprise", "1", "Personne physique", "Natuurlijk persoon"),
        ("TypeOfEnterprise", "2", "Personne morale", "Rechtspersoon"),
        *(("JuridicalForm", form, f"Forme {form}", f"Vorm {form}") for form in FORMS),
    ]:
        yield (category, code, "FR", fr)
        yield (category, code, "NL", nl)


TABLES = {
    # file: (table, columns in the file, stored columns, rows)
    "code": (
        "companies_kbocode",
        ["Category", "Code", "Language", "Description"],
        ["category", "code", "language", "description"],
        lambda n: codes(),
    ),
    "enterprise": (
        "companies_company",
        [
            "EnterpriseNumber",
            "Status",
            "JuridicalSituation",
            "TypeOfEnterprise",
            "JuridicalForm",
            "JuridicalFormCAC",
            "StartDate",
        ],
        [
            "number",
            "status",
            "juridical_situation",
            "type_of_enterprise",
            "juridical_form",
            "juridical_form_cac",
            "start_date",
        ],
        enterprises,
    ),
    "establishment": (
        "companies_establishment",
        ["EstablishmentNumber", "StartDate", "EnterpriseNumber"],
        ["number", "start_date", "enterprise_number"],
        establishments,
    ),
    "denomination": (
        "companies_denomination",
        ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"],
        ["entity_number", "language", "kind", "name"],
        denominations,
    ),
    "address": (
        "companies_address",
        [
            "EntityNumber",
            "TypeOfAddress",
            "CountryNL",
            "CountryFR",
            "Zipcode",
            "MunicipalityNL",
            "MunicipalityFR",
            "StreetNL",
            "StreetFR",
            "HouseNumber",
            "Box",
            "ExtraAddressInfo",
            "DateStrikingOff",
        ],
        [
            "entity_number",
            "kind",
            "country_nl",
            "country_fr",
            "zipcode",
            "municipality_nl",
            "municipality_fr",
            "street_nl",
            "street_fr",
            "house_number",
            "box",
            "extra",
            "date_striking_off",
        ],
        addresses,
    ),
}


# --- The export, as the KBO publishes it -------------------------------------


def _printed(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%d-%m-%Y}"
    text = str(value)
    if len(text) == 10 and text.isdigit():
        if text[0] in "01":
            return f"{text[:4]}.{text[4:7]}.{text[7:]}"
        return f"{text[0]}.{text[1:4]}.{text[4:7]}.{text[7:]}"
    return text


def generate(folder: Path, n: int) -> dict[str, int]:
    folder.mkdir(parents=True)
    counts = {}
    with (folder / "meta.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerows(
            [
                ["Variable", "Value"],
                ["SnapshotDate", "02-01-2026"],
                ["ExtractTimestamp", "04-01-2026 06:31:12"],
                ["ExtractType", "full"],
                ["ExtractNumber", "143"],
                ["Version", "1.0.0"],
            ]
        )
    for name, (_table, header, _columns, rows) in TABLES.items():
        count = 0
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(header)
            for row in rows(n):
                writer.writerow([_printed(value) for value in row])
                count += 1
        counts[name] = count
    return counts


# --- The two runs, each in its own process ------------------------------------


def _environment(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PARAPH_DATA_DIR=data_dir,
        PARAPH_SANDBOX="true",
        PARAPH_TASK_BACKEND="immediate",
        PARAPH_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="paraph.settings",
    )
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_import(folder: str) -> dict[str, float]:
    import django

    django.setup()
    from paraph.companies.services import kbo_import

    began = time.perf_counter()
    record = kbo_import(directory=folder)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "rows": sum(record.counts.values()),
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_baseline(n: int) -> dict[str, float]:
    import sqlite3

    database = Path(os.environ["PARAPH_DATA_DIR"]) / "paraph.sqlite3"
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(
        "INSERT INTO companies_kboimport (kind, status, version, extract_timestamp, source, "
        "counts, error, started_at) VALUES ('full', 'running', '', '', '', '{}', '', ?)",
        (dt.datetime.now(dt.UTC).isoformat(),),
    )
    dataset = connection.execute("SELECT max(id) FROM companies_kboimport").fetchone()[0]
    sqlite3.register_adapter(dt.date, dt.date.isoformat)
    seconds = 0.0
    rows_total = 0
    for _name, (table, _header, columns, rows) in TABLES.items():
        sql = (
            f"INSERT INTO {table} (dataset_id, {', '.join(columns)}) "
            f"VALUES ({', '.join(['?'] * (len(columns) + 1))})"
        )
        chunk: list[tuple[object, ...]] = []
        for row in rows(n):
            chunk.append((dataset, *row))
            if len(chunk) == CHUNK:
                seconds += _timed_insert(connection, sql, chunk)
                rows_total += len(chunk)
                chunk = []
        if chunk:
            seconds += _timed_insert(connection, sql, chunk)
            rows_total += len(chunk)
    return {"seconds": seconds, "rows": rows_total, "peak_rss_mb": _peak_rss_mb()}


def _timed_insert(connection: object, sql: str, chunk: list[tuple[object, ...]]) -> float:
    began = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
    connection.executemany(sql, chunk)  # type: ignore[attr-defined]
    connection.execute("COMMIT")  # type: ignore[attr-defined]
    return time.perf_counter() - began


def _run(kind: str, argument: str, data_dir: str) -> dict[str, float]:
    env = _environment(data_dir)
    subprocess.run(
        [sys.executable, "-m", "paraph", "migrate", "-v0"], check=True, cwd=ROOT, env=env
    )
    done = subprocess.run(
        [sys.executable, __file__, f"--child-{kind}", argument],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=1_900_000)
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    parser.add_argument("--child-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        print(json.dumps(child_import(args.child_import)))
        return
    if args.child_baseline is not None:
        print(json.dumps(child_baseline(args.child_baseline)))
        return

    with tempfile.TemporaryDirectory(prefix="paraph-bench-kbo-") as temp:
        folder = Path(temp) / "KboOpenData_0143_2026_01_Full"
        began = time.perf_counter()
        counts = generate(folder, args.enterprises)
        size = sum(path.stat().st_size for path in folder.iterdir())
        print(
            f"export: {', '.join(f'{name} {count}' for name, count in counts.items())} rows, "
            f"{size / 1e6:.0f} MB, made in {time.perf_counter() - began:.0f} s"
        )
        baseline = _run("baseline", str(args.enterprises), str(Path(temp) / "baseline"))
        paraph = _run("import", str(folder), str(Path(temp) / "import"))
    if baseline["rows"] != paraph["rows"]:
        raise SystemExit(f"row counts differ: {baseline['rows']} and {paraph['rows']}")
    rows = paraph["rows"]
    print(f"kbo_enterprises={args.enterprises}")
    print(f"kbo_rows={rows:.0f}")
    print(f"kbo_baseline_seconds={baseline['seconds']:.1f}")
    print(f"kbo_baseline_rows_per_s={rows / baseline['seconds']:.0f}")
    print(f"kbo_import_seconds={paraph['seconds']:.1f}")
    print(f"kbo_import_rows_per_s={rows / paraph['seconds']:.0f}")
    print(f"kbo_import_peak_rss_mb={paraph['peak_rss_mb']:.0f}")
    print(f"kbo_import_ratio={baseline['seconds'] / paraph['seconds']:.3f}")


if __name__ == "__main__":
    main()

"""Fixtures: copies of the sample KBO export to change, and update folders."""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from paraph.companies.demo import DEMO_KBO_DIR

HEADERS = {
    "enterprise": [
        "EnterpriseNumber",
        "Status",
        "JuridicalSituation",
        "TypeOfEnterprise",
        "JuridicalForm",
        "JuridicalFormCAC",
        "StartDate",
    ],
    "establishment": ["EstablishmentNumber", "StartDate", "EnterpriseNumber"],
    "denomination": ["EntityNumber", "Language", "TypeOfDenomination", "Denomination"],
    "address": [
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
}
DELETE_KEYS = {
    "enterprise": "EnterpriseNumber",
    "establishment": "EstablishmentNumber",
    "denomination": "EntityNumber",
    "address": "EntityNumber",
}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def meta(folder: Path, *, kind: str, number: int) -> None:
    write_csv(
        folder / "meta.csv",
        ["Variable", "Value"],
        [
            ["SnapshotDate", "06-02-2026"],
            ["ExtractTimestamp", "08-02-2026 06:30:00"],
            ["ExtractType", kind],
            ["ExtractNumber", str(number)],
            ["Version", "1.0.0"],
        ],
    )


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the sample full export, to spoil."""
    folder = tmp_path / "full"
    shutil.copytree(DEMO_KBO_DIR, folder)
    return folder


@pytest.fixture
def update_folder(tmp_path: Path) -> Callable[..., Path]:
    """``update_folder(number=144, delete={"enterprise": [...]}, insert={...})``:
    an update export with every ``_delete``/``_insert`` file (header only
    unless given)."""

    def make(
        *,
        number: int = 144,
        delete: dict[str, list[str]] | None = None,
        insert: dict[str, list[list[str]]] | None = None,
    ) -> Path:
        folder = tmp_path / f"update-{number}"
        folder.mkdir()
        meta(folder, kind="update", number=number)
        for name, header in HEADERS.items():
            keys = (delete or {}).get(name, [])
            write_csv(folder / f"{name}_delete.csv", [DELETE_KEYS[name]], [[k] for k in keys])
            write_csv(folder / f"{name}_insert.csv", header, (insert or {}).get(name, []))
        return folder

    return make


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs PostgreSQL's row locks; left out of the SQLite run"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` (real row locks, concurrent transactions)
    are left out on SQLite (deselected, not skipped)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    left_out = [item for item in items if item.get_closest_marker("postgres") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]

"""The accepted documents per country (RG-12): the data file, and the public
page in the person's language, searchable by country (RG-10 advice too)."""

from __future__ import annotations

import json

import pytest

from paraph.identity.providers.idnow.documents import DATA_FILE, _load, accepted_documents
from paraph.notifications.tests.conftest import find

URL = "/register/idnow/documents/"
EU_EEA = [
    "AT",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "IS",
    "LI",
    "NO",
]


def test_the_data_file_lists_every_eu_and_eea_country_but_belgium():
    documents = accepted_documents()
    codes = {c.code for c in documents.countries}
    assert set(EU_EEA) <= codes
    assert "BE" not in codes
    assert {"CH", "GB", "US", "MA", "UA", "TR"} <= codes
    for country in documents.countries:
        assert "passport" in country.documents, country.code


def test_an_inconsistent_data_file_is_refused(tmp_path):
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["countries"][0]["documents"] = ["driving_licence"]
    bad = tmp_path / "documents.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="unknown or no document types"):
        _load(bad)

    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    raw["countries"].append(dict(raw["countries"][0]))
    bad.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="listed twice"):
        _load(bad)

    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    del raw["countries"][0]["names"]["de"]
    bad.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="no name in"):
        _load(bad)


def rows(response) -> list[str]:
    return [e.text for e in find(response.content, "th", scope="row")]


def get(client, settings, language: str, **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(URL, params)


def test_the_page_names_countries_in_english(client, settings, db):
    response = get(client, settings, "en")

    assert response.status_code == 200
    names = rows(response)
    assert {"Germany", "Poland", "Netherlands", "United Kingdom"} <= set(names)
    assert names == sorted(names, key=str.casefold)
    germany = [e.text for e in find(response.content, "td") if e.inside(data_country="DE")]
    assert germany == ["Passport, Identity card, Residence permit"]
    usa = [e.text for e in find(response.content, "td") if e.inside(data_country="US")]
    assert usa == ["Passport"]
    assert "Belgium" not in names


def test_the_page_names_countries_in_dutch(client, settings, db):
    response = get(client, settings, "nl")

    names = rows(response)
    assert {"Duitsland", "Polen", "Nederland", "Verenigd Koninkrijk"} <= set(names)
    assert "Germany" not in names
    assert names.index("Duitsland") < names.index("Polen")
    assert find(response.content, "html")[0].attrs["lang"] == "nl"


def test_belgians_and_residents_are_pointed_to_itsme_and_the_eid_card(client, settings, db):
    response = get(client, settings, "en")

    (advice,) = find(response.content, "p", data_testid="idnow-residents-advice")
    assert "itsme or your Belgian eID card" in advice.text
    links = [
        e.attrs["href"]
        for e in find(response.content, "a")
        if e.inside(data_testid="idnow-residents-advice")
    ]
    assert links == ["/register/"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("allemagne", ["Germany"]),  # a French name on the English page
        ("osterreich", ["Austria"]),  # German name, without its accent
        ("  POL  ", ["Poland"]),
        ("pl", ["Poland"]),  # the ISO code
        ("nederland", ["Netherlands"]),
    ],
)
def test_a_country_is_found_by_any_of_its_names(client, settings, db, query, expected):
    response = get(client, settings, "en", q=query)
    assert rows(response) == expected
    (count,) = find(response.content, "p", data_testid="idnow-count")
    assert count.text.startswith("1 country matches")


def test_a_search_that_finds_nothing_says_so_and_points_to_the_contact_centre(client, settings, db):
    response = get(client, settings, "en", q="Atlantis")

    assert rows(response) == []
    (count,) = find(response.content, "p", data_testid="idnow-count")
    assert "No country matches “Atlantis”" in count.text
    assert "contact centre" in count.text


def test_an_oversized_search_is_cut_not_refused(client, settings, db):
    response = get(client, settings, "en", q="x" * 5000)
    assert response.status_code == 200
    assert rows(response) == []

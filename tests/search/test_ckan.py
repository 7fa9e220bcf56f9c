"""The CKAN mapper on real package shapes: the Scottish aggregator's JSON lines and
an unmodified CKAN package_search response from Birmingham City Council."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from catalogue.importers.ckan import (
    html_to_text,
    key_for,
    licence_for,
    package_to_record,
    read_packages,
)
from search import SearchIndex
from tests.conftest import package_count
from tests.search.conftest import data_file

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")
RECORD_FIELDS = {
    "key", "kind", "title", "description", "tags", "department", "source_system", "location",
    "owner", "owner_email", "steward", "steward_email", "contact_email", "classification",
    "access", "licence", "personal_data", "special_category", "lawful_basis",
    "article9_condition", "retention_period", "dpia_reference", "update_frequency",
    "last_updated", "review_date", "status", "columns", "links", "source_created",
    "source_modified",
}  # fmt: skip


@pytest.fixture(scope="module")
def scottish() -> list[tuple[int, dict]]:
    return list(read_packages(data_file("catalogues", "opendata-scotland.jsonl")))


@pytest.fixture(scope="module")
def birmingham() -> list[tuple[int, dict]]:
    return list(read_packages(data_file("catalogues", "birmingham-package-search.json")))


def test_every_scottish_package_maps_to_a_valid_record(scottish: list) -> None:
    assert len(scottish) == package_count(data_file("catalogues", "opendata-scotland.jsonl"))
    assert [line for line, _ in scottish[:3]] == [1, 2, 3]
    records = [package_to_record(pkg) for _, pkg in scottish]
    keys = [r["key"] for r in records]
    assert len(set(keys)) == len(keys)  # names that slug alike stay apart
    for rec in records:
        assert set(rec) == RECORD_FIELDS
        assert KEY.fullmatch(rec["key"]) and len(rec["key"]) <= 200
        assert rec["title"] and rec["kind"] == "dataset" and rec["status"] == "active"
        assert rec["tags"] == sorted(set(rec["tags"]))
        assert all(t == t.lower() for t in rec["tags"])
        assert rec["last_updated"] is None or re.fullmatch(
            r"\d{4}-\d{2}-\d{2}", rec["last_updated"]
        )
        assert rec["source_created"] is None or rec["source_created"].endswith("+00:00")
        assert not re.search(r"</?[a-z]+[^>]*>", rec["description"])
        SearchIndex.document_for(rec)  # the index accepts it


def test_a_scottish_package_in_detail(scottish: list) -> None:
    pkg = next(p for _, p in scottish if p["name"].endswith("academy+school+catchments"))
    rec = package_to_record(pkg)
    assert rec["key"] == "aberdeen-city-council-academy-school-catchments-03799e"
    assert rec["title"] == "Academy School Catchments"
    assert rec["department"] == "Aberdeen City Council"
    assert rec["tags"] == ["council and government", "education", "planning and development"]
    assert rec["licence"] == "OGL-UK-3.0"
    assert rec["steward"] == rec["owner"] == "Aberdeen City Council"
    assert rec["last_updated"] == "2022-12-20"
    assert (rec["access"], rec["classification"]) == ("open", "OFFICIAL")
    assert rec["description"].startswith("Defined geographic boundaries")
    assert rec["location"].startswith("https://spatialdata-accabdn.opendata.arcgis.com/")
    assert len(rec["links"]) == 6
    assert rec["links"][3] == {
        "name": "GeoJSON",
        "url": pkg["resources"][3]["url"],
        "format": "GEOJSON",
    }


def test_names_that_slug_alike_get_different_keys() -> None:
    a = key_for("moray+council-polling+places+%28moray%29")
    b = key_for("moray+council-polling+places+-+moray")
    assert a != b
    assert a.startswith("moray-council-polling-places-moray-")
    assert key_for("purchase-card-transactions") == "purchase-card-transactions"


def test_birmingham_package_search_response(birmingham: list) -> None:
    assert len(birmingham) == 10  # one page of the 38 the response counts
    rec = package_to_record(birmingham[0][1])
    assert rec["key"] == "purchase-card-transactions"
    assert rec["department"] == "Birmingham City Council"
    assert rec["tags"] == ["council business", "payments", "purchase card"]
    assert rec["licence"] == "OGL-UK-3.0"
    assert (rec["owner"], rec["steward"]) == ("Ian Martin", "Ian Martin")
    assert rec["owner_email"] == rec["steward_email"] == "ian.martin@birmingham.gov.uk"
    assert rec["last_updated"] == "2021-01-15"
    assert rec["location"] == rec["links"][0]["url"]  # no package url: first resource
    assert rec["links"][0]["name"] == "Purchase Card transactions - April 2014"
    assert "\r" not in rec["description"]
    assert "Code of Recommended Practice" in rec["description"]
    keys = {package_to_record(p)["key"] for _, p in birmingham}
    assert "december_2020_purchase_card_transactions" in keys
    assert len(keys) == 10


def test_tags_are_lower_cased_and_deduplicated() -> None:
    rec = package_to_record(
        {
            "name": "x",
            "title": "X",
            "tags": [{"name": "Open Data"}, {"name": "open  data"}, {"name": "Roads"}],
            "groups": [{"title": "Roads"}, {"name": "transport"}],
        }
    )
    assert rec["tags"] == ["open data", "roads", "transport"]


@pytest.mark.parametrize(
    ("pkg", "licence"),
    [
        ({"license_id": "uk-ogl"}, "OGL-UK-3.0"),
        ({"license_id": "OGL-UK-3.0"}, "OGL-UK-3.0"),
        ({"license_title": "UK Open Government Licence (OGL)"}, "OGL-UK-3.0"),
        ({"license_title": "UK Open Government Licence v3.0"}, "OGL-UK-3.0"),
        (
            {
                "license_url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/2/"
            },
            "OGL-UK-2.0",
        ),
        ({"license_id": "cc-by"}, "CC-BY-4.0"),
        ({"license_title": "Creative Commons CC0"}, "CC0-1.0"),
        (
            {"license_title": "Scottish Parliament Copyright Policy"},
            "Scottish Parliament Copyright Policy",
        ),
        ({}, None),
    ],
)
def test_licences(pkg: dict, licence: str | None) -> None:
    assert licence_for(pkg) == licence


def test_html_descriptions_become_text() -> None:
    html = (
        "<div style='x'><p>Bins &amp; boxes</p><p>Collected <b>weekly</b>.</p>"
        "<script>x()</script></div>"
    )
    assert html_to_text(html) == "Bins & boxes\n\nCollected weekly."
    assert html_to_text("Plain text, kept.\r\nSecond line") == "Plain text, kept.\nSecond line"
    assert html_to_text(None) == ""
    rec = package_to_record(
        {"name": "x", "title": "X", "notes": "", "notes_html": "<p>From HTML</p>"}
    )
    assert rec["description"] == "From HTML"


def test_a_package_without_a_name_or_title_is_refused() -> None:
    with pytest.raises(ValueError, match="name"):
        package_to_record({"title": "No name"})
    with pytest.raises(ValueError, match="title"):
        package_to_record({"id": "abc", "title": "  "})


def test_key_prefix_keeps_portals_apart() -> None:
    rec = package_to_record({"name": "trees", "title": "Trees"}, key_prefix="Open Data Glasgow")
    assert rec["key"] == "open-data-glasgow-trees"


def test_read_packages_accepts_lists_and_single_packages(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(
        json.dumps([{"name": "a", "title": "A"}, "junk", {"name": "b", "title": "B"}])
    )
    with pytest.raises(ValueError, match=r'item 2 \("junk"\); nothing was imported'):
        list(read_packages(listed))  # never dropped without a word (#20)
    listed.write_text(json.dumps([{"name": "a", "title": "A"}, {"name": "b", "title": "B"}]))
    assert [(n, p["name"]) for n, p in read_packages(listed)] == [(1, "a"), (2, "b")]
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"success": True, "result": {"name": "c", "title": "C"}}))
    assert [p["name"] for _, p in read_packages(single)] == ["c"]


def test_read_packages_reports_the_bad_line(tmp_path: Path) -> None:
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"name": "a", "title": "A"}\n\n{"name": \n')
    with pytest.raises(ValueError, match="line 3"):
        list(read_packages(lines))

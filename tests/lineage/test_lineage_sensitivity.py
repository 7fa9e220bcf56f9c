"""Sensitivity flowing downstream in the hand-drawn graph of conftest.py."""

from __future__ import annotations

from typing import Any

import pytest

from lineage import Inheritance, LineageGraph

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar


def test_the_dashboard_inherits_each_flag_from_its_nearest_source(graph: LineageGraph) -> None:
    assert graph.inherited("arrears-dashboard") == [
        Inheritance(
            "personal_data", "northgate", ["arrears-dashboard", "rent-accounts", "northgate"]
        ),
        Inheritance(
            "special_category",
            "care-flags",
            ["arrears-dashboard", "arrears-model", "arrears-etl", "care-flags"],
        ),
        Inheritance(
            "OFFICIAL-SENSITIVE", "northgate", ["arrears-dashboard", "rent-accounts", "northgate"]
        ),
    ]


def test_a_dataset_inherits_from_its_source_system(graph: LineageGraph) -> None:
    assert graph.inherited("care-flags") == [
        Inheritance("personal_data", "mosaic", ["care-flags", "mosaic"]),
        Inheritance("special_category", "mosaic", ["care-flags", "mosaic"]),
        Inheritance("OFFICIAL-SENSITIVE", "mosaic", ["care-flags", "mosaic"]),
    ]


def test_own_declarations_and_clean_feeds_give_nothing(graph: LineageGraph) -> None:
    assert graph.inherited("northgate") == []  # declares personal data itself, inherits none
    assert graph.inherited("postcodes") == []


def test_secret_counts_as_official_sensitive(make_snapshot: Any, make_edge: Any) -> None:
    graph = LineageGraph.build(
        [
            make_snapshot("fraud-system", "source_system", "Fraud", classification="SECRET"),
            make_snapshot("fraud-report", "report", "Fraud report"),
        ],
        [make_edge(1, "fraud-system", "fraud-report")],
        seq=1,
    )
    assert graph.inherited("fraud-report") == [
        Inheritance("OFFICIAL-SENSITIVE", "fraud-system", ["fraud-report", "fraud-system"])
    ]


def test_attrs_override_what_assets_declare(
    graph: LineageGraph, assets: list[dict[str, Any]]
) -> None:
    # As the care flags stood before anyone marked them special category.
    care_flags = next(a for a in assets if a["key"] == "care-flags")
    then = {"care-flags": {**care_flags, "special_category": False}}
    special = graph.inherited("arrears-dashboard", attrs=then)[1]
    assert special == Inheritance(
        "special_category",
        "mosaic",
        ["arrears-dashboard", "arrears-model", "arrears-etl", "care-flags", "mosaic"],
    )


def test_inherited_as_of_follows_the_edges_then(graph: LineageGraph) -> None:
    # Before June the open summary was fed by postcodes alone.
    assert graph.inherited("open-summary", as_of="2024-05-01T00:00:00Z") == []
    assert [i.source for i in graph.inherited("open-summary")] == ["care-flags"] * 3


def test_mismatches_flag_open_and_unrestricted_special_category(graph: LineageGraph) -> None:
    found = graph.mismatches()
    assert [m.key for m in found] == ["arrears-dashboard", "open-summary"]
    dashboard, summary = found
    # internal access, but special category data arrives from the care flags
    assert len(dashboard.reasons) == 1
    assert "special category" in dashboard.reasons[0]
    assert "care-flags" in dashboard.reasons[0]
    assert dashboard.inherited == graph.inherited("arrears-dashboard")
    # open access: one reason per inherited flag, plus the special category rule
    assert len(summary.reasons) == 4
    assert all("open" in reason for reason in summary.reasons)
    assert summary.inherited == graph.inherited("open-summary")


def test_mismatches_respect_attrs(graph: LineageGraph, assets: list[dict[str, Any]]) -> None:
    dashboard = next(a for a in assets if a["key"] == "arrears-dashboard")
    fixed = {"arrears-dashboard": {**dashboard, "access": "restricted"}}
    assert [m.key for m in graph.mismatches(attrs=fixed)] == ["open-summary"]


def test_mismatches_as_of(graph: LineageGraph) -> None:
    # May: the summary is fed by postcodes only; the dashboard already exists.
    assert [m.key for m in graph.mismatches(as_of="2024-05-01T00:00:00Z")] == ["arrears-dashboard"]
    # February: the dashboard had not been created.
    assert graph.mismatches(as_of="2024-02-01T00:00:00Z") == []

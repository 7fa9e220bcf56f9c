"""A small council lineage graph, drawn by hand so every answer can be checked by eye.

    northgate (source; personal, O-S) --[northgate-extract]--> rent-accounts
    mosaic (source; personal, special, O-S) --> care-flags (personal, special, O-S)
    rent-accounts, care-flags, postcodes --> arrears-etl (pipeline) --> arrears-model
    arrears-model --> arrears-dashboard (report, internal; created 1 March 2024)
    rent-accounts --[dashboard-feed]--> arrears-dashboard (also since 1 March)
    arrears-model --> open-summary (report, open access; since 1 June 2024)
    postcodes --> open-summary (the feed until 1 June 2024, then ended)

Sources, care-flags, arrears-etl and arrears-model are restricted; postcodes is
open and declares nothing; rent-accounts declares nothing (it should).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lineage import LineageGraph

JAN = "2024-01-01T00:00:00Z"
MAR = "2024-03-01T09:00:00Z"
JUNE = "2024-06-01T00:00:00Z"


def snapshot(key: str, kind: str, title: str, **fields: Any) -> dict[str, Any]:
    """An asset snapshot as docs/records.md describes it, internal OFFICIAL by default."""
    record: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "title": title,
        "description": "",
        "tags": [],
        "department": "Housing",
        "owner": "Head of Housing",
        "classification": "OFFICIAL",
        "access": "internal",
        "personal_data": False,
        "special_category": False,
        "status": "active",
        "columns": [],
        "version": 1,
        "created_at": JAN,
        "updated_at": JAN,
    }
    record.update(fields)
    return record


def edge(
    id: int,
    upstream: str,
    downstream: str,
    via: str | None = None,
    valid_from: str = JAN,
    valid_to: str | None = None,
) -> dict[str, Any]:
    """An edge record as docs/records.md describes it."""
    return {
        "id": id,
        "upstream": upstream,
        "downstream": downstream,
        "via": via,
        "description": None,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


@pytest.fixture
def assets() -> list[dict[str, Any]]:
    sensitive = {"classification": "OFFICIAL-SENSITIVE", "access": "restricted"}
    postcodes = snapshot("postcodes", "dataset", "Postcode lookup", access="open")
    del postcodes["created_at"]  # an asset with no creation time has always existed
    return [
        snapshot(
            "northgate", "source_system", "Northgate Housing", personal_data=True, **sensitive
        ),
        snapshot(
            "mosaic",
            "source_system",
            "Mosaic social care",
            personal_data=True,
            special_category=True,
            **sensitive,
        ),
        snapshot("rent-accounts", "dataset", 'Rent accounts ("live")'),
        snapshot(
            "care-flags",
            "dataset",
            "Tenant care flags",
            personal_data=True,
            special_category=True,
            **sensitive,
        ),
        postcodes,
        snapshot("arrears-etl", "pipeline", "Arrears ETL", access="restricted"),
        snapshot("arrears-model", "dataset", "Arrears model", access="restricted"),
        snapshot("arrears-dashboard", "report", "Housing arrears dashboard", created_at=MAR),
        snapshot("open-summary", "report", "Arrears open summary", access="open"),
    ]


@pytest.fixture
def edges() -> list[dict[str, Any]]:
    return [
        edge(1, "northgate", "rent-accounts", via="northgate-extract"),
        edge(2, "mosaic", "care-flags"),
        edge(3, "rent-accounts", "arrears-etl"),
        edge(4, "care-flags", "arrears-etl"),
        edge(5, "postcodes", "arrears-etl"),
        edge(6, "arrears-etl", "arrears-model"),
        edge(7, "arrears-model", "arrears-dashboard", valid_from=MAR),
        edge(8, "arrears-model", "open-summary", valid_from=JUNE),
        edge(9, "rent-accounts", "arrears-dashboard", via="dashboard-feed", valid_from=MAR),
        edge(10, "postcodes", "open-summary", valid_to=JUNE),
    ]


@pytest.fixture
def graph(assets: list[dict[str, Any]], edges: list[dict[str, Any]]) -> LineageGraph:
    return LineageGraph.build(assets, edges, seq=42)


@pytest.fixture(scope="session")
def make_snapshot() -> Callable[..., dict[str, Any]]:
    """The ``snapshot`` factory, for tests that draw their own graph."""
    return snapshot


@pytest.fixture(scope="session")
def make_edge() -> Callable[..., dict[str, Any]]:
    """The ``edge`` factory, for tests that draw their own graph."""
    return edge

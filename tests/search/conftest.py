"""Fixtures for the pure search package: hand-made asset records and change-log
entries (docs/records.md), and a fresh index on disk per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search import SearchIndex
from tests.api.conftest import demo_app  # noqa: F401 (the demo borough's app, for the staff searches)
from tests.conftest import shared_data

#: A file of the full corpora, else its committed extract under tests/data/.
data_file = shared_data


def record(key: str, title: str, **fields: Any) -> dict[str, Any]:
    """An asset record as the store hands it over, with council-like defaults."""
    base: dict[str, Any] = {
        "key": key,
        "kind": "dataset",
        "title": title,
        "description": "",
        "tags": [],
        "department": "Environment",
        "source_system": None,
        "location": None,
        "owner": "Pat Owner",
        "owner_email": "pat.owner@council.example",
        "steward": "Sam Steward",
        "steward_email": "sam.steward@council.example",
        "contact_email": None,
        "classification": "OFFICIAL",
        "access": "open",
        "licence": "OGL-UK-3.0",
        "personal_data": False,
        "special_category": False,
        "lawful_basis": None,
        "article9_condition": None,
        "retention_period": None,
        "dpia_reference": None,
        "update_frequency": "monthly",
        "last_updated": "2024-01-01",
        "review_date": None,
        "status": "active",
        "columns": [],
        "version": 1,
    }
    base.update(fields)
    return base


class ChangeLog:
    """Builds change-log entries with increasing sequence numbers."""

    def __init__(self) -> None:
        self.seq = 0

    def entry(self, action: str, key: str, after: dict | None, before: dict | None = None) -> dict:
        self.seq += 1
        return {
            "seq": self.seq,
            "action": action,
            "key": key,
            "actor": "tester",
            "time": "2024-05-01T10:00:00Z",
            "before": before,
            "after": after,
        }

    def create(self, rec: dict) -> dict:
        return self.entry("asset.create", rec["key"], rec)

    def update(self, rec: dict) -> dict:
        return self.entry("asset.update", rec["key"], rec)

    def retire(self, rec: dict) -> dict:
        return self.entry("asset.retire", rec["key"], {**rec, "status": "retired"}, rec)

    def edge(self, downstream: str) -> dict:
        edge = {
            "id": self.seq + 1,
            "upstream": "x",
            "downstream": downstream,
            "via": None,
            "description": None,
            "valid_from": "2024-05-01T10:00:00Z",
            "valid_to": None,
        }
        return self.entry("edge.add", downstream, edge)


@pytest.fixture
def log() -> ChangeLog:
    return ChangeLog()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def index(index_dir: Path) -> Iterator[SearchIndex]:
    ix = SearchIndex(index_dir)
    yield ix
    ix.close()


COUNCIL = [
    record(
        "household-bin-collections",
        "Household Bin Collections",
        description="Weekly **refuse** and recycling rounds by street, with collection day.",
        tags=["waste", "collections"],
        department="Waste Services",
        last_updated="2024-03-01",
        columns=[
            {"name": "uprn", "type": "text", "description": "Property reference", "personal": False}
        ],  # fmt: skip
    ),
    record(
        "council-tax-arrears",
        "Council Tax Arrears",
        description="<p>Accounts in arrears by band &amp; ward.</p>",
        tags=["finance", "revenues"],
        department="Revenues & Benefits",
        access="restricted",
        classification="OFFICIAL-SENSITIVE",
        owner="Rita Revenues",
        owner_email="Rita.Revenues@council.example",
        last_updated="2024-02-01",
    ),
    record(
        "council-tax-bands",
        "Council Tax Bands",
        description="Number of dwellings in each council tax band.",
        tags=["finance"],
        department="Revenues & Benefits",
        last_updated="2023-11-15",
    ),
    record(
        "street-lighting-columns",
        "Street Lighting Columns",
        description="Every lamp column the council maintains.",
        tags=["highways"],
        department="Highways",
        last_updated=None,
    ),
    record(
        "school-rolls",
        "School Rolls",
        description="Pupils on the roll of each primary and secondary school.",
        tags=["education"],
        department="Education",
        access="internal",
        last_updated="2024-04-20",
    ),
    record(
        "ev-charging-points",
        "Electric Vehicle Charging Points",
        description="Public charge points with connector types.",
        tags=["transport"],
        department="Highways",
        last_updated="2022-06-30",
    ),
    record(
        "house-builder-completions",
        "House Builder Completions",
        description="New homes completed by private builders each quarter.",
        tags=["planning"],
        department="Planning",
    ),
    record(
        "car-parking-tariffs",
        "Car Parking Tariffs",
        description="Charges at council car parks.",
        tags=["transport"],
        department="Highways",
    ),
    record(
        "parks-and-green-spaces",
        "Parks and Green Spaces",
        description="Boundaries of public parks, playgrounds and gardens.",
        tags=["leisure"],
        department="Environment",
    ),
]


@pytest.fixture
def council(index: SearchIndex, log: ChangeLog) -> SearchIndex:
    """An index holding the COUNCIL records, applied through the change log."""
    assert index.apply([log.create(r) for r in COUNCIL])
    return index

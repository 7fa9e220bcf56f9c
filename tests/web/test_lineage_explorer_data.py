"""What the lineage explorer is sent, on SQLite and PostgreSQL: the details its
side panel shows (only for assets the reader may see) and each asset's column
lineage, with the columns of assets the reader may not see left out.

The demo borough has no column lineage, so this module's catalogue adds one
OpenLineage run through the service: a Housing extract and an Adult Social Care
(restricted) extract feed a Housing rent summary, column by column."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from catalogue.services import assets
from catalogue.services.openlineage import apply_facts
from catalogue.services.openlineage_facts import ColumnInput, DatasetFacts, JobFacts, LineageFacts
from catalogue.services.openlineage_names import lookup_key
from tests.web.conftest import Pages, fresh_demo_app

NS = "postgres://housing-db.thamesbury.local:5432"
KEYS: dict[str, str] = {}


def _feed(app: Flask) -> None:
    cat = app.extensions["catalogue"]
    summary = DatasetFacts(
        NS,
        "public.rent_summary",
        columns=[{"name": "tenancy_id"}, {"name": "care_package"}],
        column_lineage=[
            ColumnInput(
                "tenancy_id", NS, "public.tenancies_extract", "tenancy_id", "DIRECT", "IDENTITY"
            ),
            ColumnInput(
                "care_package", NS, "public.care_packages", "package", "DIRECT", "TRANSFORMATION"
            ),
        ],  # fmt: skip
        authoritative=True,
    )
    facts = LineageFacts(
        time=datetime.now(UTC),
        job=JobFacts(NS, "rent_summary_build"),
        inputs=[
            DatasetFacts(NS, "public.tenancies_extract"),
            DatasetFacts(NS, "public.care_packages"),
        ],
        outputs=[summary],
        run_id=str(uuid.uuid4()),
        event_type="COMPLETE",
    )
    with cat.write("peter.ng") as writer:
        apply_facts(writer, facts)
        for name in ("rent_summary", "tenancies_extract", "care_packages"):
            KEYS[name] = lookup_key(writer.session, "dataset", NS, f"public.{name}") or ""
        housing = {"department": "Housing", "access": "internal"}
        assets.update(writer, KEYS["rent_summary"], housing)
        assets.update(writer, KEYS["tenancies_extract"], housing)
        care = {"department": "Adult Social Care", "access": "restricted"}
        assets.update(writer, KEYS["care_packages"], care)


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    for app in fresh_demo_app(web_backend, request, tmp_path_factory):
        _feed(app)
        yield app


def test_nodes_carry_the_panel_details_but_placeholders_none(pages: Pages) -> None:
    pages.sign_in("viewer")  # Housing: Adult Social Care's sources are restricted
    data = pages.get(
        "/assets/rpt-asc-performance-dashboard/lineage.json?direction=upstream&depth=all"
    ).json
    centre = data["nodes"][0]
    assert centre["side"] == "centre" and centre["owner"] and centre["classification"]
    assert centre["page"] == "/assets/rpt-asc-performance-dashboard"
    assert centre["columns"] == "/assets/rpt-asc-performance-dashboard/columns.json"
    hidden = [n for n in data["nodes"] if n["restricted"]]
    assert hidden and all(
        n["owner"] is None and n["classification"] is None and n["page"] is None
        and n["columns"] is None
        for n in hidden
    )  # fmt: skip
    dated = pages.get(
        "/assets/rpt-housing-arrears-dashboard/lineage.json?depth=1&as_of=2025-06-01"
    ).json
    assert dated["nodes"][0]["columns"].endswith("/columns.json?as_of=2025-06-01")


def test_column_lineage_leaves_out_columns_the_reader_may_not_see(pages: Pages) -> None:
    summary = f"/assets/{KEYS['rent_summary']}/columns.json"
    admin = Pages(pages.client.application.test_client()).sign_in("admin")
    everything = admin.get(summary).json["columns"]
    assert {(c["column"], u["column"], u["how"]) for c in everything for u in c["up"]} == {
        ("tenancy_id", "tenancy_id", "IDENTITY"),
        ("care_package", "package", "TRANSFORMATION"),
    }
    pages.sign_in("viewer")
    seen = pages.get(summary).json
    assert seen["key"] == KEYS["rent_summary"]
    ups = [(c["column"], u) for c in seen["columns"] for u in c["up"]]
    assert ups == [
        (
            "tenancy_id",
            {
                "key": KEYS["tenancies_extract"],
                "title": "public.tenancies_extract",
                "url": f"/assets/{KEYS['tenancies_extract']}",
                "column": "tenancy_id",
                "how": "IDENTITY",
            },
        )
    ]
    assert KEYS["care_packages"] not in str(seen) and "package" not in str(seen).replace(
        "care_package", ""
    )
    # What it feeds, from the other side.
    fed = pages.get(f"/assets/{KEYS['tenancies_extract']}/columns.json").json["columns"]
    assert [(c["column"], [d["column"] for d in c["down"]]) for c in fed] == [
        ("tenancy_id", ["tenancy_id"])
    ]


def test_column_lineage_of_an_asset_the_reader_may_not_see_is_not_found(pages: Pages) -> None:
    pages.sign_in("viewer")
    response = pages.get(f"/assets/{KEYS['care_packages']}/columns.json")
    assert response.status_code == 404
    assert pages.get("/assets/no-such-asset/columns.json").status_code == 404
    bad = pages.get(f"/assets/{KEYS['rent_summary']}/columns.json?as_of=31-02-2025")
    assert bad.status_code == 422 and "date" in bad.get_data(as_text=True)

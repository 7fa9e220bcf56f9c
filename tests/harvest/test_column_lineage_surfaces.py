"""Column lineage where people look: `catalogue lineage columns` (now and as
of a date) and the asset page, from a real harvest."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogue import create_app
from catalogue.services import assets
from catalogue.store import Catalogue
from tests.conftest import Runner
from tests.harvest.sources import Source, source_database


@pytest.fixture
def source(backend: str, tmp_path: Path) -> Iterator[Source]:
    with source_database(backend, tmp_path) as built:
        yield built


def harvest(run: Runner, source: Source) -> None:
    result = run(
        "harvest", "database", source.url, "--source-system", "housing-db",
        *source.schema_options,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def links(run: Runner, *args: str) -> list[dict[str, Any]]:
    result = run("lineage", "columns", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_lineage_columns_up_down_and_as_of(run: Runner, source: Source) -> None:
    harvest(run, source)
    key = f"housing-db.{source.prefix}"
    up = links(run, key + "rent_account", "--direction", "up")
    assert {(r["column"], r["other_key"], r["other_column"], r["how"]) for r in up} == {
        ("id", key + "tenants", "id", "IDENTITY"),
        ("surname", key + "tenants", "surname", "IDENTITY"),
        ("ward", key + "properties", "ward", "IDENTITY"),
        ("paid", key + "rents", "amount", "AGGREGATION"),
    }
    down = links(run, key + "rents", "--column", "amount", "--direction", "down")
    fed = {(r["other_key"], r["other_column"]) for r in down}
    assert (key + "rent_account", "paid") in fed
    assert all(r["column"] == "amount" and r["direction"] == "down" for r in down)
    # As of the first harvest, after a renamed column: the lineage as it stood then.
    first = json.loads(run("history", key + "rent_account", "--format", "json").stdout)[-1]
    source.drift()
    harvest(run, source)
    view_column = "surname" if source.backend == "postgres" else "family_name"
    now = links(run, key + "rent_account", "--column", view_column)
    assert [(r["other_key"], r["other_column"]) for r in now] == [(key + "tenants", "family_name")]
    then = links(run, key + "rent_account", "--column", "surname", "--as-of", first["time"])
    assert [(r["other_key"], r["other_column"]) for r in then] == [(key + "tenants", "surname")]
    text = run("lineage", "columns", key + "rent_account", "--as-of", first["time"]).output
    assert "comes from" in text and "surname" in text
    csv_out = run("lineage", "columns", key + "tenants", "--format", "csv").output
    assert csv_out.splitlines()[0] == "column,direction,other_key,other_dataset,other_column,how"


def test_the_asset_page_lists_where_each_column_comes_from(
    run: Runner, source: Source, catalogue: Catalogue, settings: Any
) -> None:
    harvest(run, source)
    key = f"housing-db.{source.prefix}rent_account"
    with catalogue.write("aisha.begum") as writer:
        assets.update(writer, key, {"access": "open"})
        assets.update(writer, f"housing-db.{source.prefix}rents", {"access": "open"})
    app = create_app(settings)
    try:
        page = app.test_client().get(f"/assets/{key}").get_data(as_text=True)
    finally:
        app.extensions["catalogue"].close()
    assert "Comes from" in page
    assert f'href="/assets/housing-db.{source.prefix}rents"' in page
    assert '<code>amount</code> <span class="govuk-body-s">(aggregation)</span>' in page
    # Sources the reader may not see (tenants is internal) are left out.
    assert f"/assets/housing-db.{source.prefix}tenants" not in page
    assert "{'" not in page  # no Python value in recent changes


def test_the_auditors_trace_can_include_column_paths(run: Runner, source: Source) -> None:
    harvest(run, source)
    key = f"housing-db.{source.prefix}"
    result = run("lineage", "trace", key + "ward_income", "--with-columns", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    paths = {row["key"]: row["column_paths"] for row in rows}
    assert paths[key + "rents"] == (
        f"{key}rents.amount → {key}rent_account.paid → {key}ward_income.income"
    )
    assert paths[key + "properties"] == (
        f"{key}properties.ward → {key}rent_account.ward → {key}ward_income.ward"
    )
    assert paths[key + "tenants"] == ""  # it feeds the report, but none of its columns
    assert set(paths[key + "rent_account"].split(";")) == {
        f"{key}rent_account.paid → {key}ward_income.income",
        f"{key}rent_account.ward → {key}ward_income.ward",
    }

"""`as_of` on Marquez's read routes (`/api/v1/lineage`, `/api/v1/column-lineage`)
and `catalogue lineage trace --with-columns --as-of`: the lineage of a real
harvest as it stood before its source drifted."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from catalogue import create_app
from catalogue.models import Asset
from catalogue.services import assets
from catalogue.store import Catalogue
from tests.conftest import Runner
from tests.harvest.sources import Source, source_database

PROBLEM = "application/problem+json"


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


def rewire_ward_income(source: Source) -> None:
    """The analysts now count properties per ward instead of summing rent accounts."""
    schema = "" if source.backend == "sqlite" else "housing."
    source.run_sql(
        f"DROP VIEW {schema}ward_income;"
        f"CREATE VIEW {schema}ward_income AS"
        f" SELECT ward, COUNT(*) AS income FROM {schema}properties GROUP BY ward;"
    )


@pytest.fixture
def drifted(run: Runner, source: Source, catalogue: Catalogue) -> Iterator[tuple[str, FlaskClient]]:
    """Harvested, drifted (a renamed column, a rewired view) and harvested again,
    every asset open to read; yields the moment of the first harvest and a client."""
    harvest(run, source)
    first = json.loads(run("history", f"housing-db.{source.prefix}rent_account", "--format",
                           "json").stdout)[-1]["time"]  # fmt: skip
    source.drift()
    rewire_ward_income(source)
    harvest(run, source)
    with catalogue.write("aisha.begum") as writer:
        harvested = select(Asset.key).where(Asset.key.like("housing-db%"), Asset.status == "active")
        for key in list(writer.session.scalars(harvested)):
            assets.update(writer, key, {"access": "open"})
    app = create_app(catalogue.settings)
    try:
        yield first, app.test_client()
    finally:
        app.extensions["catalogue"].close()


def graph(client: FlaskClient, route: str, node: str, *query: str) -> dict[str, Any]:
    extra = "".join(f"&{q}" for q in query)
    response = client.get(f"/api/v1/{route}?nodeId={quote(node)}{extra}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {n["id"]: n for n in response.json["graph"]}


def test_lineage_graph_as_of_a_date(drifted: tuple[str, FlaskClient], source: Source) -> None:
    first, client = drifted
    name = f"dataset:housing-db:{source.prefix}"
    node = name + "rent_account"
    now = graph(client, "lineage", node, "depth=1")
    then = graph(client, "lineage", node, "depth=1", f"as_of={quote(first)}")
    fed = {e["destination"] for e in then[node]["outEdges"]}
    assert fed == {name + "ward_income"}  # the view read rent_account then
    assert now[node]["outEdges"] == []  # and reads properties now
    assert {e["origin"] for e in then[node]["inEdges"]} == {
        name + "tenants",
        name + "rents",
        name + "properties",
        "dataset:catalogue:housing-db",
    }
    # Each node is described as it stood: the tenants' surname was renamed since.
    fields_then = [f["name"] for f in then[name + "tenants"]["data"]["fields"]]
    fields_now = [f["name"] for f in now[name + "tenants"]["data"]["fields"]]
    assert "surname" in fields_then and "family_name" not in fields_then
    assert "family_name" in fields_now and "surname" not in fields_now


def test_column_lineage_as_of_a_date(drifted: tuple[str, FlaskClient], source: Source) -> None:
    first, client = drifted
    field = f"datasetField:housing-db:{source.prefix}rent_account:surname"
    then = graph(client, "column-lineage", field, "depth=1", f"as_of={quote(first)}")
    assert [(i["dataset"], i["field"]) for i in then[field]["data"]["inputFields"]] == [
        (f"{source.prefix}tenants", "surname")
    ]
    now = graph(client, "column-lineage", field, "depth=1")
    assert (f"{source.prefix}tenants", "surname") not in [
        (i["dataset"], i["field"]) for i in now[field]["data"]["inputFields"]
    ]
    # Downstream as of then: the rent account's payments fed the ward's income.
    paid = f"datasetField:housing-db:{source.prefix}rent_account:paid"
    down = graph(client, "column-lineage", paid, "withDownstream=true", f"as_of={quote(first)}")
    assert f"datasetField:housing-db:{source.prefix}ward_income:income" in down
    now = graph(client, "column-lineage", paid, "withDownstream=true")
    assert f"datasetField:housing-db:{source.prefix}ward_income:income" not in now


@pytest.mark.parametrize("route", ["lineage", "column-lineage"])
def test_as_of_errors_are_those_of_the_other_lineage_routes(
    drifted: tuple[str, FlaskClient], source: Source, route: str
) -> None:
    _, client = drifted
    node = quote(f"dataset:housing-db:{source.prefix}rent_account")
    bad = client.get(f"/api/v1/{route}?nodeId={node}&as_of=2026-13-45")
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    assert list(bad.json["errors"]) == ["as_of"]
    assert "2025-10-01" in bad.json["errors"]["as_of"][0]  # the accepted forms
    before = client.get(f"/api/v1/{route}?nodeId={node}&as_of=2001-01-01")
    assert before.status_code == 404 and before.mimetype == PROBLEM
    assert "on 2001-01-01" in before.json["detail"]
    spec = client.get("/api/v1/openapi.json").json["paths"][f"/api/v1/{route}"]["get"]
    assert "as_of" in [p["name"] for p in spec["parameters"]]


def test_trace_with_columns_as_of_a_date(run: Runner, drifted: tuple[str, FlaskClient],
                                         source: Source) -> None:  # fmt: skip
    first, _ = drifted
    key = f"housing-db.{source.prefix}"
    then = run("lineage", "trace", key + "rent_account", "--with-columns", "--as-of", first,
               "--format", "csv")  # fmt: skip
    assert then.exit_code == 0, then.output
    paths = {r["key"]: r["column_paths"] for r in csv.DictReader(io.StringIO(then.stdout))}
    assert f"{key}tenants.surname → {key}rent_account.surname" in paths[key + "tenants"]
    now = run("lineage", "trace", key + "rent_account", "--with-columns", "--format", "csv")
    paths = {r["key"]: r["column_paths"] for r in csv.DictReader(io.StringIO(now.stdout))}
    assert f"{key}tenants.surname" not in paths[key + "tenants"]
    assert f"{key}tenants.family_name" in paths[key + "tenants"]
    text = run("lineage", "trace", key + "ward_income", "--with-columns", "--as-of", first)
    assert text.exit_code == 0, text.output
    shown = " ".join(text.output.split())  # the table wraps long paths to the terminal
    assert f"Column path: {key}rent_account.paid → {key}ward_income.income" in shown

"""`catalogue harvest database`: a real harvest of a real SQLite and PostgreSQL
database (each catalogue backend harvests a source of its own kind)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalogue import create_app
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.column_lineage import ColumnNode, column_edges
from catalogue.store import Catalogue
from tests.conftest import Runner
from tests.harvest.sources import Source, source_database

READER = operator("test-reader")


@pytest.fixture
def source(backend: str, tmp_path: Path) -> Iterator[Source]:
    with source_database(backend, tmp_path) as built:
        yield built


def harvest(run: Runner, source: Source, *extra: str) -> Any:
    return run(
        "harvest", "database", source.url, "--source-system", "housing-db",
        *source.schema_options, *extra,
    )  # fmt: skip


def record(catalogue: Catalogue, key: str) -> dict[str, Any]:
    with catalogue.reading(READER) as reader:
        return assets.get(reader, key)


def history(catalogue: Catalogue, key: str) -> list[dict[str, Any]]:
    with catalogue.reading(READER) as reader:
        return assets.history(reader, key)


def head(run: Runner) -> int:
    return json.loads(run("index", "status", "--format", "json").output)["head"]


def upstream(run: Runner, key: str) -> set[str]:
    rows = json.loads(run("lineage", "upstream", key, "--depth", "1", "--format", "json").output)
    return {r["key"] for r in rows}


def column_sources(catalogue: Catalogue, key: str, name: str, column: str) -> set[tuple[str, str]]:
    with catalogue.read() as session:
        edges = column_edges(session, [ColumnNode("housing-db", name, column)], depth=1)
    return {(e.input_key or "", e.input.field) for e in edges}


def test_first_harvest_registers_tables_views_columns_and_lineage(
    run: Runner, source: Source, catalogue: Catalogue
) -> None:
    result = harvest(run, source)
    assert result.exit_code == 0, result.output
    p = source.prefix
    key = f"housing-db.{p}"
    tenants = record(catalogue, key + "tenants")
    assert tenants["kind"] == "dataset"
    assert tenants["source_system"] == "housing-db"
    assert tenants["title"] == "tenants"
    columns = {c["name"]: c for c in tenants["columns"]}
    assert list(columns) == ["id", "forename", "surname", "date_of_birth", "postcode"]
    assert "PRIMARY KEY" in columns["id"]["type"]
    assert columns["forename"]["type"].endswith("NOT NULL")
    assert columns["postcode"]["type"].upper().startswith("VARCHAR(8)")
    if source.backend == "postgres":  # the database's own comments
        assert tenants["description"] == "Everyone who holds a council tenancy"
        assert columns["postcode"]["description"] == "Postcode of the tenancy"
    # Tables are fed by their source system; the view joining three tables by all three.
    assert record(catalogue, "housing-db")["kind"] == "source_system"
    assert upstream(run, key + "tenants") == {"housing-db"}
    assert upstream(run, key + "rent_account") == {
        "housing-db",
        key + "tenants",
        key + "rents",
        key + "properties",
    }
    # A view over a view, column by column.
    assert upstream(run, key + "ward_income") == {"housing-db", key + "rent_account"}
    assert column_sources(catalogue, key + "ward_income", p + "ward_income", "income") == {
        (key + "rent_account", "paid")
    }
    assert column_sources(catalogue, key + "rent_account", p + "rent_account", "paid") == {
        (key + "rents", "amount")
    }
    # The lineage trace reaches the source system through the views.
    trace = run("lineage", "trace", key + "ward_income", "--format", "json")
    assert "housing-db" in trace.output and key + "tenants" in trace.output
    if source.backend == "postgres":
        assert upstream(run, "housing-db.social_care.known_tenants") == {
            "housing-db",
            "housing-db.social_care.cases",
            "housing-db.housing.tenants",
        }
        assert upstream(run, key + "arrears_snapshot") == {"housing-db", key + "rents"}


def test_second_harvest_of_an_unchanged_source_changes_nothing(run: Runner, source: Source) -> None:
    assert harvest(run, source).exit_code == 0
    before = head(run)
    again = harvest(run, source, "--format", "json")
    assert again.exit_code == 0
    report = json.loads(again.stdout)["sources"][0]
    assert (report["created"], report["changed"], report["retired"], report["changes"]) == (
        0,
        0,
        0,
        0,
    )
    assert head(run) == before


def test_drift_is_exactly_the_changes_and_curated_fields_survive(
    run: Runner, source: Source, catalogue: Catalogue
) -> None:
    assert harvest(run, source).exit_code == 0
    key = f"housing-db.{source.prefix}"
    with catalogue.write("aisha.begum") as writer:  # a steward curates the register
        current = assets.get(writer, key + "tenants")
        columns = [{**c, "personal": c["name"] == "forename"} for c in current["columns"]]
        assets.update(
            writer,
            key + "tenants",
            {
                "title": "Council tenants",
                "description": "Who holds a tenancy, kept by Housing Services.",
                "owner": "Head of Housing",
                "classification": "OFFICIAL-SENSITIVE",
                "access": "restricted",
                "department": "Housing",
                "personal_data": True,
                "lawful_basis": "public_task",
                "tags": ["tenancy"],
                "columns": columns,
            },
        )
    source.drift()
    result = harvest(run, source, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["sources"][0]
    assert report["retired_keys"] == [key + "void_properties"]
    assert key + "tenants" in report["changed_keys"]
    assert key + "rents" in report["changed_keys"]

    tenants = record(catalogue, key + "tenants")
    assert [c["name"] for c in tenants["columns"]] == [
        "id", "forename", "family_name", "date_of_birth", "postcode",
    ]  # fmt: skip
    assert {c["name"] for c in tenants["columns"] if c["personal"]} == {"forename"}
    for field, value in {
        "title": "Council tenants",
        "description": "Who holds a tenancy, kept by Housing Services.",
        "owner": "Head of Housing",
        "classification": "OFFICIAL-SENSITIVE",
        "access": "restricted",
        "lawful_basis": "public_task",
        "tags": ["tenancy"],
    }.items():
        assert tenants[field] == value, field

    # A renamed column is one change in the history, a schema change by the harvest.
    schema_changes = [
        c for c in history(catalogue, key + "tenants") if c["action"] == "asset.schema_change"
    ]
    assert len(schema_changes) == 1
    assert schema_changes[0]["actor"] == "test-steward"
    assert {c["name"] for c in schema_changes[0]["after"]["columns"]} - {
        c["name"] for c in schema_changes[0]["before"]["columns"]
    } == {"family_name"}
    rents = history(catalogue, key + "rents")
    assert [c["action"] for c in rents if c["action"].startswith("asset.")] == [
        "asset.create",
        "asset.schema_change",
    ]
    # The view still reads the renamed column: its column lineage follows. (PostgreSQL
    # keeps the view's column name; SQLite renames it in the view as well.)
    view_column = "surname" if source.backend == "postgres" else "family_name"
    assert column_sources(
        catalogue, key + "rent_account", source.prefix + "rent_account", view_column
    ) == {(key + "tenants", "family_name")}
    # A dropped table is retired, never deleted; its lineage history is kept.
    void = record(catalogue, key + "void_properties")
    assert void["status"] == "retired"
    assert [c["action"] for c in history(catalogue, key + "void_properties")][-1] == "asset.retire"
    assert "housing-db" in run("lineage", "upstream", key + "void_properties").output
    if source.backend == "postgres":
        cases = record(catalogue, "housing-db.social_care.cases")
        assert {c["name"]: c["type"] for c in cases["columns"]}["opened"].startswith("TIMESTAMP")
    # And a third harvest finds nothing more to do.
    before = head(run)
    assert harvest(run, source).exit_code == 0
    assert head(run) == before


def test_dry_run_lists_what_would_change_and_writes_nothing(run: Runner, source: Source) -> None:
    before = head(run)
    result = harvest(run, source, "--dry-run")
    assert result.exit_code == 0
    assert f"would be created  housing-db.{source.prefix}tenants" in result.output
    assert "Dry run: nothing was written." in result.output
    assert head(run) == before
    assert run("show", "housing-db").exit_code == 1


def test_include_and_exclude_choose_tables(run: Runner, source: Source) -> None:
    result = harvest(
        run, source, "--include", "r*", "--exclude", "rent_account", "--format", "json"
    )
    created = json.loads(result.stdout)["sources"][0]["created_keys"]
    assert created == ["housing-db", f"housing-db.{source.prefix}rents"]


def test_the_history_page_shows_a_schema_change_column_by_column(
    run: Runner, source: Source, catalogue: Catalogue, settings: Any
) -> None:
    from catalogue import create_app

    assert harvest(run, source).exit_code == 0
    key = f"housing-db.{source.prefix}tenants"
    with catalogue.write("aisha.begum") as writer:  # open, so anyone may read the page
        assets.update(writer, key, {"access": "open"})
    source.drift()
    assert harvest(run, source).exit_code == 0
    app = create_app(settings)
    try:
        page = app.test_client().get(f"/assets/{key}/history")
        text = page.get_data(as_text=True)
    finally:
        app.extensions["catalogue"].close()
    assert page.status_code == 200
    assert "Schema change" in text
    assert "Column added: family_name" in text
    assert "Column dropped: surname" in text


def test_progress_lines_when_piped_and_a_summary_table(run: Runner, source: Source) -> None:
    result = harvest(run, source)
    found = 6 if source.backend == "sqlite" else 9
    assert f"Harvesting: {found} of {found}" in result.stderr  # plain lines: not a terminal
    table = result.stdout.splitlines()
    header = next(line for line in table if line.startswith("SOURCE"))
    assert header.split()[1:] == ["CREATED", "CHANGED", "UNCHANGED", "RETIRED", "FLAGGED", "FAILED"]
    row = table[table.index(header) + 1].split()
    assert row[1:] == [str(found + 1), "0", "0", "0", row[5], "0"]
    assert int(row[5]) >= 4  # forename, surname, date of birth, postcode at least


def test_a_redefined_view_is_read_again_and_its_lineage_follows(
    run: Runner, source: Source, catalogue: Catalogue
) -> None:
    assert harvest(run, source).exit_code == 0
    key = f"housing-db.{source.prefix}"
    view = "ward_income" if source.backend == "sqlite" else "housing.ward_income"
    source.run_sql(
        f"DROP VIEW {view}; CREATE VIEW {view} AS "
        f"SELECT ward, COUNT(uprn) AS income FROM {source.prefix}properties GROUP BY ward"
    )
    assert harvest(run, source).exit_code == 0
    assert upstream(run, key + "ward_income") == {"housing-db", key + "properties"}
    assert column_sources(
        catalogue, key + "ward_income", source.prefix + "ward_income", "income"
    ) == {(key + "properties", "uprn")}


def test_harvested_assets_are_found_by_search_like_any_other(run: Runner, source: Source) -> None:
    assert harvest(run, source, "--department", "Housing").exit_code == 0
    found = json.loads(run("search", "tenants", "--format", "json").stdout)
    keys = [hit["key"] for hit in found["hits"]]
    assert f"housing-db.{source.prefix}tenants" in keys
    listed = json.loads(run("list", "--department", "Housing", "--format", "json").stdout)
    assert f"housing-db.{source.prefix}tenants" in {a["key"] for a in listed}


def test_staff_find_a_harvested_table_by_the_words_of_its_name(
    run: Runner, source: Source, catalogue: Catalogue, settings: Any
) -> None:
    """Staff typing "rent account" find the view rent_account, and "date of birth" the table
    whose column is date_of_birth: identifiers are split into words (#15)."""
    assert harvest(run, source).exit_code == 0
    key = f"housing-db.{source.prefix}"
    with catalogue.write("aisha.begum") as writer:
        for name in ("rent_account", "tenants"):
            assets.update(writer, key + name, {"access": "open"})
    app = create_app(settings)
    try:
        client = app.test_client()
        rent = client.get("/api/v1/search?q=rent+account").json
        birth = client.get("/api/v1/search?q=date+of+birth").json
    finally:
        app.extensions["catalogue"].close()
    assert rent["hits"][0]["key"] == key + "rent_account"
    assert key + "tenants" in [hit["key"] for hit in birth["hits"]]
    typed = json.loads(run("search", "rent account", "--format", "json").stdout)
    assert typed["hits"][0]["key"] == key + "rent_account"


def test_columns_a_person_changed_come_back_from_an_unchanged_source(
    run: Runner, source: Source, catalogue: Catalogue
) -> None:
    """An unchanged PostgreSQL table is not read again, unless someone changed
    its asset since the last harvest: the harvest owns the columns, so the next
    harvest puts them back as the source has them (#15)."""
    assert harvest(run, source).exit_code == 0
    key = f"housing-db.{source.prefix}rents"
    harvested = record(catalogue, key)["columns"]
    with catalogue.write("aisha.begum") as writer:
        assets.update(writer, key, {"columns": [{"name": "amount", "type": "text"}]})
    assert harvest(run, source).exit_code == 0
    restored = record(catalogue, key)["columns"]
    assert [(c["name"], c["type"]) for c in restored] == [(c["name"], c["type"]) for c in harvested]
    assert [h["action"] for h in history(catalogue, key)][-1] == "asset.schema_change"
    again = json.loads(harvest(run, source, "--format", "json").stdout)["sources"][0]
    assert again["changes"] == 0

"""`catalogue import dbt`: the jaffle_shop manifest becomes datasets, pipelines and
lineage, and gives the same lineage as the jaffle_shop OpenLineage events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask

from catalogue.config import load_settings
from catalogue.store import Catalogue
from tests.api.conftest import Tokens, _app
from tests.api.ol_events import read_events
from tests.conftest import shared_data

NAMESPACE = "postgres://postgres:5432"
JOBS = "dbt-test-namespace"
MANIFEST = ("dbt", "jaffle_shop_postgres_dbt1.8.2_manifest.json")


def import_manifest(run: Any, *extra: str) -> Any:
    manifest = str(shared_data(*MANIFEST))
    return run("import", "dbt", manifest, "--namespace", NAMESPACE, "--job-namespace", JOBS, *extra)


def edges_of(cat: Catalogue) -> set[tuple[str, str]]:
    """Every current (upstream, downstream) pair of the catalogue's graph."""
    graph = cat.graph()
    return {(h.key, key) for key in graph.asset_keys() for h in graph.upstream(key, depth=1)}


def kinds_of(cat: Catalogue) -> dict[str, str]:
    graph = cat.graph()
    return {key: graph.node(key)["kind"] for key in graph.asset_keys()}


def test_import_registers_datasets_pipelines_and_lineage(run: Any, cat: Catalogue) -> None:
    result = import_manifest(run)
    assert result.exit_code == 0, result.output
    assert "19 assets registered" in result.output  # 18 and the database they live in
    kinds = kinds_of(cat)
    datasets = sorted(k for k, v in kinds.items() if v == "dataset")
    assert datasets == [
        f"postgres-postgres-5432.postgres.{name}"
        for name in (
            "public.customers",
            "public.orders",
            "public.raw_customers",
            "public.raw_orders",
            "public.raw_payments",
            "public.stg_customers",
            "public.stg_orders",
            "public.stg_payments",
            "snapshots.orders_snapshot",
        )
    ]
    assert sum(1 for v in kinds.values() if v == "pipeline") == 9
    with cat.read() as session:
        from catalogue.services.assets import get_asset
        from catalogue.services.records import asset_record

        customers = asset_record(get_asset(session, datasets[0]))
    assert customers["description"].startswith("This table has basic information about a customer")
    assert len(customers["columns"]) == 7
    assert customers["columns"][0]["description"] == "This is a unique identifier for a customer"
    upstream = {h.key for h in cat.graph().upstream(datasets[0], depth=2)}
    assert f"{JOBS}.model.jaffle_shop.customers" in upstream
    assert "postgres-postgres-5432.postgres.public.stg_payments" in upstream


def test_importing_again_changes_nothing(run: Any, cat: Catalogue) -> None:
    assert import_manifest(run).exit_code == 0
    again = import_manifest(run, "--format", "json")
    assert again.exit_code == 0
    outcome = json.loads(again.output)
    assert outcome["created"] == outcome["updated"] == []
    assert outcome["edges_added"] == outcome["edges_ended"] == 0


def test_a_file_that_is_not_a_manifest_is_refused(run: Any, tmp_path: Path) -> None:
    not_manifest = tmp_path / "manifest.json"
    not_manifest.write_text("[1, 2, 3]")
    result = run("import", "dbt", str(not_manifest))
    assert result.exit_code == 1
    assert "is not a dbt manifest" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert run("import", "dbt", str(broken)).exit_code == 1
    assert run("import", "dbt", str(tmp_path / "missing.json")).exit_code == 2


def test_manifest_and_events_give_the_same_lineage(
    run: Any, cat: Catalogue, make_database: Any, tmp_path: Path
) -> None:
    """One catalogue imports the manifest, another receives the dbt build's
    OpenLineage events; between the manifest's datasets and jobs, the lineage is
    the same, except what the build never ran (the events say so themselves)."""
    assert import_manifest(run).exit_code == 0
    from_manifest = edges_of(cat)

    other: Flask = _app(
        load_settings({"instance_path": tmp_path / "events", "database_url": make_database()})
    )
    try:
        secret = Tokens(other.extensions["catalogue"]).secret("dbt", "steward", "Data")
        headers = {"Authorization": f"Bearer {secret}"}
        events = read_events(shared_data("openlineage", "jaffle-shop-dbt-build.ndjson"))
        client = other.test_client()
        for event in events:
            response = client.post("/api/v1/lineage", json=event, headers=headers)
            assert response.status_code == 201, response.json
        from_events = edges_of(other.extensions["catalogue"])
    finally:
        other.extensions["catalogue"].close()

    manifest_nodes = {key for pair in from_manifest for key in pair}
    shared = {(a, b) for a, b in from_events if a in manifest_nodes and b in manifest_nodes}
    ran = {e["job"]["name"] for e in events}
    never_ran = {f"{JOBS}.{name}" for name in ("model.jaffle_shop.orders",) if name not in ran}
    assert never_ran == {f"{JOBS}.model.jaffle_shop.orders"}  # the build stopped before it
    expected = {(a, b) for a, b in from_manifest if a not in never_ran and b not in never_ran}
    assert shared == expected
    # 3 edges run through orders' job; 9 say which datasets live in the database (#14)
    assert (len(from_manifest), len(shared)) == (27, 24)

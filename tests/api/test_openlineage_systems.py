"""OpenLineage-fed data answers the questions hand-registered data does: a
namespace is the source system its datasets live in ("what breaks if this
database goes down"), a COMPLETE run says when its outputs were last updated,
and a viewer may not post events even when the event would change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from catalogue.store import Catalogue
from tests.api.conftest import Tokens, change_count
from tests.api.ol_events import read_events
from tests.api.test_openlineage import FOOD, post_all
from tests.conftest import Runner, shared_data


@pytest.fixture
def etl_headers(tokens_for: Tokens) -> dict[str, str]:
    return tokens_for.headers("etl.pipelines", "steward", "Data & Analytics")


@pytest.fixture
def food(client: FlaskClient, etl_headers: dict[str, str]) -> list[dict[str, Any]]:
    events = read_events(shared_data("openlineage", "food-delivery.ndjson"))
    post_all(client, etl_headers, events)
    return events


def test_a_namespace_is_a_source_system_and_downstream_can_be_asked(
    food: list[dict], client: FlaskClient, etl_headers: dict[str, str], run: Runner
) -> None:
    system = client.get(f"/api/v1/assets/{FOOD}", headers=etl_headers)
    assert system.status_code == 200
    assert (system.json["kind"], system.json["title"]) == ("source_system", FOOD)
    orders = client.get(f"/api/v1/assets/{FOOD}.public.orders_7_days", headers=etl_headers).json
    assert orders["source_system"] == FOOD
    result = run("lineage", "downstream", FOOD, "--format", "json")
    assert result.exit_code == 0, result.output
    reached = {row["key"] for row in json.loads(result.output)}
    in_events = {
        f"{FOOD}.{d['name']}"
        for e in food
        for d in (e.get("inputs") or []) + (e.get("outputs") or [])
        if d["namespace"] == FOOD
    }
    assert len(in_events) > 10 and in_events <= reached
    assert f"{FOOD}.public.popular_orders_day_of_week" in reached


def test_the_same_events_again_add_no_system(
    food: list[dict], client: FlaskClient, etl_headers: dict[str, str], cat: Catalogue
) -> None:
    before = change_count(cat)
    outcomes = post_all(client, etl_headers, food)
    assert change_count(cat) == before
    assert not any(o["created"] or o["edges_added"] or o["updated"] for o in outcomes)


def _run_event(kind: str, when: str) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": when,
        "run": {"runId": "0190b7c0-1f2e-7a3b-8c4d-5e6f7a8b9c0d"},
        "job": {"namespace": "council-etl", "name": "housing.load_rents"},
        "inputs": [{"namespace": "postgres://db1:5432", "name": "housing.public.tenancies"}],
        "outputs": [{"namespace": "postgres://dw:5432", "name": "dw.mart.rent_arrears"}],
    }


def test_a_complete_run_says_when_its_outputs_were_updated(
    client: FlaskClient, etl_headers: dict[str, str]
) -> None:
    url = "/api/v1/assets/postgres-dw-5432.dw.mart.rent_arrears"
    post_all(client, etl_headers, [_run_event("START", "2026-03-01T02:00:00Z")])
    assert client.get(url, headers=etl_headers).json["last_updated"] is None
    post_all(client, etl_headers, [_run_event("COMPLETE", "2026-03-01T02:10:00Z")])
    assert client.get(url, headers=etl_headers).json["last_updated"] == "2026-03-01"
    tenancies = "/api/v1/assets/postgres-db1-5432.housing.public.tenancies"
    assert client.get(tenancies, headers=etl_headers).json["last_updated"] is None  # only read
    # A late COMPLETE of an older run does not make the data look older.
    late = _run_event("COMPLETE", "2026-02-01T02:10:00Z")
    late["run"]["runId"] = "0190b7c0-1f2e-7a3b-8c4d-5e6f7a8b9c0e"
    post_all(client, etl_headers, [late])
    assert client.get(url, headers=etl_headers).json["last_updated"] == "2026-03-01"


@pytest.mark.parametrize("role", ["viewer", "auditor"])
def test_viewers_and_auditors_may_not_post_events_even_unchanged_ones(
    client: FlaskClient, etl_headers: dict[str, str], tokens_for: Tokens, cat: Catalogue, role: str
) -> None:
    event = _run_event("COMPLETE", "2026-03-01T02:10:00Z")
    post_all(client, etl_headers, [event])
    before = change_count(cat)
    headers = tokens_for.headers(f"someone.{role}", role, "Data & Analytics")
    response = client.post("/api/v1/lineage", json=event, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "stewards" in response.json["detail"]
    assert change_count(cat) == before

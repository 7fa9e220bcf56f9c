"""OpenLineage in: the unmodified openlineage-python client posting to a live
server, the graph checked against what the events themselves say, column
lineage, re-delivery, validation, gzip, and Marquez's read API."""

from __future__ import annotations

import gzip
import json
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from openlineage.client import OpenLineageClient
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.openlineage_names import suggested_key
from catalogue.store import Catalogue
from tests.api.conftest import Tokens, change_count
from tests.api.ol_events import client_event, dataset_lineage, read_events
from tests.conftest import shared_data

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

PROBLEM = "application/problem+json"
FOOD = "food_delivery"
TARGET = (FOOD, "public.popular_orders_day_of_week")


def post_all(client: FlaskClient, headers: dict[str, str], events: list[dict]) -> list[dict]:
    out = []
    for event in events:
        response = client.post("/api/v1/lineage", json=event, headers=headers)
        assert response.status_code == 201, response.json
        out.append(response.json)
    return out


def upstream_datasets(pairs: set, start: tuple[str, str]) -> dict[tuple[str, str], int]:
    """Dataset hops upstream of ``start`` in (input, output) pairs, breadth first."""
    feeds: dict[tuple[str, str], set] = {}
    for source, target in pairs:
        feeds.setdefault(target, set()).add(source)
    hops, queue = {}, deque([(start, 0)])
    while queue:
        node, depth = queue.popleft()
        for source in feeds.get(node, ()):
            if source not in hops and source != start:
                hops[source] = depth + 1
                queue.append((source, depth + 1))
    return hops


@pytest.fixture
def etl(tokens_for: Tokens) -> str:
    """The API token of the pipelines' account: a steward of Data & Analytics."""
    return tokens_for.secret("etl.pipelines", "steward", "Data & Analytics")


@pytest.fixture
def fed(live: str, etl: str, cat: Catalogue) -> list[dict[str, Any]]:
    """The food-delivery events, sent by the real client (HttpTransport, api_key)."""
    events = read_events(shared_data("openlineage", "food-delivery.ndjson"))
    config = HttpConfig(url=live, auth=ApiKeyTokenProvider({"apiKey": etl}))
    sender = OpenLineageClient(transport=HttpTransport(config))
    for event in events:
        sender.emit(client_event(event))
    return events


def test_the_client_feeds_the_graph_the_events_describe(
    fed: list[dict], client: FlaskClient, etl: str
) -> None:
    expected = upstream_datasets(dataset_lineage(fed), TARGET)
    assert len(expected) == 11 and max(expected.values()) == 4  # what the events say
    key = suggested_key(*TARGET)
    assert key == "food_delivery.public.popular_orders_day_of_week"
    headers = {"Authorization": f"Bearer {etl}"}
    rows = client.get(f"/api/v1/assets/{key}/upstream", headers=headers).json["items"]
    datasets = {r["key"]: r["hops"] for r in rows if r["kind"] == "dataset"}
    # input → job → output: each dataset hop is two edges of the catalogue's graph.
    assert datasets == {suggested_key(*name): 2 * hops for name, hops in expected.items()}
    jobs = {r["key"] for r in rows if r["kind"] == "pipeline"}
    assert f"{FOOD}.orders_popular_day_of_week" in jobs and f"{FOOD}.etl_orders" in jobs


def test_facets_fill_the_assets(fed: list[dict], client: FlaskClient, etl: str) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    orders = client.get(f"/api/v1/assets/{FOOD}.public.delivery_7_days", headers=headers).json
    assert orders["kind"] == "dataset" and orders["title"] == "public.delivery_7_days"
    assert orders["description"] == "A table for weekly deliveries."
    assert orders["location"] == f"{FOOD}/public.delivery_7_days"
    assert orders["department"] == "Data & Analytics" and orders["access"] == "internal"
    assert "order_dispatched_on" in [c["name"] for c in orders["columns"]]
    job = client.get(f"/api/v1/assets/{FOOD}.etl_delivery_7_days", headers=headers).json
    assert job["kind"] == "pipeline" and job["description"] == "Loads new deliveries for the week."
    assert job["created_at"].startswith("2020-02-22T22:00:00")


def test_column_lineage_of_a_field(fed: list[dict], client: FlaskClient, etl: str) -> None:
    node = f"datasetField:{FOOD}:public.delivery_7_days:order_dispatched_on"
    response = client.get(
        f"/api/v1/column-lineage?nodeId={quote(node)}&depth=1",
        headers={"Authorization": f"Bearer {etl}"},
    )
    assert response.status_code == 200
    nodes = {n["id"]: n for n in response.json["graph"]}
    sources = {
        (i["namespace"], i["dataset"], i["field"]) for i in nodes[node]["data"]["inputFields"]
    }
    assert sources == {(FOOD, "public.order_status", "transitioned_at")}
    assert nodes[node]["inEdges"] == [
        {"origin": f"datasetField:{FOOD}:public.order_status:transitioned_at", "destination": node}
    ]
    anonymous = client.get(f"/api/v1/column-lineage?nodeId={quote(node)}")
    assert anonymous.status_code == 404  # an internal dataset's columns are not public
    assert "order_dispatched_on" not in anonymous.get_data(as_text=True)


def _detail(response: Any) -> str:
    return response.json["detail"]


@pytest.mark.parametrize("route", ["lineage", "column-lineage"])
def test_a_hidden_dataset_is_answered_as_an_unknown_one(
    fed: list[dict], client: FlaskClient, etl: str, cat: Catalogue, tokens_for: Tokens, route: str
) -> None:
    """Anonymous callers may not see internal datasets, nor a viewer of another
    department a restricted one: both get the 404 of a name that does not exist,
    in the same words, and nothing of the dataset's columns or key."""
    key = f"{FOOD}.public.delivery_7_days"
    with cat.write(operator("ig@thamesbury.gov.uk")) as writer:
        assets.update(writer, key, {"access": "restricted"})
    viewer = tokens_for.headers("ahmed.khan", "viewer", "Housing")
    callers = {
        "anonymous": ({}, f"{FOOD}:public.order_status"),  # internal
        "viewer": (viewer, f"{FOOD}:public.delivery_7_days"),  # restricted
    }
    for who, (headers, dataset) in callers.items():
        asked = [f"dataset:{dataset}", f"dataset:{FOOD}:public.no_such_table"]
        if route == "column-lineage":
            asked = [f"datasetField:{dataset}:id", f"datasetField:{FOOD}:public.no_such_table:id"]
        hidden, missing = (
            client.get(f"/api/v1/{route}?nodeId={quote(node)}&depth=2", headers=headers)
            for node in asked
        )
        assert (hidden.status_code, missing.status_code) == (404, 404), who
        assert _detail(hidden) == _detail(missing).replace(
            "public.no_such_table", dataset[len(FOOD) + 1 :]
        ), who
        assert key not in hidden.get_data(as_text=True), who
    everyone = client.get(
        f"/api/v1/column-lineage?nodeId={quote(f'dataset:{FOOD}:public.delivery_7_days')}",
        headers=tokens_for.headers("peter.ng", "admin", "Digital & Data"),
    )
    assert everyone.status_code == 200 and everyone.json["graph"]


def test_column_lineage_downstream_and_of_a_whole_dataset(
    fed: list[dict], client: FlaskClient, etl: str
) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    node = quote(f"datasetField:{FOOD}:public.order_status:transitioned_at")
    down = client.get(
        f"/api/v1/column-lineage?nodeId={node}&depth=1&withDownstream=true", headers=headers
    ).json["graph"]
    fed_fields = {n["id"].rsplit(":", 1)[1] for n in down if "delivery_7_days" in n["id"]}
    assert {"order_dispatched_on", "order_delivered_on"} <= fed_fields
    whole = client.get(
        f"/api/v1/column-lineage?nodeId={quote(f'dataset:{FOOD}:public.delivery_7_days')}&depth=1",
        headers=headers,
    ).json["graph"]
    assert len({n["id"] for n in whole if "delivery_7_days" in n["id"]}) >= 13


def test_redelivering_the_events_changes_nothing(
    fed: list[dict], client: FlaskClient, etl: str, cat: Catalogue
) -> None:
    before = change_count(cat)
    outcomes = post_all(client, {"Authorization": f"Bearer {etl}"}, fed)
    assert change_count(cat) == before
    assert all(
        not o["created"]
        and not o["updated"]
        and not o["edges_added"]
        and not o["edges_ended"]
        and not o["column_lineage"]
        for o in outcomes
    )


def test_marquez_lineage_graph(fed: list[dict], client: FlaskClient, etl: str) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    node = f"job:{FOOD}:etl_delivery_7_days"
    graph = client.get(f"/api/v1/lineage?nodeId={quote(node)}&depth=1", headers=headers).json
    nodes = {n["id"]: n for n in graph["graph"]}
    assert nodes[node]["type"] == "JOB"
    origins = {e["origin"] for e in nodes[node]["inEdges"]}
    assert origins == {
        f"dataset:{FOOD}:public.{t}"
        for t in ("orders_7_days", "customers", "order_status", "drivers", "restaurants")
    }
    assert [e["destination"] for e in nodes[node]["outEdges"]] == [
        f"dataset:{FOOD}:public.delivery_7_days"
    ]
    output = nodes[f"dataset:{FOOD}:public.delivery_7_days"]
    assert output["type"] == "DATASET" and output["data"]["fields"]
    whole = client.get(
        f"/api/v1/lineage?nodeId={quote('dataset:' + ':'.join(TARGET))}&depth=20", headers=headers
    ).json["graph"]
    assert sum(1 for n in whole if n["type"] == "DATASET") == 12  # itself and its 11 sources


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("nodeId=dataset:food_delivery:public.nothing", 404),
        ("nodeId=table:x", 422),
        ("nodeId=dataset:", 422),
        ("", 422),
        ("nodeId=dataset:x:y&depth=many", 422),
        ("nodeId=datasetField:food_delivery:public.orders:id", 422),
    ],
)
def test_bad_marquez_queries(client: FlaskClient, etl: str, query: str, status: int) -> None:
    response = client.get(f"/api/v1/lineage?{query}", headers={"Authorization": f"Bearer {etl}"})
    assert response.status_code == status and response.mimetype == PROBLEM


def test_lineage_that_changes_over_time(client: FlaskClient, etl: str) -> None:
    """The apples: picked from another orchard later, and events out of order."""
    headers = {"Authorization": f"Bearer {etl}"}
    events = [
        e
        for p in sorted(shared_data("openlineage", "apples").glob("*.json"))
        for e in read_events(p)
    ]
    post_all(client, headers, events)
    apples = "grandmas.kitchen.apples"
    now = client.get(f"/api/v1/assets/{apples}/upstream?depth=2", headers=headers).json
    assert [r["key"] for r in now["items"] if r["hops"] == 2] == ["backyard.crab.apples"]
    then = client.get(f"/api/v1/assets/{apples}/upstream?depth=2&as_of=2020-09-10", headers=headers)
    assert [r["key"] for r in then.json["items"] if r["hops"] == 2] == [
        "laurents-orchard.red.delicious"
    ]
    before = change_count(client.application.extensions["catalogue"])
    post_all(client, headers, events[:1])  # the first picking, delivered again late
    assert change_count(client.application.extensions["catalogue"]) == before


def test_facets_fill_only_what_is_empty(client: FlaskClient, etl: str) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    soon = datetime.now(UTC) + timedelta(minutes=1)
    event = {
        "eventTime": soon.isoformat(),
        "producer": "https://example.org/test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {
            "namespace": "s3://thamesbury-data",
            "name": "housing/Repairs.csv",
            "facets": {
                "documentation": {"description": "Repairs raised"},
                "ownership": {"owners": [{"name": "team:housing-repairs", "type": "MAINTAINER"}]},
                "schema": {"fields": [{"name": "job_ref", "type": "string"}]},
            },
        },
    }
    first = client.post("/api/v1/lineage", json=event, headers=headers)
    assert first.status_code == 201
    key = first.json["created"][0]
    assert key == "s3-thamesbury-data.housing-repairs.csv"
    url = f"/api/v1/assets/{key}"
    record = client.get(url, headers=headers).json
    assert (record["description"], record["owner"]) == ("Repairs raised", "team:housing-repairs")
    assert (
        client.patch(
            url,
            json={"description": "Said by a steward"},
            headers={**headers, "If-Match": f'"{record["version"]}"'},
        ).status_code
        == 200
    )
    event["eventTime"] = (soon + timedelta(minutes=1)).isoformat()  # after the steward's edit
    event["dataset"]["facets"]["documentation"]["description"] = "Repairs (new)"
    event["dataset"]["facets"]["schema"]["fields"].append({"name": "cost", "type": "decimal"})
    second = client.post("/api/v1/lineage", json=event, headers=headers)
    assert second.json["updated"] == [key]
    record = client.get(url, headers=headers).json
    assert record["description"] == "Said by a steward"
    assert [c["name"] for c in record["columns"]] == ["job_ref", "cost"]


def test_a_job_event_states_the_jobs_lineage(client: FlaskClient, etl: str) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    job = {"namespace": "council-etl", "name": "housing.load_rents"}
    event = {
        "eventTime": "2026-03-01T02:00:00Z",
        "job": job,
        "inputs": [{"namespace": "postgres://db1:5432", "name": "housing.public.tenancies"}],
        "outputs": [{"namespace": "postgres://dw:5432", "name": "dw.mart.rent_arrears"}],
    }
    created = client.post("/api/v1/lineage", json=event, headers=headers).json
    assert created["edges_added"] == 4  # input → job → output, and each database → its table
    assert "postgres-db1-5432.housing.public.tenancies" in created["created"]
    event["eventTime"] = "2026-03-02T02:00:00Z"
    event["inputs"] = [{"namespace": "postgres://db1:5432", "name": "housing.public.leases"}]
    changed = client.post("/api/v1/lineage", json=event, headers=headers).json
    assert (changed["edges_added"], changed["edges_ended"]) == (2, 1)


BASE_EVENT = {
    "eventType": "START",
    "eventTime": "2026-03-01T02:00:05.123Z",
    "run": {"runId": "0190b7c0-1f2e-7a3b-8c4d-5e6f7a8b9c0d"},
    "job": {"namespace": "council-etl", "name": "housing.load_rents"},
    "producer": "https://example.org/etl",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
}


def _without(name: str) -> dict:
    return {k: v for k, v in BASE_EVENT.items() if k != name}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (_without("eventTime"), "eventTime"),
        ({**BASE_EVENT, "eventTime": "yesterday"}, "eventTime"),
        ({**BASE_EVENT, "eventType": "DONE"}, "eventType"),
        ({**BASE_EVENT, "run": {"runId": "run-42"}}, "run.runId"),
        ({**BASE_EVENT, "run": {}}, "run.runId"),
        (_without("job"), "job"),
        ({**BASE_EVENT, "job": {"namespace": "x"}}, "job.name"),
        ({"eventTime": "2026-01-01T00:00:00Z", "producer": "x"}, "_schema"),
        ({**BASE_EVENT, "inputs": {"namespace": "a"}}, "inputs"),
        ({**BASE_EVENT, "outputs": [{"name": "x"}]}, "outputs.0.namespace"),
        (
            {
                **BASE_EVENT,
                "outputs": [
                    {
                        "namespace": "a",
                        "name": "b",
                        "facets": {"schema": {"fields": [{"type": "int"}]}},
                    }
                ],
            },
            "outputs.0.facets.schema.fields.0.name",
        ),
        (
            {
                **BASE_EVENT,
                "outputs": [
                    {
                        "namespace": "a",
                        "name": "b",
                        "facets": {
                            "columnLineage": {
                                "fields": {"c": {"inputFields": [{"namespace": "a"}]}}
                            }
                        },
                    }
                ],
            },
            "outputs.0.facets.columnLineage.fields.c.value.inputFields.0.name",
        ),
    ],
)
def test_invalid_events_are_400_with_the_reason(
    client: FlaskClient, etl: str, event: dict, field: str
) -> None:
    response = client.post(
        "/api/v1/lineage", json=event, headers={"Authorization": f"Bearer {etl}"}
    )
    assert response.status_code == 400
    assert response.mimetype == PROBLEM
    assert field in response.json["errors"], response.json
    assert response.json["title"] == "Invalid OpenLineage event"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"{not json", {}),
        (b"[]", {}),
        (b"", {}),
        (b"\x1f\x8b\x08\x00broken", {"Content-Encoding": "gzip"}),
        (gzip.compress(b"{}", mtime=0)[:-6], {"Content-Encoding": "gzip"}),
        (b"{}", {"Content-Encoding": "br"}),
    ],
)
def test_unreadable_bodies_are_400(
    client: FlaskClient, etl: str, body: bytes, headers: dict
) -> None:
    response = client.post(
        "/api/v1/lineage",
        data=body,
        headers={"Authorization": f"Bearer {etl}", "Content-Type": "application/json", **headers},
    )
    assert response.status_code == 400 and response.mimetype == PROBLEM


def test_gzip_events_and_the_client_with_compression(
    live: str, client: FlaskClient, etl: str
) -> None:
    body = gzip.compress(json.dumps(BASE_EVENT).encode())
    response = client.post(
        "/api/v1/lineage",
        data=body,
        headers={
            "Authorization": f"Bearer {etl}",
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 201 and response.json["created"]
    config = HttpConfig(url=live, auth=ApiKeyTokenProvider({"apiKey": etl}), compression="gzip")
    event = read_events(shared_data("openlineage", "food-delivery.ndjson"))[0]
    OpenLineageClient(transport=HttpTransport(config)).emit(client_event(event))
    headers = {"Authorization": f"Bearer {etl}"}
    assert client.get(f"/api/v1/assets/{FOOD}.public.menus", headers=headers).status_code == 200


def test_writing_lineage_needs_a_token_that_may_write(
    client: FlaskClient, tokens_for: Tokens
) -> None:
    assert client.post("/api/v1/lineage", json=BASE_EVENT).status_code == 401
    viewer = tokens_for.headers("ahmed.khan", "viewer", "Housing")
    assert client.post("/api/v1/lineage", json=BASE_EVENT, headers=viewer).status_code == 403
    bad = client.post("/api/v1/lineage", json=BASE_EVENT, headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    "name",
    [
        "marquez_event_simple.json",
        "marquez_event_full.json",
        "marquez_event_large.json",
        "client_python_example_full_event.json",
        "spec_example_full_event.json",
    ],
)
def test_the_spec_and_marquez_examples_are_accepted(
    client: FlaskClient, etl: str, name: str
) -> None:
    event = json.loads(Path(shared_data("openlineage", "examples", name)).read_text())
    response = client.post(
        "/api/v1/lineage", json=event, headers={"Authorization": f"Bearer {etl}"}
    )
    assert response.status_code == 201, response.json
    assert response.json["created"]


def test_keys_are_readable_and_distinct() -> None:
    assert suggested_key("postgres://postgres:5432", "postgres.public.customers") == (
        "postgres-postgres-5432.postgres.public.customers"
    )
    assert suggested_key("file", "/data/Rents 2026.csv") == "file.data-rents-2026.csv"
    long = suggested_key("kafka://broker:9092", "t" * 500)
    assert len(long) <= 200 and long != suggested_key("kafka://broker:9092", "t" * 499)


def test_names_that_slug_alike_get_distinct_keys(client: FlaskClient, etl: str) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    made = []
    for name in ("Jane", "jane"):
        event = {"eventTime": "2026-01-01T00:00:00Z", "dataset": {"namespace": "ns", "name": name}}
        made += client.post("/api/v1/lineage", json=event, headers=headers).json["created"]
    assert made.pop(1) == "ns"  # the namespace's source system, made with the first
    assert made[0] == "ns.jane" and made[1].startswith("ns.jane-") and len(set(made)) == 2

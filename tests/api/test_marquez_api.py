"""Marquez's read API under /marquez/api/v1 (#19): the food-delivery events sent
by the real openlineage-python client, then every route Marquez's web UI calls,
each answer validated against the schema Marquez's own OpenAPI document gives
it (tests/data/marquez/openapi-extract.yml), and the catalogue's permissions:
what a caller may not see is absent from lists, graphs, events and search, and
404 by name."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
import yaml
from flask.testing import FlaskClient

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.api.conftest import Tokens
from tests.api.test_openlineage import FOOD, etl, fed  # noqa: F401 (fixtures)

BASE = "/marquez/api/v1"
EXTRACT = Path(__file__).parents[1] / "data" / "marquez" / "openapi-extract.yml"
PROBLEM = "application/problem+json"
JOB = "etl_delivery_7_days"
OUTPUT = "public.delivery_7_days"
HIDDEN = "public.order_status"  # made restricted in test_what_a_caller_may_not_see


@cache
def marquez_spec() -> dict[str, Any]:
    """The extract, with the two properties whose ``type:`` is left empty in
    Marquez's document (SearchResult ``name``, ``updatedAt``) read as untyped."""

    def untyped_empty(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: untyped_empty(v) for k, v in node.items() if not (k == "type" and v is None)}
        if isinstance(node, list):
            return [untyped_empty(v) for v in node]
        return node

    return untyped_empty(yaml.safe_load(EXTRACT.read_text(encoding="utf-8")))


def check(body: Any, schema_name: str) -> None:
    """Validate ``body`` against a component schema of Marquez's document.

    A lineage graph node's ``data`` is checked against the schema its
    ``discriminator`` maps the node's type to (jsonschema does not read
    discriminators; Marquez's ``Dataset`` and ``Job`` are loose enough that
    the ``oneOf`` alone would match both). The document gives column lineage
    the same ``LineageGraph`` but its ``NodeType`` lacks the ``DATASET_FIELD``
    that Marquez itself sends there: it is allowed, and such data unchecked.
    ``FacetsResult`` gives ``facets`` one ``CustomFacet`` where Marquez sends a
    map of them by name: each is checked as a ``CustomFacet``."""
    spec = marquez_spec()
    schemas = copy.deepcopy(spec["components"]["schemas"])
    mapping = schemas["GraphNode"]["properties"]["data"].pop("discriminator")["mapping"]
    schemas["GraphNode"]["properties"]["data"] = {"type": "object"}
    schemas["NodeType"]["enum"].append("DATASET_FIELD")
    root = {"components": {"schemas": schemas}}

    def validate(instance: Any, name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{name}", **root}
        jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
            instance
        )

    if schema_name == "FacetsResult":
        for facet in body["facets"].values():
            validate(facet, "CustomFacet")
        body = {k: v for k, v in body.items() if k != "facets"}
    validate(body, schema_name)
    if schema_name == "LineageGraph":
        for node in body["graph"]:
            if node["type"] in mapping:
                validate(node["data"], mapping[node["type"]].rsplit("/", 1)[1])
    if schema_name in ("Run", "RunList", "Job", "JobList"):
        runs = body.get("runs") or [
            r for j in body.get("jobs", [body]) for r in j.get("latestRuns", [])
        ]
        for run in runs:  # Run is anyOf(IncompleteRun, …): hold it to IncompleteRun's enum
            validate(run, "IncompleteRun")


def response_schema(path: str) -> str:
    """The schema Marquez's document gives a route's 200 answer."""
    content = marquez_spec()["paths"][path]["get"]["responses"]["200"]["content"]
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def get(client: FlaskClient, path: str, headers: dict[str, str]) -> Any:
    response = client.get(BASE + path, headers=headers)
    assert response.status_code == 200, (path, response.get_data(as_text=True))
    return response.json


def routes() -> dict[str, str]:
    """Each route of the extract, as called for the food-delivery namespace."""
    dataset = quote(OUTPUT, safe="")
    return {
        "/namespaces": "/namespaces",
        "/namespaces/{namespace}": f"/namespaces/{FOOD}",
        "/namespaces/{namespace}/jobs": f"/namespaces/{FOOD}/jobs?limit=25&offset=0",
        "/namespaces/{namespace}/jobs/{job}": f"/namespaces/{FOOD}/jobs/{JOB}",
        "/namespaces/{namespace}/jobs/{job}/runs": f"/namespaces/{FOOD}/jobs/{JOB}/runs?limit=5",
        "/namespaces/{namespace}/datasets": f"/namespaces/{FOOD}/datasets?limit=20&offset=0",
        "/namespaces/{namespace}/datasets/{dataset}": f"/namespaces/{FOOD}/datasets/{dataset}",
        "/lineage": f"/lineage?nodeId={quote(f'job:{FOOD}:{JOB}')}&depth=2",
        "/column-lineage": f"/column-lineage?nodeId={quote(f'dataset:{FOOD}:{OUTPUT}')}",
        "/events/lineage": "/events/lineage?limit=100&before=&after=&offset=0&sortDirection=desc",
        "/search": "/search?q=delivery&sort=NAME&limit=100",
    }


def test_every_route_answers_in_marquezs_shapes_what_the_events_said(
    fed: list[dict],  # noqa: F811
    client: FlaskClient,
    etl: str,  # noqa: F811
) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    for path, url in routes().items():
        check(get(client, url, headers), response_schema(path))
    names = {n["name"] for n in get(client, "/namespaces", headers)["namespaces"]}
    assert FOOD in names
    jobs = get(client, f"/namespaces/{FOOD}/jobs", headers)
    sent_jobs = {e["job"]["name"] for e in fed if e["job"]["namespace"] == FOOD}
    assert {j["name"] for j in jobs["jobs"]} == sent_jobs and jobs["totalCount"] == len(sent_jobs)
    job = get(client, f"/namespaces/{FOOD}/jobs/{JOB}", headers)
    mine = [e for e in fed if e["job"]["name"] == JOB]
    last = max(mine, key=lambda e: e["eventTime"])
    assert job["latestRun"]["id"] == last["run"]["runId"]
    assert job["latestRun"]["state"] == {"COMPLETE": "COMPLETED", "FAIL": "FAILED"}.get(
        last["eventType"], "RUNNING"
    )
    assert job["simpleName"] == JOB and {"namespace": FOOD, "name": OUTPUT} in job["outputs"]
    runs = get(client, f"/namespaces/{FOOD}/jobs/{JOB}/runs", headers)["runs"]
    assert {r["id"] for r in runs} == {e["run"]["runId"] for e in mine}
    dataset = get(client, f"/namespaces/{FOOD}/datasets/{quote(OUTPUT, safe='')}", headers)
    # A run's events add up: its START may name the outputs its COMPLETE leaves out.
    writers = {
        e["run"]["runId"] for e in fed if any(o["name"] == OUTPUT for o in e.get("outputs", []))
    }
    wrote = [
        e["eventTime"] for e in fed if e["eventType"] == "COMPLETE" and e["run"]["runId"] in writers
    ]
    assert dataset["lastModifiedAt"][:19] == max(wrote)[:19]
    assert dataset["fields"] and dataset["facets"]["schema"]["fields"]
    datasets = get(client, f"/namespaces/{FOOD}/datasets?limit=3&offset=2", headers)
    assert len(datasets["datasets"]) == 3 and datasets["totalCount"] > 5
    events = get(client, "/events/lineage?sortDirection=asc&limit=1000", headers)
    # The events themselves, as received: every one, not one per run.
    assert events["totalCount"] == len(fed)
    sent = sorted((e["run"]["runId"], e["eventType"], e["job"]["name"]) for e in fed)
    got = [(e["run"]["runId"], e["eventType"], e["job"]["name"]) for e in events["events"]]
    assert sorted(got) == sent
    times = [e["eventTime"] for e in events["events"]]
    assert times == sorted(times)
    found = get(client, "/search?q=DELIVERY_7%&filter=dataset", headers)
    assert [r["nodeId"] for r in found["results"]] == [f"dataset:{FOOD}:{OUTPUT}"]
    graph = get(client, f"/lineage?nodeId={quote(f'dataset:{FOOD}:{OUTPUT}')}&depth=1", headers)
    node = next(n for n in graph["graph"] if n["id"] == f"job:{FOOD}:{JOB}")
    assert node["data"]["latestRun"]["id"] == last["run"]["runId"]


def test_what_a_caller_may_not_see(
    fed: list[dict],  # noqa: F811
    client: FlaskClient,
    cat: Catalogue,
    tokens_for: Tokens,
) -> None:
    """A restricted dataset is absent for a viewer of another department: not
    listed, 404 by name in the words of an unknown one, not in graphs, events
    or search; an admin sees it."""
    key = f"{FOOD}.{HIDDEN}"
    with cat.write(operator("ig@thamesbury.gov.uk")) as writer:
        assets.update(writer, key, {"access": "restricted"})
    viewer = tokens_for.headers("ahmed.khan", "viewer", "Housing")
    admin = tokens_for.headers("peter.ng", "admin", "Digital & Data")
    hidden_id = f"dataset:{FOOD}:{HIDDEN}"
    for who, headers in (("viewer", viewer), ("admin", admin)):
        sees = who == "admin"
        listed = get(client, f"/namespaces/{FOOD}/datasets", headers)["datasets"]
        assert (HIDDEN in {d["name"] for d in listed}) == sees, who
        graph = get(client, f"/lineage?nodeId={quote(f'job:{FOOD}:{JOB}')}&depth=1", headers)
        assert (hidden_id in {n["id"] for n in graph["graph"]}) == sees, who
        job = get(client, f"/namespaces/{FOOD}/jobs/{JOB}", headers)
        assert ({"namespace": FOOD, "name": HIDDEN} in job["inputs"]) == sees, who
        events = get(client, "/events/lineage?limit=1000", headers)["events"]
        named = {d["name"] for e in events for d in e["inputs"] + e["outputs"]}
        assert (HIDDEN in named) == sees, who
        found = get(client, "/search?q=order_status", headers)["results"]
        assert (hidden_id in {r["nodeId"] for r in found}) == sees, who
    hidden, missing = (
        client.get(f"{BASE}/namespaces/{FOOD}/datasets/{quote(name, safe='')}", headers=viewer)
        for name in (HIDDEN, "public.no_such_table")
    )
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json["detail"] == missing.json["detail"].replace("public.no_such_table", HIDDEN)
    assert key not in hidden.get_data(as_text=True) and hidden.mimetype == PROBLEM
    anonymous = get(client, "/namespaces", {})["namespaces"]
    assert FOOD not in {n["name"] for n in anonymous}  # food_delivery is internal


def test_namespaces_with_slashes_are_taken_whole(client: FlaskClient, etl: str) -> None:  # noqa: F811
    headers = {"Authorization": f"Bearer {etl}"}
    namespace, name = "postgres://warehouse.thamesbury:5432", "finance/ctax arrears"
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-01-05T02:00:00Z",
        "run": {"runId": "1b0c5a0e-2f7d-4a52-9d8c-6b1f2a3c4d5e"},
        "job": {"namespace": "council-etl", "name": "arrears.nightly"},
        "outputs": [{"namespace": namespace, "name": name}],
        "producer": "https://github.com/council/etl",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }
    assert client.post("/api/v1/lineage", json=event, headers=headers).status_code == 201
    ns = quote(namespace, safe="")
    listed = get(client, f"/namespaces/{ns}/datasets", headers)["datasets"]
    assert [d["name"] for d in listed] == [name]
    dataset = get(client, f"/namespaces/{ns}/datasets/{quote(name, safe='')}", headers)
    assert dataset["namespace"] == namespace and dataset["lastModifiedAt"].startswith("2026-01-05")
    job = get(client, "/namespaces/council-etl/jobs/arrears.nightly", headers)
    assert job["simpleName"] == "nightly" and job["latestRun"]["state"] == "COMPLETED"
    check(job, "Job")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/namespaces/nowhere/jobs", 404),
        ("/namespaces/nowhere", 404),
        ("/namespaces/food_delivery/jobs/none", 404),
        ("/namespaces/food_delivery/jobs?limit=0", 422),
        ("/namespaces/food_delivery/datasets?offset=-1", 422),
        ("/events/lineage?before=yesterday", 422),
        ("/events/lineage?sortDirection=sideways", 422),
        ("/search", 422),
        ("/search?q=a&filter=reports", 422),
        ("/lineage?nodeId=table:x", 422),
        ("/lineage?nodeId=dataset:food_delivery:public.nothing", 404),
        ("/nowhere", 404),
    ],
)
def test_bad_requests_are_problems(
    client: FlaskClient,
    etl: str,  # noqa: F811
    url: str,
    status: int,
) -> None:
    response = client.get(BASE + url, headers={"Authorization": f"Bearer {etl}"})
    assert response.status_code == status and response.mimetype == PROBLEM, response.json
    assert response.json["detail"]


NASTY = ["", "'", "\x00", "9" * 40, "-1", "0", "[", "%", "ü", "a" * 3000, "true", "null", "{}"]


def test_no_bad_input_makes_a_500(client: FlaskClient, etl: str) -> None:  # noqa: F811
    """Every route, every parameter, the values that break careless code: an
    answer or a problem, never a 500."""
    headers = {"Authorization": f"Bearer {etl}"}
    queries = ("limit", "offset", "nodeId", "depth", "q", "filter", "sort", "before", "after")
    for value in NASTY:
        v = quote(value, safe="")
        urls = [
            f"/namespaces/{v}",
            f"/namespaces/{v}/jobs",
            f"/namespaces/{v}/jobs/{v}",
            f"/namespaces/{v}/jobs/{v}/runs",
            f"/namespaces/{v}/datasets",
            f"/namespaces/{v}/datasets/{v}",
            f"/namespaces/{v}/datasets/{v}/versions?limit={v}",
            f"/jobs/runs/{v}/facets?type={v}",
            f"/jobs/runs/{v}/facets?type=job",
            f"/stats/lineage-events?period=WEEK&timezone={v}",
            f"/stats/sources?period={v}",
            f"/jobs?lastRunStates={v}",
            f"/tags?limit={v}",
            *(f"/search?q=a&{name}={v}" for name in queries),
            *(f"/events/lineage?{name}={v}" for name in queries),
            *(f"/lineage?nodeId=dataset:a:b&{name}={v}" for name in queries),
            *(f"/namespaces/food_delivery/jobs?{name}={v}" for name in queries),
        ]
        for url in urls:
            response = client.get(BASE + url, headers=headers)
            assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])
            assert response.mimetype in ("application/json", PROBLEM), url

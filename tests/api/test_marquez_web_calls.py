"""Every request Marquez's web UI makes (#19), as listed from its source in
tests/data/marquez_web_calls.json, made against the demo catalogue fed the
food-delivery events and signed in: each call the catalogue serves answers
200 with every field the UI reads, of the type it reads, and in the shape
Marquez's OpenAPI document gives; each it does not serve (the UI's writes and
its OpenSearch beta) is a plain 404 or 405 problem, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import Tokens
from tests.api.ol_events import read_events
from tests.api.test_marquez_api import BASE, PROBLEM, check
from tests.api.test_openlineage import FOOD, post_all
from tests.conftest import shared_data

#: The dashboard's counts are of the last day and week: the test sets the clock.
pytestmark = pytest.mark.calendar

CALLS = Path(__file__).parents[1] / "data" / "marquez_web_calls.json"
JOB, DATASET = "etl_delivery_7_days", "public.delivery_7_days"
TYPES: dict[str, Any] = {
    "string": str,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
}
READ = re.compile(r"(\w*)(\?)?(\[\])?(\?)?")


def web_calls() -> list[dict[str, Any]]:
    return json.loads(CALLS.read_text(encoding="utf-8"))["calls"]


def now_event(kind: str, run_id: str, at: datetime, outputs: list[str]) -> dict[str, Any]:
    """A run event of the council's own nightly job, at ``at``."""
    return {
        "eventType": kind,
        "eventTime": at.isoformat(),
        "run": {"runId": run_id, "facets": {"nominalTime": {"nominalStartTime": at.isoformat()}}},
        "job": {"namespace": "council-etl", "name": "arrears.nightly"},
        "inputs": [],
        "outputs": [{"namespace": "council-warehouse", "name": name} for name in outputs],
        "producer": "https://github.com/council/etl",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


@pytest.fixture
def clock() -> Iterator[datetime]:
    """Half past the current hour, standing still."""
    at = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    with time_machine.travel(at, tick=False):
        yield at


@pytest.fixture
def signed_in(demo_app: Flask, clock: datetime) -> dict[str, str]:
    """The pipelines' token, after the food-delivery events and three events
    of a nightly job in the last hour (a START, a FAIL, and a COMPLETE rerun)."""
    headers = Tokens(demo_app.extensions["catalogue"]).headers(
        "etl.pipelines", "steward", "Data & Analytics"
    )
    client = demo_app.test_client()
    post_all(client, headers, read_events(shared_data("openlineage", "food-delivery.ndjson")))
    first, second = "8c1e3f00-0000-4000-8000-000000000001", "8c1e3f00-0000-4000-8000-000000000002"
    post_all(
        client,
        headers,
        [
            now_event("START", first, clock - timedelta(minutes=20), ["arrears"]),
            now_event("FAIL", first, clock - timedelta(minutes=15), []),
            now_event("COMPLETE", second, clock - timedelta(minutes=5), ["arrears"]),
        ],
    )
    return headers


def url_of(call: dict[str, Any], client: FlaskClient, headers: dict[str, str]) -> str:
    """The call's URL with the food-delivery names put in, encoded as the UI encodes them."""
    runs = client.get(f"{BASE}/namespaces/{FOOD}/jobs/{JOB}/runs", headers=headers).json
    values = {
        "namespace": FOOD,
        "job": JOB,
        "dataset": quote(DATASET, safe=""),
        "runId": runs["runs"][0]["id"],
        "jobNodeId": f"job:{FOOD}:{JOB}",
        "datasetNodeId": f"dataset:{FOOD}:{DATASET}",
        "tag": "pii",
        "field": "order_id",
    }
    return BASE + call["url"].format(**values)


def found_at(body: Any, path: str) -> list[Any]:
    """The values a read path reaches (see the fixture's ``about``). Fails when a
    field the UI reads without checking is missing."""
    values = [body]
    for part in path.split("."):
        name, optional, each, optional_after = READ.fullmatch(part).groups()  # type: ignore[union-attr]
        reached = []
        for value in values:
            if name:
                assert isinstance(value, dict), f"{path}: {name} of a {type(value).__name__}"
                if name not in value:
                    assert optional or optional_after, f"{path}: no {name!r} in {value!r:.300}"
                    continue
                value = value[name]
            if each:
                assert isinstance(value, list), f"{path}: {name} is not a list"
                reached.extend(value)
            else:
                reached.append(value)
        values = reached
    return values


def answers_what_the_ui_reads(client: FlaskClient, headers: dict, call: dict[str, Any]) -> None:
    url = url_of(call, client, headers)
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:500])
    body = response.json
    for path, kind in call["reads"].items():
        values = found_at(body, path)
        if "?" not in path:
            assert values, f"{url}: nothing at {path}: the check would prove nothing"
        wrong = [v for v in values if not of_type(v, kind)]
        assert not wrong, f"{url}: {path} should be {kind}: {wrong[:3]!r}"
    if "schema" in call:
        check(body, call["schema"])


def of_type(value: Any, kind: str) -> bool:
    return isinstance(value, TYPES[kind]) and (isinstance(value, bool) == (kind == "boolean"))


def refuses(client: FlaskClient, headers: dict, call: dict[str, Any]) -> None:
    url = url_of(call, client, headers)
    response = client.open(url, method=call["method"], headers=headers, json={})
    assert response.status_code in (404, 405), (call["method"], url, response.status_code)
    assert response.mimetype == PROBLEM and response.json["detail"], url


def test_every_call_the_ui_makes(demo_app: Flask, signed_in: dict[str, str]) -> None:
    """Each call served answers with what the UI reads; each not served is refused."""
    client = demo_app.test_client()
    calls = web_calls()
    assert len(calls) == 31 and sum(c["served"] for c in calls) == 19
    for call in calls:
        if call["served"]:
            answers_what_the_ui_reads(client, signed_in, call)
        else:
            refuses(client, signed_in, call)


def test_the_dashboard_counts_the_last_hours_events(
    demo_app: Flask, signed_in: dict[str, str], clock: datetime
) -> None:
    """The three events of the last hour are in the current hour's interval;
    the food-delivery events of 2020 are in none."""
    client = demo_app.test_client()
    day = client.get(f"{BASE}/stats/lineage-events?period=DAY", headers=signed_in).json
    assert len(day) == 24 and day[-1]["startInterval"].startswith(clock.strftime("%Y-%m-%dT%H:00"))
    assert {k: day[-1][k] for k in ("start", "fail", "complete", "abort")} == {
        "start": 1,
        "fail": 1,
        "complete": 1,
        "abort": 0,
    }
    assert sum(i["start"] + i["complete"] for i in day[:-1]) == 0
    week = client.get(
        f"{BASE}/stats/lineage-events?period=WEEK&timezone=Europe/London", headers=signed_in
    ).json
    assert len(week) == 7 and sum(i["complete"] for i in week) == 1
    jobs = client.get(f"{BASE}/stats/jobs?period=DAY", headers=signed_in).json
    listed = client.get(f"{BASE}/jobs?limit=1000", headers=signed_in).json
    assert jobs[-1]["count"] == listed["totalCount"]
    failed = client.get(f"{BASE}/jobs?lastRunStates=FAILED", headers=signed_in).json
    assert failed["totalCount"] == 0  # the nightly job's rerun completed
    done = client.get(f"{BASE}/jobs?lastRunStates=COMPLETED&limit=1000", headers=signed_in).json
    assert "arrears.nightly" in {j["name"] for j in done["jobs"]}

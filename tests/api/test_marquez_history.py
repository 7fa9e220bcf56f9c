"""What Marquez's web UI reads of the past (#19): the OpenLineage events kept
as they were received (paged, sorted, between two times, a re-delivery kept
once), a run's facets, a dataset's versions and the tags in use, under the
catalogue's permissions: what a caller may not see is absent, and a 404 by
name in the words used for a name that does not exist."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.api.conftest import Tokens
from tests.api.ol_events import read_events
from tests.api.test_marquez_api import BASE, PROBLEM, check
from tests.api.test_openlineage import FOOD, etl, post_all  # noqa: F401 (fixture)
from tests.conftest import shared_data

JOB, DATASET = "etl_delivery_7_days", "public.delivery_7_days"


@pytest.fixture
def sent(client: FlaskClient, etl: str) -> list[dict[str, Any]]:  # noqa: F811
    """The food-delivery events, posted twice (a re-delivery)."""
    events = read_events(shared_data("openlineage", "food-delivery.ndjson"))
    headers = {"Authorization": f"Bearer {etl}"}
    post_all(client, headers, events)
    post_all(client, headers, events)
    return events


def get(client: FlaskClient, path: str, headers: dict[str, str]) -> Any:
    response = client.get(BASE + path, headers=headers)
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    return response.json


def canonical(events: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for e in events)


def test_the_events_are_those_received_paged_sorted_and_between_times(
    sent: list[dict],
    client: FlaskClient,
    etl: str,  # noqa: F811
) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    every = get(client, "/events/lineage?limit=1000&sortDirection=asc", headers)
    assert every["totalCount"] == len(sent)  # sent twice, kept once
    assert canonical(every["events"]) == canonical(sent)  # unchanged, facets and all
    check(every, "LineageEventList")
    times = [e["eventTime"] for e in every["events"]]
    assert times == sorted(times)
    newest = get(client, "/events/lineage?limit=1000", headers)["events"]
    assert [e["eventTime"] for e in newest] == times[::-1]
    page = get(client, "/events/lineage?limit=5&offset=5", headers)
    assert page["events"] == newest[5:10] and page["totalCount"] == len(sent)
    middle = times[len(times) // 2]
    after = get(client, f"/events/lineage?limit=1000&after={quote(middle)}", headers)
    assert after["totalCount"] == sum(1 for t in times if t >= middle)
    before = get(client, f"/events/lineage?limit=1000&before={quote(middle)}", headers)
    assert before["totalCount"] == sum(1 for t in times if t <= middle)


def test_a_runs_facets_and_a_datasets_versions(
    sent: list[dict],
    client: FlaskClient,
    etl: str,  # noqa: F811
) -> None:
    headers = {"Authorization": f"Bearer {etl}"}
    mine = [e for e in sent if e["job"]["name"] == JOB]
    run_id = mine[0]["run"]["runId"]
    for part in ("run", "job"):
        expected: dict[str, Any] = {}
        for event in sorted(mine, key=lambda e: e["eventTime"]):
            if event["run"]["runId"] == run_id:
                expected |= event[part].get("facets") or {}
        facets = get(client, f"/jobs/runs/{run_id}/facets?type={part}", headers)
        assert facets == {"runId": run_id, "facets": expected}
    assert expected  # the job's facets said something: the check can fail
    path = f"/namespaces/{FOOD}/datasets/{quote(DATASET, safe='')}/versions"
    versions = get(client, path, headers)
    check(versions, "DatasetVersionList")
    writers = {
        e["run"]["runId"] for e in sent if any(o["name"] == DATASET for o in e.get("outputs", []))
    }
    done = {e["run"]["runId"] for e in sent if e["eventType"] == "COMPLETE"} & writers
    assert versions["totalCount"] == len(done) > 0
    assert {v["createdByRun"]["id"] for v in versions["versions"]} == done
    assert all(v["fields"] for v in versions["versions"])
    assert get(client, path, headers) == versions  # a version's id is the same each time
    assert len({v["version"] for v in versions["versions"]}) == len(done)


def test_what_a_caller_may_not_see_is_not_in_the_past_either(
    sent: list[dict], client: FlaskClient, cat: Catalogue, tokens_for: Tokens
) -> None:
    """The job restricted: its events, runs' facets and versions it made are
    hidden from a viewer of another department; a restricted dataset's tag is
    not listed for them. An admin sees it all."""
    with cat.write(operator("ig@thamesbury.gov.uk")) as writer:
        assets.update(writer, f"{FOOD}.{JOB}", {"access": "restricted"})
        assets.update(
            writer, f"{FOOD}.{DATASET}", {"access": "restricted", "tags": ["delivery-kpi"]}
        )
    viewer = tokens_for.headers("ahmed.khan", "viewer", "Housing")
    admin = tokens_for.headers("peter.ng", "admin", "Digital & Data")
    run_id = next(e["run"]["runId"] for e in sent if e["job"]["name"] == JOB)
    for headers, sees in ((viewer, False), (admin, True)):
        events = get(client, "/events/lineage?limit=1000", headers)["events"]
        assert (JOB in {e["job"]["name"] for e in events}) == sees
        named = {d["name"] for e in events for d in e.get("inputs", []) + e.get("outputs", [])}
        assert (DATASET in named) == sees
        tags = {t["name"] for t in get(client, "/tags", headers)["tags"]}
        assert ("delivery-kpi" in tags) == sees
    hidden, missing = (
        client.get(f"{BASE}/jobs/runs/{r}/facets?type=run", headers=viewer)
        for r in (run_id, "00000000-0000-4000-8000-000000000000")
    )
    assert (hidden.status_code, missing.status_code) == (404, 404) and hidden.mimetype == PROBLEM
    assert hidden.json["detail"] == missing.json["detail"].replace(
        "00000000-0000-4000-8000-000000000000", run_id
    )
    path = f"{BASE}/namespaces/{FOOD}/datasets/{{}}/versions"
    hidden, missing = (
        client.get(path.format(quote(n, safe="")), headers=viewer)
        for n in (DATASET, "public.no_such_table")
    )
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json["detail"] == missing.json["detail"].replace("public.no_such_table", DATASET)
    counts = [get(client, "/stats/datasets?period=DAY", h)[-1]["count"] for h in (viewer, admin)]
    assert counts[0] < counts[1]


@pytest.mark.parametrize(
    ("url", "status", "named"),
    [
        ("/stats/lineage-events?period=MONTH", 422, "DAY"),
        ("/stats/lineage-events", 422, "period"),
        ("/stats/jobs?period=WEEK&timezone=Mars/Olympus_Mons", 422, "Europe/London"),
        ("/stats/teams?period=DAY", 404, "Not Found"),
        ("/jobs/runs/8c1e3f00-0000-4000-8000-000000000001/facets?type=plan", 422, "run"),
        ("/jobs/runs/8c1e3f00-0000-4000-8000-000000000001/facets", 422, "type"),
        ("/jobs/runs/8c1e3f00-0000-4000-8000-000000000001/facets?type=run", 404, "8c1e3f00"),
        ("/jobs?lastRunStates=SIDEWAYS", 422, "COMPLETED"),
        ("/namespaces/nowhere/datasets/nothing/versions", 404, "nowhere"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    client: FlaskClient,
    etl: str,  # noqa: F811
    url: str,
    status: int,
    named: str,
) -> None:
    response = client.get(BASE + url, headers={"Authorization": f"Bearer {etl}"})
    assert response.status_code == status and response.mimetype == PROBLEM, response.json
    assert named in json.dumps(response.json)

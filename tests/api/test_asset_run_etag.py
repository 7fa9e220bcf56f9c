"""An asset's ETag names its runs too (#19): a client that cached a dataset's
record, or a pipeline's, sees a new run (a new ``last_successful_write``, a new
entry in ``runs``) instead of a 304, although the record's version is the same;
and the ETag read still serves as If-Match for a change."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.api.test_openlineage import etl  # noqa: F401 (fixture)

DATASET, JOB = "council-warehouse.arrears", "council-etl.arrears.nightly"


def run_event(kind: str, run_id: str, at: str) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": at,
        "run": {"runId": run_id},
        "job": {"namespace": "council-etl", "name": "arrears.nightly"},
        "outputs": [{"namespace": "council-warehouse", "name": "arrears"}],
        "producer": "https://github.com/council/etl",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    }


def test_a_new_run_is_a_new_etag(client: FlaskClient, etl: str) -> None:  # noqa: F811
    headers = {"Authorization": f"Bearer {etl}"}

    def post(event: dict[str, Any]) -> None:
        assert client.post("/api/v1/lineage", json=event, headers=headers).status_code == 201

    post(run_event("COMPLETE", "5d1f7c8e-0000-4000-8000-000000000001", "2026-01-05T02:00:00Z"))
    first = {k: client.get(f"/api/v1/assets/{k}", headers=headers) for k in (DATASET, JOB)}
    for key, response in first.items():
        again = client.get(
            f"/api/v1/assets/{key}", headers=headers | {"If-None-Match": response.headers["ETag"]}
        )
        assert again.status_code == 304, key
    # A later run the same night: the records are as they were, their runs are not.
    post(run_event("COMPLETE", "5d1f7c8e-0000-4000-8000-000000000002", "2026-01-05T03:00:00Z"))
    for key, response in first.items():
        cached = headers | {"If-None-Match": response.headers["ETag"]}
        fresh = client.get(f"/api/v1/assets/{key}", headers=cached)
        assert fresh.status_code == 200, key
        assert fresh.json["version"] == response.json["version"], key
        assert fresh.headers["ETag"] != response.headers["ETag"], key
        now = headers | {"If-None-Match": fresh.headers["ETag"]}
        assert client.get(f"/api/v1/assets/{key}", headers=now).status_code == 304, key
    write = client.get(f"/api/v1/assets/{DATASET}", headers=headers).json["last_successful_write"]
    assert write["run_id"].endswith("0002")
    # The ETag read names the version a change is made to.
    etag = client.get(f"/api/v1/assets/{DATASET}", headers=headers).headers["ETag"]
    changed = client.patch(
        f"/api/v1/assets/{DATASET}",
        json={"description": "Arrears by account, nightly."},
        headers=headers | {"If-Match": etag},
    )
    assert changed.status_code == 200, changed.json
    stale = client.patch(
        f"/api/v1/assets/{DATASET}",
        json={"description": "Again."},
        headers=headers | {"If-Match": etag},
    )
    assert stale.status_code == 412

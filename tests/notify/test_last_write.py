"""A dataset's last successful write (#19): the latest COMPLETE run that output
it, sent with the real openlineage-python client, on its page, in its API
record and as Marquez's ``lastModifiedAt``; a later failed run does not move
it, and a job the reader may not see is not named."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from openlineage.client import OpenLineageClient

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.api.conftest import Tokens
from tests.notify.test_run_health import JOB, JOB_KEY, NS, OUTPUT, OUTPUT_KEY, app, ol, run  # noqa: F401

#: Event times are minutes before now: the clock matters (CI reruns a year ahead).
pytestmark = pytest.mark.calendar


def test_the_last_successful_write_of_a_dataset(
    ol: tuple[OpenLineageClient, Tokens, FlaskClient, Catalogue],  # noqa: F811
) -> None:
    sender, tokens, client, cat = ol
    admin = tokens.headers("peter.ng", "admin", "Digital & Data")
    never = client.get(f"/api/v1/assets/{OUTPUT_KEY}", headers=admin)
    assert never.status_code == 404  # nothing sent yet
    run(sender, "COMPLETE", 30)
    assert client.get(f"/api/v1/assets/{OUTPUT_KEY}", headers=admin).json["last_successful_write"]
    run(sender, "FAIL", 10)
    job = client.get(f"/api/v1/assets/{JOB_KEY}", headers=admin).json
    assert [r["state"] for r in job["runs"]] == ["FAIL", "COMPLETE"]
    completed = job["runs"][1]
    assert job["runs"][0]["outputs"] == [OUTPUT_KEY]

    write = client.get(f"/api/v1/assets/{OUTPUT_KEY}", headers=admin).json["last_successful_write"]
    assert write == {"at": completed["state_at"], "job": JOB_KEY, "run_id": completed["run_id"]}
    page = client.get(f"/assets/{OUTPUT_KEY}", headers=admin).get_data(as_text=True)
    said = page.split('id="last-write">', 1)[1].split("</p>", 1)[0]
    assert f'href="/assets/{JOB_KEY}">{JOB_KEY}</a> completed on' in said
    assert completed["state_at"][:16].replace("T", " ") + " UTC" in said
    assert completed["run_id"] in said
    dataset = client.get(
        f"/marquez/api/v1/namespaces/{quote(OUTPUT[0], safe='')}/datasets/{OUTPUT[1]}",
        headers=admin,
    ).json
    assert dataset["lastModifiedAt"][:19] == completed["state_at"][:19]
    marquez_job = client.get(f"/marquez/api/v1/namespaces/{NS}/jobs/{JOB}", headers=admin).json
    assert marquez_job["latestRun"]["state"] == "FAILED"

    # A Housing viewer may see the dataset but not the (now restricted) job.
    with cat.write(operator("ig@thamesbury.gov.uk")) as writer:
        assets.update(writer, JOB_KEY, {"access": "restricted", "department": "Finance"})
    viewer = tokens.headers("ahmed.khan", "viewer", "Housing")
    hidden = client.get(f"/api/v1/assets/{OUTPUT_KEY}", headers=viewer).json
    assert hidden["last_successful_write"]["job"] is None
    page = client.get(f"/assets/{OUTPUT_KEY}", headers=viewer).get_data(as_text=True)
    said = page.split('id="last-write">', 1)[1].split("</p>", 1)[0]
    assert JOB_KEY not in page and "An asset you cannot see" in said

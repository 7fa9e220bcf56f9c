"""``/api/v1`` governance routes (#18): reviews, the registers and coverage, with
the permissions the pages have, over real HTTP on each backend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from catalogue.db import utcnow
from catalogue.governance import add_months
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.api.conftest import change_count

#: Reviews and coverage are judged on today: CI runs these a year ahead too.
pytestmark = pytest.mark.calendar

GOVERNANCE_PATHS = [
    "/api/v1/governance/iar",
    "/api/v1/governance/ropa",
    "/api/v1/governance/coverage",
    "/api/v1/governance/coverage/trend",
]


def test_the_steward_reviews_an_asset_and_it_is_in_its_history(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    url = "/api/v1/assets/rent-arrears-summary/review"
    response = client.post(url, json={"note": "Checked the ward totals"}, headers=steward)
    assert response.status_code == 200, response.json
    today = utcnow().date()
    assert response.json["last_reviewed"] == today.isoformat()
    assert response.json["last_reviewed_by"] == "aisha.begum@thamesbury.gov.uk"
    assert response.json["review_date"] == add_months(today, 12).isoformat()
    history = client.get("/api/v1/assets/rent-arrears-summary/history").json["changes"]
    review = next(c for c in history if c["action"] == "asset.review")
    assert review["actor"] == "aisha.begum@thamesbury.gov.uk"
    assert review["after"]["last_review_note"] == "Checked the ward totals"


def test_a_review_by_someone_else_or_a_bad_note_writes_nothing(
    client: FlaskClient, borough: Catalogue, viewer: dict[str, str], steward: dict[str, str]
) -> None:
    url = "/api/v1/assets/rent-arrears-summary/review"
    before = change_count(borough)
    refused = client.post(url, json={}, headers=viewer)
    assert refused.status_code == 403
    assert "only its owner, its steward or an admin" in refused.json["detail"]
    assert client.post(url, json={}).status_code == 401
    too_long = client.post(url, json={"note": "x" * 2001}, headers=steward)
    assert too_long.status_code == 422 and "note" in too_long.json["errors"]
    assert client.post("/api/v1/assets/no-such/review", json={}, headers=steward).status_code == 404
    assert change_count(borough) == before


def test_reviews_due_by_department_and_person(client: FlaskClient, borough: Catalogue) -> None:
    overdue_since = utcnow().date() - timedelta(days=3)
    with borough.write(operator("test-admin")) as writer:
        assets.update(writer, "rent-accounts", {"review_date": overdue_since.isoformat()})
    # Anonymous callers see only open assets: not rent-accounts (internal), and
    # the open ones were registered today, so none is due yet.
    assert client.get("/api/v1/reviews?department=Housing").json["reviews"] == []
    soon = client.get("/api/v1/reviews", query_string={"department": "Housing", "within": 400})
    keys = {r["key"] for r in soon.json["reviews"]}
    assert keys == {"rent-arrears-summary", "rpt-arrears-dashboard"}
    assert all(r["overdue"] is False for r in soon.json["reviews"])
    unknown = client.get("/api/v1/reviews?department=Hogwarts")
    assert unknown.status_code == 404 and "Housing" in unknown.json["detail"]
    assert client.get("/api/v1/reviews?within=-1").status_code == 422


def test_reviews_due_shows_an_overdue_review_to_who_may_see_it(
    client: FlaskClient, borough: Catalogue, viewer: dict[str, str]
) -> None:
    overdue_since = utcnow().date() - timedelta(days=3)
    with borough.write(operator("test-admin")) as writer:
        assets.update(writer, "rent-accounts", {"review_date": overdue_since.isoformat()})
    mine = client.get(
        "/api/v1/reviews?person=joanne.whitaker@thamesbury.gov.uk", headers=viewer
    ).json["reviews"]
    assert [(r["key"], r["due"], r["overdue"]) for r in mine] == [
        ("rent-accounts", overdue_since.isoformat(), True)
    ]


@pytest.mark.parametrize("path", GOVERNANCE_PATHS)
def test_only_auditors_and_admins_read_the_registers(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str], path: str
) -> None:
    assert client.get(path).status_code == 401
    refused = client.get(path, headers=steward)
    assert refused.status_code == 403 and "auditors and admins" in refused.json["detail"]


def test_the_information_asset_register(
    client: FlaskClient, borough: Catalogue, auditor: dict[str, str]
) -> None:
    register = client.get("/api/v1/governance/iar?department=Housing", headers=auditor).json
    assert register["title"] == "Information Asset Register"
    assert register["headings"][:3] == ["Asset", "Description", "Information Asset Owner"]
    rows = {row["Asset"]: row for row in register["rows"]}
    assert set(rows) == {
        "Housing arrears dashboard (rpt-arrears-dashboard)",
        "Northgate housing system (sys-northgate)",
        "Rent accounts (rent-accounts)",
        "Rent arrears by ward (rent-arrears-summary)",
    }
    assert rows["Rent accounts (rent-accounts)"]["Personal data"] == "Yes"
    unknown = client.get("/api/v1/governance/iar?department=Hogwarts", headers=auditor)
    assert unknown.status_code == 404


def test_the_record_of_processing(
    client: FlaskClient, borough: Catalogue, auditor: dict[str, str]
) -> None:
    with borough.write(operator("test-admin")) as writer:
        assets.update(writer, "rent-accounts", {"purpose": "Managing tenancies"})
    record = client.get("/api/v1/governance/ropa", headers=auditor).json
    purposes = {g["purpose"]: g for g in record["purposes"]}
    assert purposes["Managing tenancies"]["assets"] == ["Rent accounts (rent-accounts)"]
    assert set(record["controller"]) >= {"name", "contact", "dpo"}


def test_coverage_now_and_as_of_a_date(
    client: FlaskClient, borough: Catalogue, admin: dict[str, str]
) -> None:
    now = client.get("/api/v1/governance/coverage", headers=admin).json
    overall = now["rows"][-1]
    assert overall["department"] == "All departments" and overall["assets"] == 6
    assert overall["owner"] == {"met": 3, "of": 6, "percent": 50.0}
    assert {m["name"] for m in now["measures"]} >= {"owner", "fresh", "reviewed"}
    assert any(d["department"] == "Children's Services" for d in now["missed"])
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    before = client.get(f"/api/v1/governance/coverage?as_of={yesterday}", headers=admin).json
    assert before["as_of"] == yesterday and before["rows"][-1]["assets"] == 0  # not yet registered
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    future = client.get(f"/api/v1/governance/coverage?as_of={tomorrow}", headers=admin)
    assert future.status_code == 422 and "after today" in str(future.json)
    assert client.get("/api/v1/governance/coverage?as_of=soon", headers=admin).status_code == 422
    trend = client.get("/api/v1/governance/coverage/trend", headers=admin).json["points"]
    assert len(trend) == 13 and trend[-1]["owner"]["percent"] == 50.0


def test_the_openapi_document_lists_the_governance_routes(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in [*GOVERNANCE_PATHS, "/api/v1/reviews", "/api/v1/assets/{key}/review"]:
        assert path in paths, path
    assert paths["/api/v1/assets/{key}/review"]["post"]["security"] == [{"bearerAuth": []}]

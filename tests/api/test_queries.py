"""/api/v1 search, lineage (upstream, downstream, paths, trace, as of a date) and
audit: the same answers as the CLI, through the same services."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from catalogue.services import edges
from catalogue.services.access import operator
from catalogue.services.search import search_assets
from catalogue.store import Catalogue

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

PROBLEM = "application/problem+json"


def test_search_matches_the_service_with_facets_and_highlights(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    response = client.get("/api/v1/search?q=arrears", headers=steward)
    assert response.status_code == 200
    body = response.json
    principal = operator("x")  # the service's own answer, for the same visibility
    with borough.reading(principal) as reader:
        expected = search_assets(reader, q="arrears")
    assert {h["key"] for h in body["hits"]} <= {h.key for h in expected.hits}
    assert body["hits"][0]["key"] in {"rent-arrears-summary", "rpt-arrears-dashboard"}
    assert "<mark>" in "".join(body["hits"][0]["highlights"].values())
    departments = {f["value"]: f["count"] for f in body["facets"]["department"]}
    assert departments["Housing"] >= 2
    assert set(body["facets"]) >= {"department", "kind", "tag", "access"}


def test_search_filters_repeat_for_or_and_respect_visibility(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    both = client.get("/api/v1/search?kind=dataset&kind=report&sort=title", headers=steward)
    titles = [h["title"] for h in both.json["hits"]]
    assert titles == sorted(titles)
    assert {h["kind"] for h in both.json["hits"]} == {"dataset", "report"}
    anonymous = client.get("/api/v1/search?q=rent")
    assert {h["access"] for h in anonymous.json["hits"]} == {"open"}
    paged = client.get("/api/v1/search?per_page=1&page=2", headers=steward)
    assert paged.json["page"] == 2 and len(paged.json["hits"]) == 1
    far = client.get("/api/v1/search?page=5000", headers=steward)
    assert far.status_code == 200 and far.json["hits"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=popularity", "sort"),
        ("per_page=101", "per_page"),
        ("page=-1", "page"),
        ("page=1e9", "page"),
        ("limit=5", "limit"),
        ("all=sometimes", "all"),
    ],
)
def test_bad_search_parameters_are_422(
    client: FlaskClient, borough: Catalogue, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert field in response.json["errors"]


def test_upstream_and_downstream_with_depth(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    up = client.get("/api/v1/assets/rpt-arrears-dashboard/upstream", headers=steward).json
    assert [(r["hops"], r["key"]) for r in up["items"]] == [
        (1, "rent-arrears-summary"),
        (2, "rent-accounts"),
        (3, "sys-northgate"),
    ]
    one = client.get("/api/v1/assets/sys-northgate/downstream?depth=1", headers=steward).json
    assert [r["key"] for r in one["items"]] == ["rent-accounts"]


def test_lineage_hides_names_from_anonymous_callers(
    client: FlaskClient, borough: Catalogue
) -> None:
    up = client.get("/api/v1/assets/rpt-arrears-dashboard/upstream").json["items"]
    assert up[0]["key"] == "rent-arrears-summary"
    assert up[1]["key"] is None and up[1]["restricted"] is True
    assert client.get("/api/v1/assets/rent-accounts/upstream").status_code == 404


def test_lineage_as_of_a_date(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    moment = datetime.now(UTC).isoformat()  # after the borough was registered
    with borough.write(operator("seeder@thamesbury.gov.uk")) as writer:
        edges.end_edge(writer, "rent-accounts", "rent-arrears-summary")
    url = "/api/v1/assets/rpt-arrears-dashboard/upstream"
    now = client.get(url, headers=steward).json["items"]
    assert [r["key"] for r in now] == ["rent-arrears-summary"]
    then = client.get(f"{url}?as_of={quote(moment)}", headers=steward).json
    assert [r["key"] for r in then["items"]] == [
        "rent-arrears-summary",
        "rent-accounts",
        "sys-northgate",
    ]
    assert then["as_of"].startswith(moment[:19])
    before = client.get(f"{url}?as_of=2001-01-01", headers=steward).json["items"]
    assert before == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/assets/rpt-arrears-dashboard/upstream?as_of=last-tuesday",
        "/api/v1/assets/rpt-arrears-dashboard/downstream?as_of=2026-13-45",
        "/api/v1/assets/rpt-arrears-dashboard/trace?as_of=soon",
        "/api/v1/assets/rent-accounts/paths/rpt-arrears-dashboard?as_of=2026-02-30",
        "/api/v1/assets/rpt-arrears-dashboard/upstream?depth=0",
        "/api/v1/assets/rpt-arrears-dashboard/upstream?depth=lots",
    ],
)
def test_bad_lineage_parameters_are_422(client: FlaskClient, borough: Catalogue, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert response.json["errors"]


def test_paths_and_trace(client: FlaskClient, borough: Catalogue, steward: dict[str, str]) -> None:
    found = client.get(
        "/api/v1/assets/sys-northgate/paths/rpt-arrears-dashboard", headers=steward
    ).json
    assert found["paths"] == [
        ["sys-northgate", "rent-accounts", "rent-arrears-summary", "rpt-arrears-dashboard"]
    ]
    trace = client.get("/api/v1/assets/rpt-arrears-dashboard/trace", headers=steward).json
    assert [r["key"] for r in trace["upstream"]] == [
        "rent-arrears-summary",
        "rent-accounts",
        "sys-northgate",
    ]
    flags = {i["flag"] for i in trace["inherits"]}
    assert {"personal_data", "OFFICIAL-SENSITIVE"} <= flags
    assert any("marked open" in w for w in trace["warnings"])
    assert client.get("/api/v1/assets/nowhere/trace").status_code == 404


def test_audit_is_for_auditors(
    client: FlaskClient,
    borough: Catalogue,
    steward: dict[str, str],
    auditor: dict[str, str],
) -> None:
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit", headers=steward).status_code == 403
    response = client.get("/api/v1/audit?asset=rent-accounts", headers=auditor)
    assert response.status_code == 200
    actions = [e["action"] for e in response.json["entries"]]
    assert actions[0] == "asset.create" and "edge.add" in actions
    limited = client.get("/api/v1/audit?limit=2", headers=auditor).json["entries"]
    assert len(limited) == 2
    bad = client.get("/api/v1/audit?since=whenever", headers=auditor)
    assert bad.status_code == 422 and "since" in bad.json["errors"]
    assert client.get("/api/v1/audit?limit=0", headers=auditor).status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/api/v1/assets/rent%00accounts", "/api/v1/search?q=%00", "/api/v1/assets?tag=a%00b"],
)
def test_a_nul_character_is_400_on_either_database(
    client: FlaskClient, borough: Catalogue, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.json["detail"]

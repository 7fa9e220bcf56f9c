"""``/api/v1/glossary`` (#18) over HTTP on each backend: staff read terms, the
right stewards and admins add and change them with If-Match, conflicts and bad
input are refused with nothing written, and a search that names a term
answers with its definition."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from catalogue.store import Catalogue
from tests.api.conftest import change_count

LAC = {
    "name": "Looked after children",
    "definition": "Children in the council's care.",
    "synonyms": ["LAC", "CLA"],
    "department": "Children's Services",
    "assets": ["safeguarding-referrals"],
    "status": "approved",
}
RENT = {
    "name": "Rent account",
    "definition": "What a tenant owes and has paid.",
    "synonyms": ["tenancy account"],
    "department": "Housing",
    "assets": ["rent-accounts", "rent-arrears-summary"],
    "status": "approved",
}


@pytest.fixture
def housing_steward(borough: Catalogue, steward: dict[str, str]) -> dict[str, str]:
    return steward


def test_a_steward_adds_a_term_of_their_department_and_staff_read_it(
    client: FlaskClient, housing_steward: dict[str, str], viewer: dict[str, str]
) -> None:
    added = client.post("/api/v1/glossary", json=RENT, headers=housing_steward)
    assert added.status_code == 201, added.json
    assert added.json["slug"] == "rent-account" and added.headers["ETag"] == '"1"'
    listed = client.get("/api/v1/glossary", headers=viewer).json["terms"]
    assert [t["name"] for t in listed] == ["Rent account"]
    term = client.get("/api/v1/glossary/rent-account", headers=viewer).json
    assert term["definition"] == "What a tenant owes and has paid."
    assert {a["key"] for a in term["linked_assets"]} == {"rent-accounts", "rent-arrears-summary"}
    assert [c["action"] for c in term["history"]] == ["glossary.create"]
    assert client.get("/api/v1/glossary").status_code == 401


def test_a_term_is_changed_with_if_match_and_kept_in_its_history(
    client: FlaskClient, housing_steward: dict[str, str]
) -> None:
    client.post("/api/v1/glossary", json=RENT, headers=housing_steward)
    url = "/api/v1/glossary/rent-account"
    body = {"definition": "Charges and payments of one tenancy."}
    assert client.patch(url, json=body, headers=housing_steward).status_code == 428
    stale = client.patch(url, json=body, headers={**housing_steward, "If-Match": '"7"'})
    assert stale.status_code == 412
    changed = client.patch(url, json=body, headers={**housing_steward, "If-Match": '"1"'})
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2
    history = client.get(url, headers=housing_steward).json["history"]
    assert history[-1]["after"]["definition"] == "Charges and payments of one tenancy."


def test_bad_input_and_conflicts_are_refused_and_nothing_is_written(
    client: FlaskClient,
    borough: Catalogue,
    housing_steward: dict[str, str],
    admin: dict[str, str],
) -> None:
    client.post("/api/v1/glossary", json=RENT, headers=housing_steward)
    before = change_count(borough)
    other_department = client.post("/api/v1/glossary", json=LAC, headers=housing_steward)
    assert other_department.status_code == 403
    taken = client.post(
        "/api/v1/glossary", json={"name": "Tenancy account"}, headers=admin
    )  # another term's synonym
    assert taken.status_code == 409 and "'Rent account'" in taken.json["detail"]
    unknown = client.post(
        "/api/v1/glossary", json={"name": "Void", "department": "Hogwarts"}, headers=admin
    )
    assert unknown.status_code == 422 and "Housing" in unknown.json["errors"]["department"][0]
    missing = client.get("/api/v1/glossary/no-such-term", headers=admin)
    assert missing.status_code == 404
    assert client.post("/api/v1/glossary", json=["x"], headers=admin).status_code == 400
    assert change_count(borough) == before


def test_a_search_that_names_a_term_answers_with_its_definition(
    client: FlaskClient, borough: Catalogue, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    assert client.post("/api/v1/glossary", json=LAC, headers=admin).status_code == 201
    named = client.get("/api/v1/search?q=lac", headers=viewer).json
    assert named["term"]["name"] == "Looked after children"
    assert named["term"]["definition"] == "Children in the council's care."
    assert client.get("/api/v1/search?q=rent", headers=viewer).json["term"] is None


def test_the_glossary_routes_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/glossary"])
    assert {"get", "patch"} <= set(paths["/api/v1/glossary/{slug}"])

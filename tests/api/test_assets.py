"""/api/v1/assets: list, read, register, change (If-Match), retire, history and
upstream edges, with the status codes and problem documents clients rely on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue.config import SettingError, load_settings
from catalogue.store import Catalogue
from tests.api.conftest import change_count

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

PROBLEM = "application/problem+json"
NEW = {"key": "tenancies", "kind": "dataset", "title": "Tenancies", "department": "Housing"}


def keys(response: Any) -> list[str]:
    return [item["key"] for item in response.json["items"]]


def test_anonymous_list_shows_open_assets_only(client: FlaskClient, borough: Catalogue) -> None:
    response = client.get("/api/v1/assets")
    assert response.status_code == 200
    assert keys(response) == ["bin-collections", "rent-arrears-summary", "rpt-arrears-dashboard"]
    assert response.json["total"] == 3


def test_list_filters_and_pages(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    housing = client.get("/api/v1/assets?department=Housing&kind=dataset", headers=steward)
    assert keys(housing) == ["rent-accounts", "rent-arrears-summary"]
    first = client.get("/api/v1/assets?per_page=2", headers=steward)
    assert first.json["pages"] == 3 and first.json["prev"] is None
    second = client.get(first.json["next"], headers=steward)
    assert second.json["page"] == 2
    assert set(keys(first)).isdisjoint(keys(second))
    assert keys(client.get("/api/v1/assets?tag=waste", headers=steward)) == ["bin-collections"]
    owned = client.get("/api/v1/assets?owner=kwame.mensah@thamesbury.gov.uk", headers=steward)
    assert keys(owned) == ["bin-collections"]
    beyond = client.get("/api/v1/assets?page=99", headers=steward)
    assert beyond.status_code == 200 and beyond.json["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=100000", "per_page"),
        ("all=perhaps", "all"),
        ("dept=Housing", "dept"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_field(
    client: FlaskClient, borough: Catalogue, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/assets?{query}")
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert field in response.json["errors"]


def test_get_gives_the_record_with_its_version_as_etag(
    client: FlaskClient, borough: Catalogue
) -> None:
    response = client.get("/api/v1/assets/bin-collections")
    assert response.status_code == 200
    assert response.json["title"] == "Bin collection days"
    assert response.headers["ETag"] == '"1"'
    again = client.get("/api/v1/assets/bin-collections", headers={"If-None-Match": '"1"'})
    assert again.status_code == 304


def test_what_you_may_not_see_is_not_found(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    assert client.get("/api/v1/assets/rent-accounts").status_code == 404
    assert client.get("/api/v1/assets/rent-accounts", headers=steward).status_code == 200
    hidden = client.get("/api/v1/assets/safeguarding-referrals", headers=steward)
    assert hidden.status_code == 404 and hidden.mimetype == PROBLEM
    assert client.get("/api/v1/assets/no-such-thing").status_code == 404


def test_register_needs_a_token(client: FlaskClient, borough: Catalogue) -> None:
    response = client.post("/api/v1/assets", json=NEW)
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_register_creates_and_points_at_the_asset(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    response = client.post("/api/v1/assets", json=NEW, headers=steward)
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/assets/tenancies")
    assert response.headers["ETag"] == '"1"'
    assert client.get("/api/v1/assets/tenancies", headers=steward).json["title"] == "Tenancies"
    again = client.post("/api/v1/assets", json=NEW, headers=steward)
    assert again.status_code == 409 and again.mimetype == PROBLEM


def test_register_reports_every_bad_field(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    bad = {**NEW, "key": "Bad Key", "access": "secret", "tags": "x", "colour": "red"}
    response = client.post(
        "/api/v1/assets", json={**bad, "personal_data": "maybe"}, headers=steward
    )
    assert response.status_code == 422
    errors = response.json["errors"]
    assert {"key", "access", "colour", "personal_data"} <= set(errors)
    assert "must be one of" in errors["access"][0]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'"a string"', "text/plain"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    client: FlaskClient,
    borough: Catalogue,
    steward: dict[str, str],
    body: bytes,
    content_type: str,
) -> None:
    response = client.post(
        "/api/v1/assets", data=body, headers={**steward, "Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.mimetype == PROBLEM


def test_viewer_may_not_register_and_steward_not_for_another_department(
    client: FlaskClient, borough: Catalogue, viewer: dict[str, str], steward: dict[str, str]
) -> None:
    assert client.post("/api/v1/assets", json=NEW, headers=viewer).status_code == 403
    elsewhere = {**NEW, "department": "Environment & Waste"}
    assert client.post("/api/v1/assets", json=elsewhere, headers=steward).status_code == 403


def test_change_with_the_current_etag_then_a_stale_one(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    url = "/api/v1/assets/rent-arrears-summary"
    etag = client.get(url).headers["ETag"]
    changed = client.patch(
        url, json={"title": "Arrears by ward"}, headers={**steward, "If-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.json["title"] == "Arrears by ward"
    assert changed.headers["ETag"] == '"2"'
    before = change_count(borough)
    stale = client.patch(url, json={"title": "Lost"}, headers={**steward, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.mimetype == PROBLEM
    assert stale.json["current_version"] == 2
    assert "version 2" in stale.json["detail"]
    assert change_count(borough) == before
    assert client.get(url).json["title"] == "Arrears by ward"


def test_a_record_sent_back_as_read_is_a_change_from_its_version(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    url = "/api/v1/assets/rent-arrears-summary"
    record = client.get(url).json
    record["update_frequency"] = "monthly"
    assert client.patch(url, json=record, headers=steward).status_code == 200
    assert client.patch(url, json=record, headers=steward).status_code == 412


def test_a_change_that_changes_nothing_writes_nothing(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    before = change_count(borough)
    response = client.patch(
        "/api/v1/assets/rent-accounts",
        json={"title": "Rent accounts"},
        headers={**steward, "If-Match": '"1"'},
    )
    assert response.status_code == 200 and response.json["version"] == 1
    assert change_count(borough) == before


@pytest.mark.parametrize(
    ("changes", "headers", "status"),
    [
        ({"key": "renamed"}, {"If-Match": '"1"'}, 422),
        ({"personal_data": "yes please"}, {"If-Match": '"1"'}, 422),
        ({"columns": "not a list"}, {"If-Match": '"1"'}, 422),
        ({"last_updated": "yesterday"}, {"If-Match": '"1"'}, 422),
        ({"title": "x"}, {"If-Match": "not-a-version"}, 422),
        ({"version": "two"}, {}, 422),
    ],
)
def test_bad_changes_are_refused_per_field(
    client: FlaskClient,
    borough: Catalogue,
    steward: dict[str, str],
    changes: dict,
    headers: dict,
    status: int,
) -> None:
    response = client.patch(
        "/api/v1/assets/rent-accounts", json=changes, headers={**steward, **headers}
    )
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    assert response.json["errors"]


def test_change_permissions(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    assert client.patch("/api/v1/assets/rent-accounts", json={"title": "x"}).status_code == 401
    steward = {**steward, "If-Match": '"1"'}
    other = client.patch("/api/v1/assets/bin-collections", json={"title": "x"}, headers=steward)
    assert other.status_code == 403
    hidden = client.patch(
        "/api/v1/assets/safeguarding-referrals", json={"title": "x"}, headers=steward
    )
    assert hidden.status_code == 404


def test_retire_keeps_the_asset_and_its_history(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    url = "/api/v1/assets/rent-arrears-summary"
    stale = client.post(f"{url}/retire", headers={**steward, "If-Match": '"9"'})
    assert stale.status_code == 412 and stale.json["current_version"] == 1
    retired = client.post(f"{url}/retire", headers={**steward, "If-Match": '"1"'})
    assert retired.status_code == 200 and retired.json["status"] == "retired"
    assert "rent-arrears-summary" not in keys(client.get("/api/v1/assets"))
    assert "rent-arrears-summary" in keys(client.get("/api/v1/assets?all=true"))
    history = client.get(f"{url}/history").json["changes"]
    assert [c["action"] for c in history] == ["asset.create", "edge.add", "asset.retire"]


def test_history_of_an_invisible_asset_is_not_found(
    client: FlaskClient, borough: Catalogue
) -> None:
    assert client.get("/api/v1/assets/rent-accounts/history").status_code == 404


def test_add_and_end_an_upstream_edge(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    url = "/api/v1/assets/rent-arrears-summary/upstream"
    added = client.post(
        url, json={"upstream": "sys-northgate", "description": "direct"}, headers=steward
    )
    assert added.status_code == 201
    assert added.json["upstream"] == "sys-northgate" and added.json["valid_to"] is None
    twice = client.post(url, json={"upstream": "sys-northgate"}, headers=steward)
    assert twice.status_code == 409
    cycle = client.post(
        "/api/v1/assets/rent-accounts/upstream",
        json={"upstream": "rpt-arrears-dashboard"},
        headers=steward,
    )
    assert cycle.status_code == 409 and "cycle" in cycle.json["detail"]
    unknown = client.post(url, json={"upstream": "nowhere"}, headers=steward)
    assert unknown.status_code == 422
    missing = client.post(url, json={}, headers=steward)
    assert missing.status_code == 422 and "upstream" in missing.json["errors"]
    ended = client.delete(f"{url}/sys-northgate", headers=steward)
    assert ended.status_code == 200 and ended.json["valid_to"] is not None
    assert client.delete(f"{url}/sys-northgate", headers=steward).status_code == 404


@pytest.mark.parametrize("route", ["change", "retire"])
def test_a_change_without_if_match_is_428_and_writes_nothing(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str], route: str
) -> None:
    """Read-modify-write without saying which version: refused, so that two
    people editing at once cannot silently overwrite each other."""
    url = "/api/v1/assets/rent-arrears-summary"
    before = change_count(borough)
    for hidden_or_not in (url, "/api/v1/assets/safeguarding-referrals", "/api/v1/assets/nothing"):
        if route == "change":
            response = client.patch(hidden_or_not, json={"title": "Mine"}, headers=steward)
        else:
            response = client.post(f"{hidden_or_not}/retire", headers=steward)
        assert response.status_code == 428 and response.mimetype == PROBLEM
        assert "If-Match" in response.json["detail"]
    assert change_count(borough) == before
    assert client.get(url).json["version"] == 1


def test_if_match_can_be_made_optional(
    app: Flask, borough: Catalogue, steward: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOGUE_REQUIRE_IF_MATCH", "false")
    assert load_settings().require_if_match is False
    monkeypatch.setenv("CATALOGUE_REQUIRE_IF_MATCH", "sometimes")
    with pytest.raises(SettingError, match="CATALOGUE_REQUIRE_IF_MATCH must be true or false"):
        load_settings()
    app.config["REQUIRE_IF_MATCH"] = False  # what create_app does with the setting off
    response = app.test_client().patch(
        "/api/v1/assets/rent-arrears-summary", json={"title": "Mine"}, headers=steward
    )
    assert response.status_code == 200 and response.json["version"] == 2


def test_a_taken_key_answers_alike_whether_its_asset_is_hidden_or_not(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    """Registering with a key that is taken answers 409 naming the key (#13): a
    key is unique across the catalogue, so the alternative would be to accept
    the registration and lose it. What is promised is that the answer is the
    same for an asset the steward may see (rent-accounts) and for one hidden
    from them (Children's Services' restricted safeguarding-referrals): nothing
    of the hidden asset but its key, which the steward typed."""
    answers = {}
    for key in ("rent-accounts", "safeguarding-referrals"):
        before = change_count(borough)
        response = client.post("/api/v1/assets", json={**NEW, "key": key}, headers=steward)
        assert response.status_code == 409 and response.mimetype == PROBLEM
        assert change_count(borough) == before
        answers[key] = {k: str(v).replace(key, "KEY") for k, v in response.json.items()}
    assert answers["rent-accounts"] == answers["safeguarding-referrals"]
    text = str(answers["safeguarding-referrals"]).lower()
    assert "safeguarding" not in text and "children" not in text and "restricted" not in text
    hidden = client.get("/api/v1/assets/safeguarding-referrals", headers=steward)
    assert hidden.status_code == 404  # and reading it still says only "not found"

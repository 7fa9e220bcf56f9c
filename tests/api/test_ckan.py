"""The read-only CKAN Action API, through the real ckanapi client (RemoteCKAN,
which POSTs to /api/action/ and follows no redirect) against a live server, and
through Flask's client for CKAN's status codes and envelope."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import ckanapi
import pytest
from ckanapi.cli import search as ckanapi_search
from flask import Flask
from flask.testing import FlaskClient

from catalogue.config import Settings
from catalogue.store import Catalogue
from tests.api.conftest import Tokens, _app
from tests.serving import served_in_thread

OPEN = ["bin-collections", "rent-arrears-summary", "rpt-arrears-dashboard"]


@pytest.fixture
def ckan(live: str, borough: Catalogue) -> ckanapi.RemoteCKAN:
    with ckanapi.RemoteCKAN(live, user_agent="ckanapi-tests") as remote:
        yield remote


def test_ckanapi_reads_the_open_catalogue(ckan: ckanapi.RemoteCKAN) -> None:
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.") and status["site_title"]
    assert ckan.action.package_list() == OPEN
    package = ckan.action.package_show(id="rent-arrears-summary")
    assert package["title"] == "Rent arrears by ward"
    assert package["license_id"] == "uk-ogl" and package["isopen"] is True
    assert package["organization"]["title"] == "Housing"
    assert package["groups"][0]["name"] == "soci"
    assert [r["url"] for r in package["resources"]] == [
        "https://data.thamesbury.gov.uk/arrears.csv"
    ]
    assert package["resources"][0]["format"] == "CSV"
    assert {t["name"] for t in package["tags"]} == {"arrears", "housing"}
    assert package["private"] is False and package["state"] == "active"
    assert "T" in package["metadata_modified"] and "+" not in package["metadata_modified"]
    by_id = ckan.action.package_show(id=package["id"])
    assert by_id["name"] == "rent-arrears-summary"


def test_anonymous_callers_see_only_open_packages(ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="rent-accounts")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="sys-northgate")  # a source system is not a package
    found = ckan.action.package_search(q="rent", rows=100, include_private=True)
    assert {p["name"] for p in found["results"]} == {"rent-arrears-summary"}
    listed = ckan.action.current_package_list_with_resources()
    assert sorted(p["name"] for p in listed) == OPEN
    assert ckan.action.tag_list() == ["arrears", "bins", "housing", "waste"]  # not "rent"


def test_a_token_shows_private_packages_when_asked(
    live: str, borough: Catalogue, tokens_for: Tokens
) -> None:
    secret = tokens_for.secret("aisha.begum", "steward", "Housing")
    with ckanapi.RemoteCKAN(live, apikey=secret) as remote:
        private = remote.action.package_show(id="rent-accounts")
        assert private["private"] is True
        assert remote.action.package_search(q="rent")["count"] == 1
        both = remote.action.package_search(q="rent", include_private=True)
        assert {p["name"] for p in both["results"]} == {"rent-accounts", "rent-arrears-summary"}
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id="safeguarding-referrals")


def test_organizations_groups_and_tags(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.organization_list() == ["environment-waste", "housing"]
    detailed = ckan.action.organization_list(all_fields=True, sort="package_count desc")
    assert [(o["title"], o["package_count"]) for o in detailed] == [
        ("Housing", 2),
        ("Environment & Waste", 1),
    ]
    housing = ckan.action.organization_show(id="housing", include_datasets=True)
    assert sorted(p["name"] for p in housing["packages"]) == [
        "rent-arrears-summary",
        "rpt-arrears-dashboard",
    ]
    assert ckan.action.group_list() == ["envi", "soci"]
    assert ckan.action.group_show(id="envi")["title"] == "Environment"
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="finance")
    assert ckan.action.tag_list(query="ar") == ["arrears"]


def test_package_search_filters_like_a_harvester(ckan: ckanapi.RemoteCKAN) -> None:
    def names(**params: Any) -> list[str]:
        return sorted(p["name"] for p in ckan.action.package_search(rows=100, **params)["results"])

    assert names(fq="organization:housing") == ["rent-arrears-summary", "rpt-arrears-dashboard"]
    assert names(fq="-organization:housing") == ["bin-collections"]
    assert names(fq="organization:housing OR organization:environment-waste") == OPEN
    assert names(fq="tags:arrears res_format:CSV") == ["rent-arrears-summary"]
    assert names(fq='groups:envi AND license_id:"uk-ogl"') == ["bin-collections"]
    assert names(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]") == OPEN
    assert names(fq="metadata_modified:[NOW TO *]") == []
    assert names(fq_list=["organization:housing", "-tags:housing"]) == ["rpt-arrears-dashboard"]
    assert names(q="name:bin-collections") == ["bin-collections"]
    assert names(q="title:Bin*") == ["bin-collections"]
    assert names(q="*:*") == OPEN


def test_package_search_sorts_and_facets(ckan: ckanapi.RemoteCKAN) -> None:
    by_title = ckan.action.package_search(sort="title asc", rows=10)["results"]
    assert [p["title"] for p in by_title] == sorted(p["title"] for p in by_title)
    found = ckan.action.package_search(
        **{"facet.field": json.dumps(["organization", "tags", "license_id"]), "rows": 0}
    )
    assert found["count"] == 3 and found["results"] == []
    assert found["facets"]["organization"] == {"housing": 2, "environment-waste": 1}
    items = found["search_facets"]["organization"]["items"]
    assert items[0] == {"name": "housing", "display_name": "Housing", "count": 2}
    assert found["search_facets"]["license_id"]["items"] == [
        {"name": "uk-ogl", "display_name": "uk-ogl", "count": 2}  # the report has no licence
    ]


def test_ckanapi_errors_come_back_as_ckanapi_exceptions(ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(rows=-1)
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="organization:(housing")
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(sort="popularity desc")
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_create(name="new")
    with pytest.raises(ckanapi.CKANAPIError):
        ckan.action.no_such_action()


@pytest.fixture
def demo_app(demo_settings: Settings) -> Any:
    app = _app(demo_settings)
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def demo_live(demo_app: Flask) -> Any:
    with served_in_thread(demo_app) as base:
        yield base


def test_ckanapi_pages_through_a_search(demo_live: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ckanapi search datasets` pages package_search until an empty page; with
    two rows a page it takes many pages, and finds each package once."""
    monkeypatch.setattr(ckanapi_search, "ROWS_PER_QUERY", 2)
    out = io.BytesIO()
    with ckanapi.RemoteCKAN(demo_live) as remote:
        arguments = {
            "--insecure": False,
            "--input-json": False,
            "--input": None,
            "KEY=STRING": ["sort=id asc"],
            "--output": None,
            "--gzip": False,
        }
        ckanapi_search.search_datasets(remote, arguments, stdout=out)
        names = [json.loads(line)["name"] for line in out.getvalue().splitlines()]
        listed = remote.action.package_list()
        harvested, start = [], 0
        while page := remote.action.package_search(rows=3, start=start, sort="id asc")["results"]:
            harvested += [p["name"] for p in page]
            start += len(page)
    assert len(listed) >= 5
    assert sorted(names) == listed and len(set(names)) == len(names)
    assert harvested == names


# -- CKAN's own status codes and envelope, through Flask's client ----------------------------
def test_get_and_post_on_both_prefixes(client: FlaskClient, borough: Catalogue) -> None:
    for url in ("/api/3/action/package_list", "/api/action/package_list"):
        got, posted = client.get(url), client.post(url, json={})
        assert got.status_code == posted.status_code == 200
        assert got.json["success"] is True and got.json["result"] == OPEN
        assert got.json["help"].endswith("/api/3/action/help_show?name=package_list")
    shown = client.get("/api/3/action/package_show?id=bin-collections")
    assert shown.json["result"]["name"] == "bin-collections"
    form = client.post("/api/3/action/package_search", data={"q": "bins", "rows": "5"})
    assert form.json["result"]["count"] == 1
    assert client.get("/api/3").json == {"version": 3}
    help_text = client.get("/api/3/action/help_show?name=package_search").json["result"]
    assert help_text.startswith("Search packages")


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "kind"),
    [
        ("GET", "/api/3/action/package_show?id=nope", None, 404, "Not Found Error"),
        ("GET", "/api/3/action/package_show", None, 409, "Validation Error"),
        ("GET", "/api/3/action/package_search?rows=lots", None, 409, "Validation Error"),
        ("GET", "/api/3/action/package_search?start=-5", None, 409, "Validation Error"),
        ("GET", "/api/3/action/package_list?limit=x", None, 409, "Validation Error"),
        ("GET", "/api/3/action/package_search?fq=title:[a", None, 400, "Search Query Error"),
        ("GET", "/api/3/action/package_search?fq=colour:red", None, 400, "Search Query Error"),
        ("GET", "/api/3/action/package_search?facet.field=[oops", None, 409, "Validation Error"),
        ("POST", "/api/action/package_update", {"id": "x"}, 403, "Authorization Error"),
    ],
)
def test_ckan_errors(
    client: FlaskClient,
    borough: Catalogue,
    method: str,
    url: str,
    body: Any,
    status: int,
    kind: str,
) -> None:
    response = client.open(url, method=method, json=body)
    assert response.status_code == status
    assert response.json["success"] is False
    assert response.json["error"]["__type"] == kind


@pytest.mark.parametrize(
    ("url", "data"),
    [("/api/3/action/no_such_thing", b"{}"), ("/api/action/package_search", b"{not json")],
)
def test_bad_requests_are_a_json_string_as_in_ckan(
    client: FlaskClient, borough: Catalogue, url: str, data: bytes
) -> None:
    response = client.post(url, data=data, content_type="application/json")
    assert response.status_code == 400
    assert isinstance(response.json, str) and response.json.startswith("Bad request")


def test_rows_are_capped_at_1000(client: FlaskClient, borough: Catalogue) -> None:
    response = client.get("/api/3/action/package_search?rows=5000&start=99999999999")
    assert response.status_code == 200
    assert response.json["result"]["results"] == [] and response.json["result"]["count"] == 3


def test_every_package_name_is_one_ckan_accepts(ckan: ckanapi.RemoteCKAN, cat: Catalogue) -> None:
    """Harvested keys hold dots (``housing-db.public.rent_accounts``), which CKAN's
    name validator refuses, so a CKAN harvesting this catalogue would fail on
    them: such a package gets a name CKAN accepts, the same on every call, found
    by package_show under that name, its key or its id, and by search."""
    from catalogue.services import assets
    from catalogue.services.access import operator

    long_key = "finance-db.reporting." + "a" * 120
    with cat.write(operator("test-admin")) as writer:
        for key, title in (
            ("housing-db.public.rent_accounts", "Rent accounts table"),
            (long_key, "Supplier payments table"),
        ):
            assets.register(
                writer,
                {"key": key, "kind": "dataset", "title": title, "access": "open",
                 "department": "Housing"},
            )  # fmt: skip
    names = ckan.action.package_list()
    assert len(names) == len(OPEN) + 2
    assert all(re.fullmatch(r"[a-z0-9_-]{2,100}", name) for name in names)
    assert set(OPEN) <= set(names)  # keys CKAN accepts stay as they are
    dotted = next(n for n in names if n.startswith("housing-db-public-rent_accounts-"))
    shown = ckan.action.package_show(id=dotted)
    assert shown["title"] == "Rent accounts table"
    assert ckan.action.package_show(id="housing-db.public.rent_accounts")["name"] == dotted
    assert ckan.action.package_show(id=shown["id"])["name"] == dotted
    assert ckan.action.package_list() == names  # stable
    found = ckan.action.package_search(q="rent accounts table")["results"]
    assert found and found[0]["name"] == dotted
    assert ckan.action.package_search(fq=f"name:{dotted}")["count"] == 1

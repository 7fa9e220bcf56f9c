"""Links and locations: only addresses a browser fetches, never a script it runs.

A `javascript:` link rendered as an `href` runs in the catalogue's origin when
clicked. Every way in (the service, a catalogue file, the command line, the API,
an OpenLineage event, a CKAN import; the edit form in tests/web/test_forms.py)
refuses it, names the field and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from catalogue import create_app
from catalogue.config import Settings
from catalogue.errors import Invalid
from catalogue.services import accounts, assets, tokens
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.conftest import Runner

ADMIN = operator("admin@example.gov.uk")
SCRIPT_LINKS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://files.example.gov.uk/x.csv",
    "https:no-host",
    "//elsewhere.example.com/x",
    "https://example.gov.uk/\nx",
]
SCRIPT_LOCATIONS = ["javascript:alert(1)", " JAVASCRIPT:alert(1)", "data:text/html,x", "a\x00b"]
GOOD_LINKS = ["https://data.example.gov.uk/x.csv", "HTTP://example.gov.uk", "mailto:x@y.gov.uk"]
GOOD_LOCATIONS = [
    "https://data.example.gov.uk/",
    "S:\\Housing\\Lettings",
    "\\\\fileserver\\share\\rents.xlsx",
    "postgres://db.thamesbury.local:5432/housing.public.rents",
    "food_delivery/public.orders",
]


def record(**fields: object) -> dict:
    return {"key": "rents", "kind": "dataset", "title": "Rents", "access": "open", **fields}


def stored_keys(catalogue: Catalogue) -> set[str]:
    with catalogue.reading(ADMIN) as reader:
        return {r["key"] for r in assets.list_assets(reader)}


@pytest.mark.parametrize("url", SCRIPT_LINKS)
def test_the_service_refuses_a_link_that_is_not_a_web_address(
    catalogue: Catalogue, url: str
) -> None:
    with pytest.raises(Invalid) as caught, catalogue.write(ADMIN) as writer:
        assets.register(writer, record(links=[{"name": "Download", "url": url}]))
    assert [p.field for p in caught.value.problems] == ["links.0.url"]
    message = caught.value.problems[0].message
    assert "http:// or https://" in message or "with a host" in message or "control" in message
    assert stored_keys(catalogue) == set()


@pytest.mark.parametrize("location", SCRIPT_LOCATIONS)
def test_the_service_refuses_a_script_location(catalogue: Catalogue, location: str) -> None:
    with pytest.raises(Invalid) as caught, catalogue.write(ADMIN) as writer:
        assets.register(writer, record(location=location))
    assert [p.field for p in caught.value.problems] == ["location"]
    assert stored_keys(catalogue) == set()


def test_web_addresses_and_paths_are_kept(catalogue: Catalogue) -> None:
    with catalogue.write(ADMIN) as writer:
        for n, (url, location) in enumerate(zip(GOOD_LINKS, GOOD_LOCATIONS, strict=False)):
            links = [{"name": "Download", "url": url}]
            assets.register(writer, record(key=f"a{n}", links=links, location=location))
        assets.register(writer, record(key="paths", location=GOOD_LOCATIONS[-1]))
    with catalogue.reading(ADMIN) as reader:
        assert assets.get(reader, "a2")["links"][0]["url"] == "mailto:x@y.gov.uk"
        assert assets.get(reader, "a1")["location"] == "S:\\Housing\\Lettings"


def test_a_catalogue_file_with_a_script_link_is_refused_naming_the_line(
    run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(
        "assets:\n"
        "  - key: rents\n"
        "    kind: dataset\n"
        "    title: Rents\n"
        "    links:\n"
        "      - name: Download\n"
        "        url: 'javascript:alert(1)'\n",
        encoding="utf-8",
    )
    result = run("apply", str(path))
    assert result.exit_code == 1, result.output
    assert "register.yaml" in result.output and "links.0.url" in result.output
    assert "Traceback" not in result.output
    assert run("list", "--format", "json").output.strip() in ("[]", "")


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def admin_headers(catalogue: Catalogue) -> dict[str, str]:
    with catalogue.sessions.begin() as session:
        accounts.add_user(
            session, ADMIN, "peter.ng", name="Peter Ng", role="admin",
            email="peter.ng@example.gov.uk", department="Digital & Data",
        )  # fmt: skip
        secret = tokens.create_token(session, ADMIN, "peter.ng", "tests").secret
    return {"Authorization": f"Bearer {secret}"}


def test_the_api_refuses_script_links_and_locations(
    app: Flask, catalogue: Catalogue, admin_headers: dict[str, str]
) -> None:
    client = app.test_client()
    posted = client.post(
        "/api/v1/assets",
        json=record(links=[{"name": "x", "url": "javascript:alert(1)"}]),
        headers=admin_headers,
    )
    assert posted.status_code == 422 and posted.mimetype == "application/problem+json"
    assert "links.0.url" in json.dumps(posted.json["errors"])
    assert stored_keys(catalogue) == set()
    assert client.post("/api/v1/assets", json=record(), headers=admin_headers).status_code == 201
    etag = client.get("/api/v1/assets/rents", headers=admin_headers).headers["ETag"]
    patched = client.patch(
        "/api/v1/assets/rents",
        json={"location": "javascript:alert(1)"},
        headers=admin_headers | {"If-Match": etag},
    )
    assert patched.status_code == 422 and "location" in json.dumps(patched.json["errors"])
    with catalogue.reading(ADMIN) as reader:
        assert assets.get(reader, "rents")["location"] is None


def test_an_openlineage_event_naming_a_script_is_refused(
    app: Flask, catalogue: Catalogue, admin_headers: dict[str, str]
) -> None:
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-01-05T02:00:00Z",
        "producer": "https://example.gov.uk/etl",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0190f6a4-7c1e-7cc0-8f4a-3c7d6b1e2f00"},
        "job": {"namespace": "etl", "name": "load_rents"},
        "inputs": [{"namespace": "javascript:alert(1)", "name": "rents"}],
        "outputs": [],
    }
    response = app.test_client().post("/api/v1/lineage", json=event, headers=admin_headers)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert "location" in response.get_data(as_text=True)
    assert stored_keys(catalogue) == set()


@pytest.mark.parametrize("where", ["resource", "package"])
def test_a_ckan_import_with_a_script_address_is_refused(
    run: Runner, tmp_path: Path, where: str
) -> None:
    package = {
        "name": "rents",
        "title": "Rents",
        "resources": [{"name": "CSV", "url": "https://data.example.gov.uk/rents.csv"}],
    }
    if where == "resource":
        package["resources"][0]["url"] = "javascript:alert(1)"
    else:
        package["url"] = "javascript:alert(1)"
    path = tmp_path / "packages.jsonl"
    path.write_text(json.dumps(package) + "\n", encoding="utf-8")
    result = run("import", "ckan", str(path))
    assert result.exit_code == 1, result.output
    assert "packages.jsonl:1" in result.output
    assert ("links.0.url" if where == "resource" else "location") in result.output
    assert "Traceback" not in result.output

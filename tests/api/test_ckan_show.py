"""CKAN ``package_show`` reads the one package asked for, not every package,
and answers exactly as the search does, for every caller: by name (a harvested
key's hashed name too), by key and by id; "not found" for what the caller may
not see, for a retired package's id and name, and for an asset that is no
package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from catalogue.models import Asset
from catalogue.store import Catalogue
from tests.api.ckan_catalogues import GRANTED, callers, seed
from tests.api.conftest import Tokens


def action(client: FlaskClient, name: str, headers: dict[str, str], **params: Any) -> Any:
    return client.post(f"/api/3/action/{name}", json=params, headers=headers)


@contextmanager
def assets_loaded() -> Iterator[list[str]]:
    """The keys of the asset rows the catalogue loads meanwhile."""
    loaded: list[str] = []

    def count(target: Asset, context: object) -> None:
        loaded.append(target.key)

    event.listen(Asset, "load", count)
    try:
        yield loaded
    finally:
        event.remove(Asset, "load", count)


@pytest.mark.parametrize("caller", ["anonymous", "viewer", "steward", "grantee"])
def test_package_show_answers_as_the_search_does_for_every_caller(
    cat: Catalogue, client: FlaskClient, tokens_for: Tokens, caller: str
) -> None:
    keys = seed(cat)
    headers = callers(cat, tokens_for)[caller]
    admin = tokens_for.headers("peter.ng", "admin", "Digital & Data")
    every = action(client, "package_search", admin, rows=1000, include_private=True)
    visible = action(client, "package_search", headers, rows=1000, include_private=True)
    packages = {p["name"]: p for p in visible.json["result"]["results"]}
    assert packages and len(packages) < every.json["result"]["count"]
    assert (GRANTED in packages) == (caller == "grantee")
    for package in every.json["result"]["results"]:
        key = next(e["value"] for e in package["extras"] if e["key"] == "catalogue_key")
        for wanted in {package["name"], package["id"], key}:
            shown = action(client, "package_show", headers, id=wanted)
            if package["name"] in packages:
                assert shown.status_code == 200, (wanted, shown.json)
                assert shown.json["result"] == packages[package["name"]]
            else:
                assert shown.status_code == 404, wanted
                assert shown.json["error"]["__type"] == "Not Found Error"
    retired = keys[20]
    by_key = action(client, "package_show", admin, id=retired)
    assert by_key.status_code == 200 and by_key.json["result"]["state"] == "deleted"
    assert action(client, "package_show", admin, id=by_key.json["result"]["id"]).status_code == 404
    system = action(client, "package_show", headers, id="gen-002")  # a source system
    assert system.status_code == 404
    assert action(client, "package_show", headers, id="no-such-package").status_code == 404


def test_package_show_loads_one_asset_not_every_package(
    cat: Catalogue, client: FlaskClient, tokens_for: Tokens
) -> None:
    seed(cat)
    viewer = tokens_for.headers("ahmed.khan", "viewer", "Housing")
    found = action(client, "package_search", viewer, rows=3, include_private=True)
    assert found.json["result"]["count"] > 20
    package = found.json["result"]["results"][2]
    dotted = action(client, "package_search", viewer, fq="name:db-*", rows=1, include_private=True)
    hashed = dotted.json["result"]["results"][0]["name"]
    for wanted in (package["name"], package["id"], hashed, "db-17.public.table_17"):
        with assets_loaded() as loaded:
            shown = action(client, "package_show", viewer, id=wanted)
        assert shown.status_code == 200, wanted
        assert len(loaded) == 1, (wanted, len(loaded))

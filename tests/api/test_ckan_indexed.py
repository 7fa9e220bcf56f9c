"""CKAN ``package_search`` with free text is answered from the search index
(paged and filtered there); every other request reads every visible package.
Both must give a CKAN client the same packages, count and order, for every kind
of caller: asking for a facet sends the same search down the other path, so the
two answers are compared over HTTP on a catalogue large enough to need several
of the index's pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from catalogue.services import assets
from catalogue.store import Catalogue
from tests.api.conftest import SEEDER, Tokens

KINDS = ("dataset", "report", "source_system", "pipeline")
ACCESS = ("open", "internal", "restricted")
DEPARTMENTS = ("Housing", "Finance")
WORDS = ("rent arrears", "rent", "council tax arrears", "rent accounts ward", "bins")


def seed_many(cat: Catalogue, count: int = 330) -> None:
    """``count`` assets of every kind, access and department, most about rent."""
    with cat.write(SEEDER) as writer:
        for i in range(count):
            words = WORDS[i % len(WORDS)]
            assets.register(
                writer,
                {
                    "key": f"asset-{i:03d}",
                    "kind": KINDS[i % len(KINDS)],
                    "title": f"{words.title()} {i}",
                    "description": f"Figures on {WORDS[(i // 3) % len(WORDS)]}, number {i}.",
                    "department": DEPARTMENTS[(i // 2) % 2],
                    "access": ACCESS[(i // 4) % len(ACCESS)],
                    "tags": ["rent"] if i % 7 == 0 else [],
                },
            )


def search(client: FlaskClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.post("/api/3/action/package_search", json=params, headers=headers)
    assert response.status_code == 200, response.json
    return response.json["result"]


@pytest.mark.parametrize("caller", ["anonymous", "viewer", "finance", "admin"])
def test_text_search_through_the_index_matches_the_full_search(
    cat: Catalogue, client: FlaskClient, tokens_for: Tokens, caller: str
) -> None:
    seed_many(cat)
    headers = {
        "anonymous": {},
        "viewer": tokens_for.headers("ahmed.khan", "viewer", "Housing"),
        "finance": tokens_for.headers("li.wei", "steward", "Finance"),
        "admin": tokens_for.headers("peter.ng", "admin", "Digital & Data"),
    }[caller]
    windows = [
        {"rows": 1000},
        {"rows": 7, "start": 95},  # across the index's first and second pages
        {"rows": 30, "start": 150},
        {"rows": 0},
        {"rows": 10, "start": 5000},  # past the end
    ]
    for q in ("rent", "arrears ward", "bins", "no such words at all"):
        for private in (False, True):
            for window in windows:
                params = {"q": q, "include_private": private, **window}
                indexed = search(client, headers, **params)
                full = search(client, headers, **params, **{"facet.field": ["access"]})
                assert indexed["count"] == full["count"], params
                assert [p["name"] for p in indexed["results"]] == [
                    p["name"] for p in full["results"]
                ], params
                assert indexed["results"] == full["results"], params
                assert indexed["facets"] == {} and indexed["search_facets"] == {}


def test_text_search_through_the_index_keeps_what_callers_may_see(
    cat: Catalogue, client: FlaskClient, tokens_for: Tokens
) -> None:
    seed_many(cat)
    admin = tokens_for.headers("peter.ng", "admin", "Digital & Data")
    everything = search(client, admin, q="rent", rows=1000, include_private=True)
    assert everything["count"] > 100  # more than one of the index's pages
    assert len(everything["results"]) == everything["count"]
    anonymous = search(client, {}, q="rent", rows=1000, include_private=True)
    assert 0 < anonymous["count"] < everything["count"]
    assert not any(p["private"] for p in anonymous["results"])  # only open packages
    viewer = tokens_for.headers("ahmed.khan", "viewer", "Housing")
    private = search(client, viewer, q="rent", rows=1000, include_private=True)
    assert anonymous["count"] < private["count"] <= everything["count"]
    numbers = [int(p["name"].split("-")[1]) for p in everything["results"]]
    assert all(n % 4 in (0, 1) for n in numbers)  # datasets and reports, no systems

"""The staff search fixes on the demo borough, through what people use: the
search page, the API and `catalogue search`. An English council writes SEND
(special educational needs and disabilities) in titles and tags; "SEN" must find
those, and a weak strict answer is widened and says so on every surface."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import Tokens
from tests.conftest import Runner

SEND_DATASETS = {"send-ehc-requests", "send-ehc-plans"}


@pytest.fixture
def viewer(demo_app: Flask) -> dict[str, str]:
    return Tokens(demo_app.extensions["catalogue"]).headers("staff.viewer", "viewer", "Education")


def api_search(client: FlaskClient, headers: dict[str, str], q: str) -> dict:
    response = client.get("/api/v1/search", query_string={"q": q, "per_page": 50}, headers=headers)
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize("q", ["SEN", "special educational needs", "SEND"])
def test_sen_finds_the_send_datasets(demo_app: Flask, viewer: dict[str, str], q: str) -> None:
    found = api_search(demo_app.test_client(), viewer, q)
    assert found["suggestion"] is None and found["corrected_query"] is None
    assert {h["key"] for h in found["hits"]} >= SEND_DATASETS
    assert found["partial_match"] is False


def test_a_weak_answer_is_widened_and_says_so(
    demo_app: Flask, viewer: dict[str, str], demo_run: Runner
) -> None:
    client = demo_app.test_client()
    found = api_search(client, viewer, "library opening")
    assert found["partial_match"] is True and found["no_good_match"] is False
    assert {"library-loans", "library-members"} <= {h["key"] for h in found["hits"]}
    assert api_search(client, viewer, "library loans")["partial_match"] is False
    # Anonymous people see open data only: "car parking charges" is weak there too.
    page = client.get("/search?q=car+parking+charges").get_data(as_text=True)
    assert 'id="partial-match"' in page and "results with some of those words" in page
    assert 'href="/assets/controlled-parking-zones"' in page
    strong = client.get("/search?q=controlled+parking+zones").get_data(as_text=True)
    assert 'id="partial-match"' not in strong
    printed = demo_run("search", "library", "opening").output
    assert "results with some of them are shown too" in printed
    assert "[library-loans]" in printed

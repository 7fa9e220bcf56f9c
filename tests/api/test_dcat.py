"""DCAT-AP 3: rdflib parses every document, and every open dataset carries the
mandatory properties (and what a council publishes: publisher, contact point,
keywords, theme, licence, access rights, update frequency, modified)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from catalogue.api import dcat
from catalogue.config import Settings
from catalogue.store import Catalogue
from tests.api.conftest import _app

# rdflib's own JSON-LD parser builds a ConjunctiveGraph, which rdflib 7 deprecates.
pytestmark = [
    pytest.mark.calendar,
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
OPEN_DATASETS = {"bin-collections", "rent-arrears-summary", "rpt-arrears-dashboard"}
FORMATS = {"ttl": "turtle", "jsonld": "json-ld"}


def parse(client: FlaskClient, url: str, **kwargs: Any) -> Graph:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.data[:500]
    fmt = FORMATS[url.split("?")[0].rsplit(".", 1)[1]]
    assert response.mimetype == dcat.FORMATS[url.split("?")[0].rsplit(".", 1)[1]][1]
    return Graph().parse(data=response.get_data(as_text=True), format=fmt)


def one(g: Graph, subject: Any, prop: Any) -> Any:
    values = list(g.objects(subject, prop))
    assert len(values) == 1, f"{subject} has {len(values)} {prop}"
    return values[0]


def check_mandatory(g: Graph) -> set[str]:
    """Assert DCAT-AP 3's mandatory properties; return the datasets' identifiers."""
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    for prop in (DCTERMS.title, DCTERMS.description):
        assert list(g.objects(catalogs[0], prop))
    one(g, catalogs[0], DCTERMS.publisher)
    keys = set()
    for dataset in g.subjects(RDF.type, DCAT.Dataset):
        assert str(one(g, dataset, DCTERMS.title)) and str(one(g, dataset, DCTERMS.description))
        keys.add(str(one(g, dataset, DCTERMS.identifier)))
    for distribution in g.subjects(RDF.type, DCAT.Distribution):
        assert isinstance(one(g, distribution, DCAT.accessURL), URIRef)
    for agent in set(g.subjects(RDF.type, FOAF.Agent)) | set(g.objects(None, DCTERMS.publisher)):
        assert str(one(g, agent, FOAF.name))
    return keys


@pytest.mark.parametrize("fmt", ["ttl", "jsonld"])
def test_anonymous_catalogue_lists_the_open_datasets(
    client: FlaskClient, borough: Catalogue, fmt: str
) -> None:
    g = parse(client, f"/catalog.{fmt}")
    assert check_mandatory(g) == OPEN_DATASETS
    catalog = next(g.subjects(RDF.type, DCAT.Catalog))
    assert {str(d).rsplit("/", 1)[1] for d in g.objects(catalog, DCAT.dataset)} == OPEN_DATASETS
    assert (
        str(one(g, one(g, catalog, DCTERMS.publisher), FOAF.name)) == "London Borough of Thamesbury"
    )


def without_paging(g: Graph) -> Graph:
    """The graph less its Hydra paging node (whose URL names the format)."""
    for page in list(g.subjects(RDF.type, HYDRA.PagedCollection)):
        g.remove((page, None, None))
    return g


def test_turtle_and_json_ld_say_the_same(client: FlaskClient, borough: Catalogue) -> None:
    turtle, json_ld = parse(client, "/catalog.ttl"), parse(client, "/catalog.jsonld")
    assert isomorphic(without_paging(turtle), without_paging(json_ld))
    for key in OPEN_DATASETS:
        turtle = parse(client, f"/dataset/{key}.ttl")
        assert isomorphic(turtle, parse(client, f"/dataset/{key}.jsonld"))


def test_a_dataset_says_what_a_council_publishes(client: FlaskClient, borough: Catalogue) -> None:
    g = parse(client, "/dataset/rent-arrears-summary.ttl")
    dataset = next(g.subjects(RDF.type, DCAT.Dataset))
    assert str(dataset).endswith("/dataset/rent-arrears-summary")
    assert str(one(g, dataset, DCTERMS.title)) == "Rent arrears by ward"
    assert str(one(g, one(g, dataset, DCTERMS.publisher), FOAF.name)) == "Housing"
    contact = one(g, dataset, DCAT.contactPoint)
    assert str(one(g, contact, VCARD.fn)) == "Aisha Begum"
    assert str(one(g, contact, VCARD.hasEmail)) == "mailto:housing.data@thamesbury.gov.uk"
    assert {str(k) for k in g.objects(dataset, DCAT.keyword)} == {"arrears", "housing"}
    assert str(one(g, dataset, DCAT.theme)).endswith("/data-theme/SOCI")
    ogl = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
    assert str(one(g, dataset, DCTERMS.license)) == ogl
    assert str(one(g, dataset, DCTERMS.accessRights)).endswith("/access-right/PUBLIC")
    assert str(one(g, dataset, DCTERMS.accrualPeriodicity)).endswith("/frequency/QUARTERLY")
    assert str(one(g, dataset, DCTERMS.modified)) == "2026-10-01"
    distribution = one(g, dataset, DCAT.distribution)
    assert str(one(g, distribution, DCAT.accessURL)) == "https://data.thamesbury.gov.uk/arrears.csv"
    assert str(one(g, distribution, DCTERMS.license)) == ogl
    assert str(one(g, distribution, DCTERMS.format)).endswith("/file-type/CSV")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/dataset/rent-accounts.ttl", 404),
        ("/dataset/sys-northgate.jsonld", 404),
        ("/dataset/safeguarding-referrals.ttl", 404),
        ("/dataset/nothing-here.ttl", 404),
        ("/catalog.ttl?page=0", 422),
        ("/catalog.jsonld?page=abc", 422),
        ("/catalog.ttl?page=99999999999999999999", 422),
        ("/catalog.ttl?modified_since=last-week", 422),
    ],
)
def test_what_is_not_published_or_not_understood(
    client: FlaskClient, borough: Catalogue, url: str, status: int
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_signed_in_callers_may_ask_for_more(
    client: FlaskClient, borough: Catalogue, steward: dict[str, str]
) -> None:
    g = parse(client, "/dataset/rent-accounts.ttl", headers=steward)
    dataset = next(g.subjects(RDF.type, DCAT.Dataset))
    assert str(one(g, dataset, DCTERMS.accessRights)).endswith("/access-right/NON_PUBLIC")
    everything = parse(client, "/catalog.ttl?include_private=true", headers=steward)
    assert check_mandatory(everything) == OPEN_DATASETS | {"rent-accounts"}
    anonymous = parse(client, "/catalog.ttl?include_private=true")
    assert check_mandatory(anonymous) == OPEN_DATASETS


def test_modified_since(client: FlaskClient, borough: Catalogue) -> None:
    assert check_mandatory(parse(client, "/catalog.ttl?modified_since=2001-01-01")) == OPEN_DATASETS
    assert check_mandatory(parse(client, "/catalog.ttl?modified_since=2999-01-01")) == set()


@pytest.fixture
def demo_client(demo_settings: Settings) -> Any:
    app: Flask = _app(demo_settings)
    yield app.test_client()
    app.extensions["catalogue"].close()


def test_the_demo_borough_pages_and_every_document_parses(
    demo_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dcat, "PER_PAGE", 4)
    listed = demo_client.get("/api/v1/assets?per_page=500").json["items"]
    expected = {a["key"] for a in listed if a["kind"] in ("dataset", "report")}
    assert len(expected) > 8
    for fmt in FORMATS:
        seen: set[str] = set()
        url: str | None = f"/catalog.{fmt}"
        pages = 0
        while url:
            g = parse(demo_client, url)
            seen |= check_mandatory(g)
            collection = next(g.subjects(RDF.type, HYDRA.PagedCollection))
            assert int(one(g, collection, HYDRA.totalItems)) == len(expected)
            following = list(g.objects(collection, HYDRA.nextPage))
            url = str(following[0]).split("://", 1)[1].split("/", 1)[1] if following else None
            url = f"/{url}" if url else None
            pages += 1
        assert seen == expected and pages == -(-len(expected) // 4)
    for key in sorted(expected):
        check_mandatory_dataset(parse(demo_client, f"/dataset/{key}.ttl"))
        check_mandatory_dataset(parse(demo_client, f"/dataset/{key}.jsonld"))


def check_mandatory_dataset(g: Graph) -> None:
    dataset = one_subject(g, DCAT.Dataset)
    assert str(one(g, dataset, DCTERMS.title)) and str(one(g, dataset, DCTERMS.description))
    assert str(one(g, one(g, dataset, DCTERMS.publisher), FOAF.name))
    for distribution in g.objects(dataset, DCAT.distribution):
        one(g, distribution, DCAT.accessURL)


def one_subject(g: Graph, kind: Any) -> Any:
    subjects = list(g.subjects(RDF.type, kind))
    assert len(subjects) == 1
    return subjects[0]

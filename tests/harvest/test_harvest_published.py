"""Harvested assets are ordinary assets where the catalogue publishes: once a
steward opens one, CKAN's Action API (`package_show`, `package_search`) and DCAT
(`/catalog.ttl`, the dataset's own document) show it, conforming to the
DCAT-AP 3 SHACL shapes; what the steward has not opened stays unpublished, and
the database's address is never offered as a download."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from catalogue import create_app
from catalogue.services import assets
from catalogue.services.publishing import package_name
from catalogue.store import Catalogue
from tests.api.dcat_ap import violations
from tests.conftest import Runner
from tests.harvest.sources import Source, source_database

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")


@pytest.fixture
def published(
    backend: str, tmp_path: Path, run: Runner, catalogue: Catalogue
) -> Iterator[tuple[Source, FlaskClient]]:
    """A real source harvested for Housing, and one table opened by its steward."""
    with source_database(backend, tmp_path) as source:
        result = run(
            "harvest", "database", source.url, "--source-system", "housing-db",
            "--department", "Housing", *source.schema_options,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        with catalogue.write("aisha.begum") as writer:
            assets.update(
                writer,
                f"housing-db.{source.prefix}properties",
                {
                    "access": "open",
                    "licence": "OGL-UK-3.0",
                    "description": "Council homes by UPRN and the ward each is in.",
                    "tags": ["housing", "property"],
                },
            )
        app = create_app(catalogue.settings)
        try:
            yield source, app.test_client()
        finally:
            app.extensions["catalogue"].close()


def ckan(client: FlaskClient, action: str, **params: str) -> dict:
    response = client.get(f"/api/3/action/{action}", query_string=params)
    return {"status": response.status_code, **response.json}


def test_ckan_shows_an_opened_harvested_table(published: tuple[Source, FlaskClient]) -> None:
    source, client = published
    key = f"housing-db.{source.prefix}properties"
    shown = ckan(client, "package_show", id=key)
    assert shown["status"] == 200 and shown["success"] is True
    package = shown["result"]
    # Its key has dots, which CKAN refuses in a name: it gets one CKAN accepts.
    name = package_name(key)
    assert package["name"] == name != key and package["title"] == "properties"
    assert re.fullmatch(r"[a-z0-9_-]{2,100}", name)
    assert package["notes"] == "Council homes by UPRN and the ward each is in."
    assert package["organization"]["title"] == "Housing"
    assert package["license_id"] == "uk-ogl"  # CKAN's id for OGL-UK-3.0
    assert {t["name"] for t in package["tags"]} == {"housing", "property"}
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["catalogue_key"] == key and extras["kind"] == "dataset"
    # The database's address is no download: nothing a browser could fetch.
    assert all(not (r.get("url") or "").startswith(("sqlite", "postgresql")) for r in
               package["resources"])  # fmt: skip
    assert source.url.split("@")[-1] not in str(package)
    found = ckan(client, "package_search", q="properties ward")["result"]
    assert name in [p["name"] for p in found["results"]]
    # What the steward has not opened is not published, nor is the source system.
    for hidden in (f"housing-db.{source.prefix}tenants", "housing-db"):
        assert ckan(client, "package_show", id=hidden)["status"] == 404
    everything = ckan(client, "package_search", rows="1000")["result"]
    assert [p["name"] for p in everything["results"]] == [name]


def turtle(client: FlaskClient, url: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, (url, response.data[:300])
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def test_dcat_publishes_an_opened_harvested_table(published: tuple[Source, FlaskClient]) -> None:
    source, client = published
    key = f"housing-db.{source.prefix}properties"
    catalog = turtle(client, "/catalog.ttl")
    datasets = [str(d) for d in catalog.subjects(RDF.type, DCAT.Dataset)]
    assert [d.rsplit("/dataset/", 1)[1] for d in datasets] == [key]
    own = turtle(client, f"/dataset/{key}.ttl")
    dataset = URIRef(datasets[0])
    assert str(own.value(dataset, DCTERMS.title)) == "properties"
    assert "UPRN" in str(own.value(dataset, DCTERMS.description))
    assert {str(k) for k in own.objects(dataset, DCAT.keyword)} == {"housing", "property"}
    assert "sqlite:" not in own.serialize(format="turtle")
    assert "postgresql:" not in own.serialize(format="turtle")
    assert violations(catalog) == []
    assert violations(own) == []
    tenants = client.get(f"/dataset/housing-db.{source.prefix}tenants.ttl")
    assert tenants.status_code == 404

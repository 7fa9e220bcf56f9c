"""DCAT-AP 3 on real data: after importing the Scottish councils' open data
(2,127 CKAN packages whose formats are free text: "ArcGIS Hub Dataset", "MS
Excel", "OGC WMS"), every catalogue page and every dataset answers 200 as Turtle
and JSON-LD, and the catalogue (and the demo borough's) conforms to the official
DCAT-AP 3 SHACL shapes, mandatory and range (tests/api/dcat_ap_shacl/README.md
names their source and licence)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS

from catalogue.api import dcat, file_types
from catalogue.config import Settings
from tests.api.conftest import _app
from tests.api.dcat_ap import violations
from tests.conftest import Runner, full_corpus

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
FORMATS = {"ttl": "turtle", "jsonld": "json-ld"}


def fetch(client: FlaskClient, url: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, (url, response.data[:300])
    fmt = FORMATS[url.split("?")[0].rsplit(".", 1)[1]]
    return Graph().parse(data=response.get_data(as_text=True), format=fmt)


def catalogue_pages(client: FlaskClient, fmt: str) -> list[Graph]:
    first = fetch(client, f"/catalog.{fmt}")
    total = int(next(first.objects(None, dcat.HYDRA.totalItems)))
    pages = -(-total // dcat.PER_PAGE)
    return [first] + [fetch(client, f"/catalog.{fmt}?page={n}") for n in range(2, pages + 1)]


def test_the_scottish_import_publishes_valid_dcat_ap(run: Runner, client: FlaskClient) -> None:
    result = run("import", "ckan", str(full_corpus("catalogues", "opendata-scotland.jsonl")))
    assert result.exit_code == 0 and "2127 create" in result.output
    turtle = catalogue_pages(client, "ttl")
    json_ld = catalogue_pages(client, "jsonld")
    assert len(turtle) == len(json_ld) == 22
    whole = Graph()
    for page in turtle:
        whole += page
    datasets = sorted(str(d).rsplit("/", 1)[1] for d in whole.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 2127
    whole_json_ld = Graph()
    for page in json_ld:
        whole_json_ld += page
    in_json_ld = {str(d) for d in whole_json_ld.subjects(RDF.type, DCAT.Dataset)}
    assert sorted(d.rsplit("/", 1)[1] for d in in_json_ld) == datasets
    assert violations(whole) == []
    assert violations(whole_json_ld) == []
    for key in datasets:
        fetch(client, f"/dataset/{key}.ttl")
        fetch(client, f"/dataset/{key}.jsonld")
    # Free-text formats: EU terms where the vocabulary has one, the portal's words otherwise.
    formats = set(whole.objects(None, DCTERMS.format))
    eu = {str(f).rsplit("/", 1)[1] for f in formats if isinstance(f, URIRef)}
    assert {"CSV", "XLS", "WMS_SRVC", "WFS_SRVC", "REST", "GEOJSON", "KML"} <= eu
    labels = {str(whole.value(f, RDFS.label)) for f in formats if not isinstance(f, URIRef)}
    assert "ARCGIS HUB DATASET" in labels and "No file type" not in labels


def test_the_demo_borough_conforms(demo_settings: Settings) -> None:
    app = _app(demo_settings)
    try:
        client = app.test_client()
        g = fetch(client, "/catalog.ttl?include_private=true")
        assert len(set(g.subjects(RDF.type, DCAT.Dataset))) > 8
        assert violations(g) == []
        assert violations(fetch(client, "/catalog.jsonld")) == []
    finally:
        app.extensions["catalogue"].close()


@pytest.mark.parametrize(
    ("fmt", "url", "code", "media_type"),
    [
        ("CSV", "https://x.example/a.csv", "CSV", "text/csv"),
        ("MS EXCEL", "https://x.example/a.xls", "XLS", "application/vnd.ms-excel"),
        ("MS Excel", "https://x.example/a.xlsx?v=2", "XLSX", file_types.MEDIA_TYPES["XLSX"]),
        ("OGC WMS", "https://x.example/wms", "WMS_SRVC", None),
        ("WEB FEATURE SERVICE (WFS)", "https://x.example/wfs", "WFS_SRVC", None),
        ("ARCGIS GEOSERVICE", "https://x.example/FeatureServer/0", "REST", None),
        ("7-Zip compressed file", "https://x.example/a.7z", "7Z", "application/x-7z-compressed"),
        (".geojson", "https://x.example/a", "GEOJSON", "application/geo+json"),
        ("text/csv", "https://x.example/a", "CSV", "text/csv"),
        ("ArcGIS Hub Dataset", "https://x.example/", None, None),
    ],
)
def test_free_text_formats(fmt: str, url: str, code: str | None, media_type: str | None) -> None:
    found = file_types.file_type(fmt, url)
    assert found is not None
    assert (found.code, found.label, found.media_type) == (code, fmt, media_type)


@pytest.mark.parametrize("fmt", [None, "", "No file type", "OTHER", "url"])
def test_formats_that_say_nothing(fmt: str | None) -> None:
    assert file_types.file_type(fmt, "https://x.example/") is None

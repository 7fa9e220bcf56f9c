"""CKAN as the real ckanapi client meets it on a real catalogue: after importing
the Scottish councils' 2,127 packages, ``title`` filters like CKAN's tokenised
text field, an unknown ``package_search`` parameter is refused as CKAN refuses
it, and a package keeps its source portal's ``metadata_created`` and
``metadata_modified``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import ckanapi
import pytest
from flask.testing import FlaskClient

from tests.conftest import Runner, full_corpus, shared_data

SCOTLAND = ("catalogues", "opendata-scotland.jsonl")


@pytest.fixture
def scotland(run: Runner, live: str) -> Iterator[ckanapi.RemoteCKAN]:
    result = run("import", "ckan", str(full_corpus(*SCOTLAND)))
    assert result.exit_code == 0 and "2127 create" in result.output
    with ckanapi.RemoteCKAN(live, user_agent="ckanapi-tests") as remote:
        yield remote


def recycling_titles() -> int:
    """Packages of the source whose title has the word "recycling"."""
    with full_corpus(*SCOTLAND).open(encoding="utf-8") as lines:
        titles = [json.loads(line)["title"] for line in lines if line.strip()]
    return sum(1 for t in titles if "recycling" in t.lower().split())


def test_title_is_tokenised_text(scotland: ckanapi.RemoteCKAN) -> None:
    def titles(**params: str) -> list[str]:
        found = scotland.action.package_search(rows=1000, **params)
        assert found["count"] == len(found["results"])
        return [p["title"] for p in found["results"]]

    recycling = titles(fq="title:recycling")
    assert len(recycling) == recycling_titles() == 18
    assert all("recycling" in t.lower() for t in recycling)
    assert titles(fq="title:Recycling") == recycling  # any case
    phrase = titles(fq='title:"waste facilities"')
    assert phrase and all("waste facilities" in t.lower() for t in phrase)
    assert not titles(fq='title:"facilities waste"')
    assert set(titles(fq="title:recycl*")) >= set(recycling)
    assert titles(fq="title:recycling title:points") == [
        t for t in recycling if "points" in t.lower().split()
    ]
    assert titles(fq="name:recycling") == []  # name is a string, matched whole


def test_unknown_search_parameters_are_refused(scotland: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.SearchQueryError) as refused:
        scotland.action.package_search(q="bins", colour="red", fq="title:bins")
    assert "Invalid search parameters: ['colour']" in str(refused.value)
    found = scotland.action.package_search(q="bins", fl="name", include_drafts=True, facet="true")
    assert found["count"] > 0


def test_unknown_parameters_answer_400_as_ckan(client: FlaskClient, run: Runner) -> None:
    response = client.get("/api/3/action/package_search?q=bins&qq=x")
    assert response.status_code == 400
    assert response.json["error"] == {
        "__type": "Search Query Error",
        "message": "Search Query Error: Invalid search parameters: ['qq']",
    }


BIRMINGHAM = ("catalogues", "birmingham-package-search.json")


def test_imported_packages_keep_their_source_times(
    run: Runner, live: str, client: FlaskClient
) -> None:
    """A harvester comparing runs sees the source portal's metadata_created and
    metadata_modified (to the microsecond), not the day of the import; DCAT's
    dct:issued says the same; re-importing changes nothing."""
    path = shared_data(*BIRMINGHAM)
    source = {
        p["name"]: p for p in json.loads(path.read_text(encoding="utf-8"))["result"]["results"]
    }
    assert run("import", "ckan", str(path)).exit_code == 0
    with ckanapi.RemoteCKAN(live, user_agent="ckanapi-tests") as remote:
        for name, package in source.items():
            shown = remote.action.package_show(id=name)
            assert shown["metadata_created"] == package["metadata_created"], name
            assert shown["metadata_modified"] == package["metadata_modified"], name
        found = remote.action.package_search(sort="metadata_created asc", rows=100)["results"]
    assert [p["name"] for p in found] == sorted(source, key=lambda n: source[n]["metadata_created"])
    name, package = next(iter(source.items()))
    turtle = client.get(f"/dataset/{name}.ttl").get_data(as_text=True)
    assert package["metadata_created"][:19] in turtle
    again = run("import", "ckan", str(path))
    assert again.exit_code == 0 and f"{len(source)} unchanged" in again.output

"""The searches non-technical staff got wrong answers to, on the Scottish
councils' 2,127 open datasets (../shared/data/catalogues/opendata-scotland.jsonl):
an acronym "corrected" into another word, a synonym that is also an English verb,
two designations listed as synonyms, and strict AND leaving out what was meant.
The judged set behind benchmarks/bench_judged_search.py is checked here too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.bench_judged_search import hits_at_3, judged_queries
from catalogue.importers.ckan import package_to_record, read_packages
from search import SearchIndex, SearchRequest
from search.analysis import stems
from search.synonyms import council_groups, load_synonyms
from tests.conftest import full_corpus

ASN = "scottish-government-pupil-attainment-additional-support-needs-159f38"


@pytest.fixture(scope="module")
def scotland(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    path = full_corpus("catalogues", "opendata-scotland.jsonl")
    records = [package_to_record(pkg) for _, pkg in read_packages(path)]
    index = SearchIndex(Path(tmp_path_factory.mktemp("scotland-staff")) / "index")
    index.rebuild(records, seq=len(records))
    yield index
    index.close()


def search(index: SearchIndex, q: str, per_page: int = 10) -> object:
    return index.search(SearchRequest(q=q, per_page=per_page))


@pytest.mark.parametrize("q", ["SEN", "sen", "special educational needs", "ASN"])
def test_sen_finds_additional_support_needs_and_is_not_corrected(
    scotland: SearchIndex, q: str
) -> None:
    results = search(scotland, q, 3)
    assert results.suggestion is None and results.corrected_query is None
    assert results.hits[0].key == ASN
    assert not any("see" in reason for hit in results.hits for reason in hit.matched)


def test_acronyms_in_the_synonym_list_are_never_spell_corrected(scotland: SearchIndex) -> None:
    acronyms = {
        member.strip("[]")
        for group in council_groups()
        for member in group
        if re.fullmatch(r"\[?[a-z]{2,5}\]?", member)
    }
    assert {"sen", "asn", "hmo", "tpo", "foi", "nndr", "cctv", "send"} <= acronyms
    for word in sorted(acronyms):
        results = search(scotland, word.upper(), 3)
        assert results.suggestion is None and results.corrected_query is None, word


def test_the_verb_send_is_not_special_educational_needs(scotland: SearchIndex) -> None:
    found = search(scotland, "special educational needs", 50)
    titles = [h.title for h in found.hits]
    assert "Dog Waste Bins" not in titles and not any("Garden" in t for t in titles)
    assert all("synonym: send" not in h.matched for h in found.hits)


def test_conservation_areas_are_not_listed_buildings(scotland: SearchIndex) -> None:
    listed = search(scotland, "listed buildings", 100)
    assert listed.hits[0].title == "Listed Buildings and Other Statutory Heritage Features"
    assert not any(r.startswith("synonym: conservation") for h in listed.hits for r in h.matched)
    assert listed.total < 40  # 89 when every conservation area came along
    areas = search(scotland, "conservation areas", 100)
    assert not any(r.startswith("synonym: listed") for h in areas.hits for r in h.matched)
    synonyms = load_synonyms()
    assert tuple(stems("listed building")) not in synonyms.alternatives(
        tuple(stems("conservation area"))
    )


def test_car_parking_charges_lists_the_car_parks_and_says_so(scotland: SearchIndex) -> None:
    results = search(scotland, "car parking charges", 100)
    titles = [h.title for h in results.hits]
    car_parks = [t for t in titles if "car park" in t.lower()]
    assert len(car_parks) >= 15  # 18 have "car park" in the title; strict AND found none
    assert any("penalty charge" in t.lower() for t in titles)  # the strict matches stay
    assert results.partial_match and not results.no_good_match
    assert titles[0].lower().startswith("car park")


def test_libraries_opening_falls_back_to_the_libraries(scotland: SearchIndex) -> None:
    results = search(scotland, "libraries opening", 30)
    libraries = [h for h in results.hits if "librar" in h.title.lower()]
    assert len(libraries) >= 20 and results.hits[0] in libraries
    assert results.partial_match and not results.no_good_match


@pytest.mark.parametrize("q", ["council tax", "tree preservation orders", "core paths"])
def test_strong_answers_are_not_padded(scotland: SearchIndex, q: str) -> None:
    assert not search(scotland, q).partial_match


def test_judged_staff_searches(scotland: SearchIndex) -> None:
    judged = judged_queries()
    assert len(judged) >= 40
    hits, rows = hits_at_3(scotland, judged)
    misses = [r["query"] for r in rows if r["hit@3"] == "NO"]
    # 47/51 before #14; the one miss left wants "library" with "opening hours",
    # which no library dataset mentions.
    assert hits >= 50, misses


def test_a_bracketed_member_is_found_only_where_it_is_an_acronym(tmp_path: Path) -> None:
    """A council's own synonym file (CATALOGUE_SYNONYMS) may bracket a member too."""
    from tests.search.conftest import record

    extra = {"school transport": ["[bus]"]}
    assert ("bus",) in load_synonyms(extra).narrow
    index = SearchIndex(tmp_path / "index", synonyms=extra)
    index.rebuild(
        [
            record("travel-assistance", "Home to school travel", tags=["bus"]),
            record("tip-sites", "Recycling centres", description="Take the bus to the tip."),
        ],
        seq=2,
    )
    try:
        found = [h.key for h in index.search(SearchRequest(q="school transport")).hits]
        assert found == ["travel-assistance"]
        typed = {h.key for h in index.search(SearchRequest(q="bus")).hits}
        assert typed == {"travel-assistance", "tip-sites"}  # what was typed matches anywhere
    finally:
        index.close()

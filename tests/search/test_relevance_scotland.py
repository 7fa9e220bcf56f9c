"""Relevance on a real catalogue: 2,127 datasets of Scottish councils and public
bodies (../shared/data/catalogues/opendata-scotland.jsonl; without it, the 273 of
them in tests/data/ that hold every dataset named here), mapped through the CKAN
importer and indexed once for the module.

Each expectation was chosen by reading the data as a council officer would: for
what they type, the dataset(s) they would want must be in the top three. Where
several councils publish the same thing, any of them will do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue.importers.ckan import package_to_record, read_packages
from search import SearchIndex, SearchRequest
from tests.conftest import package_count
from tests.search.conftest import data_file

DOMESTIC_WASTE = "north-ayrshire-council-domestic-waste-collections-b985bc"
LITTER_BINS = "aberdeen-city-council-litter-bins-270db7"
COUNCIL_TAX = "dumfries-and-galloway-council-council-tax-413f79"
COUNCIL_TAX_RATES = "scottish-government-council-tax-collection-rates-e12472"
SCHOOL_ROLLS = (
    "glasgow-city-council-school-roll-ba1e73",
    "dumfries-and-galloway-council-school-rolls-fa50cd",
    "dumfries-and-galloway-council-secondary-school-roll-b89660",
    "scottish-government-school-pupil-census-7cad13",
)
EV_CHARGING = (
    "north-ayrshire-council-electric-vehicle-charging-points-2362ab",
    "perth-kinross-council-electric-vehicle-charging-points-3063ec",
)
EV_USE = (
    "perth-kinross-council-ev-chargestation-use-sept-2016-to-aug-2017-85696b",
    "perth-kinross-council-ev-chargestation-use-sept-2017-to-aug-2018-35464b",
    "perth-kinross-council-ev-charge-station-use-sept-2018-to-aug-2019-23136c",
)
LIBRARIES = (
    "perth-kinross-council-library-locations-aed830",
    "improvement-service-libraries-scotland-ca0b7c",
    "north-ayrshire-council-library-it-use-0a8d63",
    "north-ayrshire-council-library-visits-2019-f02711",
)
RECYCLING_CENTRES = (
    "north-ayrshire-council-recycling-centres-aa021a",
    "aberdeen-city-council-recycling-centres-756172",
    "dumfries-and-galloway-council-recycling-centres-451493",
    "moray-council-recycling-centres-ef09a2",
)
PUBLIC_TOILETS = (
    "perth-kinross-council-public-toilets-comfort-schemes-a6309f",
    "aberdeenshire-council-public-toilets-aberdeenshire-cc4092",
    "highland-council-public-conveniences-f05982",
    "north-ayrshire-council-public-conveniences-f258c4",
)
GRIT_BINS = (
    "city-of-edinburgh-council-grit-bins-e0a6a4",
    "aberdeenshire-council-grit-bins-aberdeenshire-f1372b",
    "aberdeen-city-council-winter-maintenance-grit-bins-58b985",
    "stirling-council-winter-maintenance-grit-bins-and-salt-piles-public-3c0bb2",
    "dumfries-and-galloway-council-salt-bins-0ae9d1",
)
CAR_PARKS = (
    "glasgow-city-council-car-parks-15293b",
    "moray-council-car-parks-cfbe31",
    "north-ayrshire-council-car-parks-9638df",
    "perth-kinross-council-car-parking-points-807366",
)
AIR_QUALITY = (
    "city-of-edinburgh-council-air-quality-management-areas-dbecc0",
    "glasgow-city-council-air-quality-management-areas-f3446a",
    "highland-council-air-quality-management-areas-7ff045",
    "perth-kinross-council-air-quality-management-area-5f4a39",
    "aberdeen-city-council-air-quality-diffusion-tubes-9df12c",
)
POLLING_STATIONS = (
    "dumfries-and-galloway-council-polling-stations-f18c8b",
    "city-of-edinburgh-council-polling-stations-2022-744e0e",
)
PLANNING_APPLICATIONS = (
    "north-ayrshire-council-planning-applications-772511",
    "improvement-service-planning-applications-official-scotland-8b11f4",
)
STREET_LIGHTING = (
    "perth-kinross-council-street-lighting-c8b514",
    "city-of-edinburgh-council-street-lighting-columns-7c85cb",
    "dundee-city-council-street-light-1e4597",
    "dundee-city-council-streetlighting-public-ffe877",
)
SCHOOL_CATCHMENTS = (
    "dumfries-and-galloway-council-school-catchment-areas-670988",
    "stirling-council-open-data-primary-school-catchment-areas-2b1f6d",
    "stirling-council-open-data-secondary-school-catchment-areas-b0710d",
)
TPO = (
    "aberdeen-city-council-tree-preservation-orders-e52599",
    "city-of-edinburgh-council-tree-preservation-orders-1d3fd2",
    "glasgow-city-council-tree-preservation-orders-tpos-4cb98d",
    "moray-council-tree-preservation-orders-tpo-moray-de1e2a",
)
CEMETERIES = (
    "moray-council-cemeteries-0cc705",
    "north-ayrshire-council-cemeteries-c24b19",
    "north-lanarkshire-council-cemeteries-6b258a",
    "stirling-council-cemeteries-stirling-council-managed-cemeteries-and-graveyards-f76983",
    "dumfries-and-galloway-council-burial-grounds-5e2be1",
    "highland-council-burial-grounds-221d27",
)

# (what an officer types, datasets of which one must be in the top three)
OFFICER_QUERIES = [
    ("bins", (DOMESTIC_WASTE, LITTER_BINS)),
    ("bin collection", (DOMESTIC_WASTE,)),
    ("council tax", (COUNCIL_TAX,)),
    ("council tax collection", (COUNCIL_TAX_RATES,)),
    ("school roll", SCHOOL_ROLLS),
    ("school places", SCHOOL_ROLLS),
    ("planning applications", PLANNING_APPLICATIONS),
    ("EV chargers", EV_CHARGING),
    ("electric vehicle charging", EV_CHARGING),
    ("parking", CAR_PARKS + ("angus-council-car-parking-angus-72e071",)),
    ("car parks", CAR_PARKS),
    ("street lighting", STREET_LIGHTING),
    ("libraries", LIBRARIES),
    ("air quality", AIR_QUALITY),
    ("trees", ("city-of-edinburgh-council-trees-5d9794",)),
    ("tree preservation orders", TPO),
    ("recycling", RECYCLING_CENTRES),
    ("recycling centres", RECYCLING_CENTRES),
    ("public toilets", PUBLIC_TOILETS),
    ("bus stops", ("perth-kinross-council-bus-stops-44629b",)),
    ("polling stations", POLLING_STATIONS),
    ("grit bins", GRIT_BINS),
    ("allotments", ("north-ayrshire-council-allotments-ea3161",)),
    ("defibrillators", ("perth-kinross-council-defibrillators-88d1e4",)),
    ("school catchments", SCHOOL_CATCHMENTS),
    ("cemeteries", CEMETERIES),
    ("homelessness", ("scottish-government-homelessness-applications-d39f68",)),
]

# (misspelt as typed, what it means, datasets of which one must be in the top three)
MISSPELT = [
    ("libary", "library", LIBRARIES),
    ("recyling", "recycling", RECYCLING_CENTRES),
    ("counci tax", "council tax", (COUNCIL_TAX,)),
    ("bin collecton", "bin collection", (DOMESTIC_WASTE,)),
    ("polling statons", "polling stations", POLLING_STATIONS),
    ("alotments", "allotments", ("north-ayrshire-council-allotments-ea3161",)),
    ("defribrillators", "defibrillators", ("perth-kinross-council-defibrillators-88d1e4",)),
]

# (a synonym staff use, datasets of which one must be in the top three)
SYNONYMS = [
    ("rubbish", (LITTER_BINS, DOMESTIC_WASTE)),
    ("refuse collection", (DOMESTIC_WASTE,)),
    ("contax", (COUNCIL_TAX,)),
    ("ctax", (COUNCIL_TAX,)),
    ("EV", EV_CHARGING + EV_USE),
    ("charge points", EV_CHARGING),
    ("loos", PUBLIC_TOILETS),
    ("salt bins", GRIT_BINS),
    ("lamp posts", STREET_LIGHTING),
    ("tpo", TPO),
    ("graveyards", CEMETERIES),
    ("defibs", ("perth-kinross-council-defibrillators-88d1e4",)),
    ("catchment areas", SCHOOL_CATCHMENTS),
    ("pupil numbers", SCHOOL_ROLLS),
]


@pytest.fixture(scope="module")
def scotland(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[SearchIndex]:
    path = data_file("catalogues", "opendata-scotland.jsonl")
    records = [package_to_record(pkg) for _, pkg in read_packages(path)]
    index = SearchIndex(Path(tmp_path_factory.mktemp("scotland")) / "index")
    started = time.perf_counter()
    count = index.rebuild(records, seq=len(records))
    took = time.perf_counter() - started
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nScottish catalogue: indexed {count} datasets in {took:.2f} s")
    assert count == len(records) == package_count(path)
    yield index
    index.close()


def top(index: SearchIndex, q: str, n: int = 3) -> list[str]:
    return [h.key for h in index.search(SearchRequest(q=q, per_page=n)).hits]


@pytest.mark.parametrize(("q", "wanted"), OFFICER_QUERIES, ids=[q for q, _ in OFFICER_QUERIES])
def test_what_officers_type_finds_what_they_mean(
    scotland: SearchIndex, q: str, wanted: tuple[str, ...]
) -> None:
    found = top(scotland, q)
    assert set(found) & set(wanted), f"{q!r}: top three were {found}"


@pytest.mark.parametrize(("q", "meant", "wanted"), MISSPELT, ids=[q for q, _, _ in MISSPELT])
def test_misspellings_find_the_same(
    scotland: SearchIndex, q: str, meant: str, wanted: tuple[str, ...]
) -> None:
    results = scotland.search(SearchRequest(q=q, per_page=3))
    assert set(h.key for h in results.hits) & set(wanted), [h.key for h in results.hits]
    assert results.suggestion == meant
    assert results.corrected_query == meant
    assert f"spelling: {meant}" in results.hits[0].matched


@pytest.mark.parametrize(("q", "wanted"), SYNONYMS, ids=[q for q, _ in SYNONYMS])
def test_synonyms_find_the_same(scotland: SearchIndex, q: str, wanted: tuple[str, ...]) -> None:
    results = scotland.search(SearchRequest(q=q, per_page=3))
    found = [h.key for h in results.hits]
    assert set(found) & set(wanted), f"{q!r}: top three were {found}"
    assert results.suggestion is None


def test_exact_titles_come_first(scotland: SearchIndex) -> None:
    for q, key in [
        ("Council Tax", COUNCIL_TAX),
        ("Trees", "city-of-edinburgh-council-trees-5d9794"),
        ("Street Light", "dundee-city-council-street-light-1e4597"),
        ("Bus Stops", "perth-kinross-council-bus-stops-44629b"),
    ]:
        hit = scotland.search(SearchRequest(q=q)).hits[0]
        assert (hit.key, hit.matched[0]) == (key, "exact title")


@pytest.mark.parametrize("q", ["zebra crossing helicopter", "quantum blockchain", "qwxzv"])
def test_nonsense_is_no_good_match(scotland: SearchIndex, q: str) -> None:
    results = scotland.search(SearchRequest(q=q))
    assert (results.no_good_match, results.total, results.hits) == (True, 0, [])


def test_fly_tipping_is_not_padded_with_weak_matches(scotland: SearchIndex) -> None:
    # Nothing here is about fly-tipping; one notice dataset mentions it. A search
    # that ORs the words would list every "fly" and "tipping" it has.
    results = scotland.search(SearchRequest(q="fly tipping"))
    assert results.total <= 2
    for hit in results.hits:
        assert "<mark>Fly</mark> <mark>Tipping</mark>" in hit.highlights["description"]


def test_every_hit_says_why(scotland: SearchIndex) -> None:
    for q, _ in OFFICER_QUERIES:
        for hit in scotland.search(SearchRequest(q=q, per_page=10)).hits:
            assert hit.matched, (q, hit.key)
            assert hit.highlights, (q, hit.key)
            assert any("<mark>" in snippet for snippet in hit.highlights.values()), (q, hit.key)


def test_facets_on_real_data(scotland: SearchIndex) -> None:
    results = scotland.search(
        SearchRequest(q="polling places", filters={"tag": ["elections / politics"]})
    )
    assert results.total > 20
    departments = dict(results.facets["department"])
    assert departments["Aberdeen City Council"] == 2
    assert sum(departments.values()) == results.total
    assert ("elections / politics", results.total) in results.facets["tag"]

"""What a person sees from SearchIndex.search: robust reading of any text, ranking,
typo and synonym handling, highlights, facets, paging and sorting."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import FACET_FIELDS, InvalidQuery, SearchIndex, SearchRequest, Visibility
from tests.search.conftest import COUNCIL, ChangeLog, record


def keys(ix: SearchIndex, q: str, **options: object) -> list[str]:
    return [h.key for h in ix.search(SearchRequest(q=q, per_page=100, **options)).hits]


# -- any text is a query ---------------------------------------------------

NASTY = [
    '"council tax',
    'council" tax"',
    '""',
    "AND OR NOT",
    "bins AND",
    "OR",
    "NOT bins",
    "*",
    "coun*",
    "title:bins",
    "key:council-tax-bands",
    "(bins",
    "bins)",
    "[bins] {tax}",
    "~bins^2",
    "\\",
    "'",
    "bins -refuse +tax",
    "a" * 5000,
    "bins " * 400,
    "\x00\x1e\x1f",
    "émission zoné",
    "🗑️ bins",
    "   ",
    "council-tax-bands",
]


@pytest.mark.parametrize("text", NASTY)
def test_any_text_is_answered(council: SearchIndex, text: str) -> None:
    results = council.search(SearchRequest(q=text))
    assert results.total >= 0
    assert len(results.hits) <= 20


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
    | st.from_regex(r'[ "a-z*:()\-ANDORNOT~^]{0,40}', fullmatch=True)
)
def test_arbitrary_text_never_raises(council: SearchIndex, text: str) -> None:
    results = council.search(SearchRequest(q=text))
    assert results.total == len(results.hits) or results.total > len(results.hits)
    assert council.autocomplete(text) is not None


def test_stray_operators_are_plain_words(council: SearchIndex) -> None:
    assert keys(council, "council AND tax") == keys(council, "council tax")
    assert keys(council, "bins OR") == keys(council, "bins")


def test_quotes_ask_for_words_together(council: SearchIndex) -> None:
    # Titles keep word order, so the phrase in a title comes first; descriptions do
    # not, so there the quoted words need only all be present.
    assert keys(council, '"tax bands"') == ["council-tax-bands", "council-tax-arrears"]
    assert keys(council, '"council tax') == keys(council, "council tax")


def test_a_key_finds_its_asset_first(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q="street-lighting-columns"))
    assert results.hits[0].key == "street-lighting-columns"
    assert "key" in results.hits[0].matched


def test_long_text_is_cut_not_refused(council: SearchIndex) -> None:
    assert keys(council, "bins " + "x" * 10_000) == keys(council, "bins")


# -- ranking -----------------------------------------------------------------


def test_exact_title_then_phrase_then_all_words_in_title_then_other_fields(
    index: SearchIndex, log: ChangeLog
) -> None:
    index.apply(
        [
            log.create(record("desc", "Annual Return", description="recycling centres visits")),
            log.create(record("words", "Centres for Recycling Glass")),
            log.create(record("phrase", "Recycling Centres Opening Hours")),
            log.create(record("exact", "Recycling Centres")),
            log.create(record("tags", "Site List", tags=["recycling centres"])),
        ]
    )
    assert keys(index, "recycling centres") == ["exact", "phrase", "words", "tags", "desc"]
    assert keys(index, "Recycling Centre") == ["exact", "phrase", "words", "tags", "desc"]


def test_shorter_titles_win_ties(index: SearchIndex, log: ChangeLog) -> None:
    index.apply(
        [
            log.create(record("long", "Grit Bins - Winter Maintenance (Public)")),
            log.create(record("short", "Grit Bins - Aberdeenshire")),
        ]
    )
    assert keys(index, "grit bins") == ["short", "long"]


def test_every_word_must_match(council: SearchIndex) -> None:
    assert keys(council, "council tax") == ["council-tax-bands", "council-tax-arrears"]
    assert "household-bin-collections" not in keys(council, "council tax")


def test_plurals_match_but_stemming_is_not_over_broad(council: SearchIndex) -> None:
    assert keys(council, "school") == keys(council, "schools") == ["school-rolls"]
    assert keys(council, "street light") == ["street-lighting-columns"]  # a partial word
    # Porter stemming would send these to the wrong service:
    assert "house-builder-completions" not in keys(council, "housing")
    assert "parks-and-green-spaces" not in keys(council, "parking")
    assert keys(council, "parks")[0] == "parks-and-green-spaces"


def test_nothing_good_means_no_hits(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q="zebra crossing helicopter"))
    assert (results.total, results.hits, results.no_good_match) == (0, [], True)
    assert results.suggestion is None
    assert council.search(SearchRequest(q="the of and")).no_good_match


def test_a_word_the_catalogue_never_uses_is_left_out(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q="council tax xyzzyq"))
    assert [h.key for h in results.hits] == ["council-tax-bands", "council-tax-arrears"]
    assert results.corrected_query == "council tax"
    assert not results.no_good_match


# -- typos and synonyms ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected", "corrected"),
    [
        ("counci tax", "council-tax-bands", "council tax"),
        ("bins collecton", "household-bin-collections", "bins collection"),
        ("scool rols", "school-rolls", "school rols"),
        ("electrik vehicle", "ev-charging-points", "electric vehicle"),
    ],
)
def test_misspellings_are_corrected_from_the_catalogues_words(
    council: SearchIndex, typed: str, expected: str, corrected: str
) -> None:
    results = council.search(SearchRequest(q=typed))
    assert results.hits and results.hits[0].key == expected
    assert results.suggestion is not None
    assert f"spelling: {results.corrected_query}" in results.hits[0].matched


def test_a_correct_query_is_left_alone(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q="council tax"))
    assert (results.suggestion, results.corrected_query) == (None, None)


@pytest.mark.parametrize(
    ("typed", "expected", "synonym"),
    [
        ("rubbish", "household-bin-collections", "synonym: refuse"),
        ("ctax", "council-tax-bands", "synonym: council tax"),
        ("EV", "ev-charging-points", "synonym: electric vehicle"),
        ("EV chargers", "ev-charging-points", "synonym: electric vehicle charging point"),
        ("lamp posts", "street-lighting-columns", "synonym: street lighting"),
        ("pupil numbers", "school-rolls", "synonym: school roll"),
    ],
)
def test_synonyms_find_what_staff_call_things(
    council: SearchIndex, typed: str, expected: str, synonym: str
) -> None:
    hit = council.search(SearchRequest(q=typed)).hits[0]
    assert hit.key == expected
    assert synonym in hit.matched


def test_synonyms_work_both_ways(council: SearchIndex) -> None:
    assert keys(council, "electric vehicle") == keys(council, "ev")


def test_extra_synonyms_are_merged(index_dir, log: ChangeLog) -> None:  # noqa: ANN001
    with SearchIndex(index_dir, synonyms={"dog poo": ["dog fouling"]}) as ix:
        ix.apply([log.create(record("fouling", "Dog Fouling Reports"))])
        assert keys(ix, "dog poo") == ["fouling"]
        assert keys(ix, "dog waste") == ["fouling"]  # from the council list


# -- highlights and reasons --------------------------------------------------


def test_highlights_show_why_with_marks_and_escaped_text(council: SearchIndex) -> None:
    hit = council.search(SearchRequest(q="arrears ward")).hits[0]
    assert hit.key == "council-tax-arrears"
    assert hit.highlights["title"] == "Council Tax <mark>Arrears</mark>"
    assert hit.highlights["description"] == (
        "Accounts in <mark>arrears</mark> by band &amp; <mark>ward</mark>."
    )
    assert hit.matched[:2] == ["title", "description"]


def test_highlights_of_other_fields(council: SearchIndex) -> None:
    hit = council.search(SearchRequest(q="property reference")).hits[0]
    assert hit.key == "household-bin-collections"
    assert hit.highlights == {"columns": "uprn: <mark>Property</mark> <mark>reference</mark>"}
    assert hit.matched == ["columns"]


def test_exact_titles_say_so(council: SearchIndex) -> None:
    assert "exact title" in council.search(SearchRequest(q="school rolls")).hits[0].matched


def test_html_in_titles_is_escaped(index: SearchIndex, log: ChangeLog) -> None:
    index.apply([log.create(record("x", "Fish & Chips <b>Licences</b>"))])
    hit = index.search(SearchRequest(q="licences")).hits[0]
    assert hit.highlights["title"] == "Fish &amp; Chips &lt;b&gt;<mark>Licences</mark>&lt;/b&gt;"


def test_long_descriptions_are_cut_around_the_match(index: SearchIndex, log: ChangeLog) -> None:
    text = "Filler words here. " * 40 + "The allotment waiting list. " + "More filler. " * 40
    index.apply([log.create(record("x", "Plots", description=text))])
    snippet = index.search(SearchRequest(q="allotment")).hits[0].highlights["description"]
    assert "<mark>allotment</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 300


# -- facets, filters, paging, sorting ------------------------------------------


def test_facets_count_the_matches(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q=""))
    assert set(results.facets) == set(FACET_FIELDS)
    assert results.total == len(COUNCIL)
    assert results.facets["department"][0] == ("Highways", 3)
    assert ("Revenues & Benefits", 2) in results.facets["department"]
    assert results.facets["kind"] == [("dataset", len(COUNCIL))]
    assert ("transport", 2) in results.facets["tag"]
    assert results.facets["access"] == [("open", 7), ("internal", 1), ("restricted", 1)]
    assert ("Rita Revenues", 1) in results.facets["owner"]


def test_filters_and_within_a_field_or_across_fields(council: SearchIndex) -> None:
    either = {"department": ["Highways", "Education"]}
    assert set(keys(council, "", filters=either)) == {
        "street-lighting-columns",
        "ev-charging-points",
        "car-parking-tariffs",
        "school-rolls",
    }
    both = {"department": ["Highways", "Education"], "tag": ["transport"]}
    results = council.search(SearchRequest(q="", filters=both))
    assert {h.key for h in results.hits} == {"ev-charging-points", "car-parking-tariffs"}
    # A field's counts ignore its own filter, so other values can be added...
    assert ("Education", 0) not in results.facets["department"]
    assert results.facets["department"] == [("Highways", 2)]
    # ...and apply the others.
    assert ("transport", 2) in results.facets["tag"]
    assert ("highways", 1) in results.facets["tag"]
    assert ("education", 1) in results.facets["tag"]


def test_filter_on_a_missing_value_finds_nothing(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q="bins", filters={"owner": ["Nobody"]}))
    assert results.total == 0 and not results.no_good_match


@pytest.mark.parametrize(
    ("request_fields", "field", "named"),
    [
        ({"sort": "newest"}, "sort", "relevance, title, updated"),
        ({"filters": {"colour": ["red"]}}, "filters", "department, kind, tag"),
        ({"filters": {"tag": [1]}}, "filters", "tag"),
        ({"page": 0}, "page", "page"),
        ({"per_page": 1000}, "per_page", "1 to 100"),
        ({"q": 12}, "q", "q"),
    ],
)
def test_bad_requests_name_the_field_and_allowed_values(
    council: SearchIndex, request_fields: dict, field: str, named: str
) -> None:
    with pytest.raises(InvalidQuery, match=named) as raised:
        council.search(SearchRequest(**request_fields))
    assert raised.value.field == field


def test_pages(council: SearchIndex) -> None:
    first = council.search(SearchRequest(q="", per_page=4, sort="title"))
    second = council.search(SearchRequest(q="", per_page=4, sort="title", page=2))
    third = council.search(SearchRequest(q="", per_page=4, sort="title", page=3))
    beyond = council.search(SearchRequest(q="", per_page=4, sort="title", page=9))
    assert (first.total, first.pages) == (len(COUNCIL), 3)
    assert [len(r.hits) for r in (first, second, third, beyond)] == [4, 4, 1, 0]
    seen = [h.key for r in (first, second, third) for h in r.hits]
    assert sorted(seen) == sorted(r["key"] for r in COUNCIL)


def test_sort_by_title_and_by_last_updated(council: SearchIndex) -> None:
    titles = [h.title for h in council.search(SearchRequest(q="", sort="title")).hits]
    assert titles == sorted(titles, key=str.lower)
    updated = council.search(SearchRequest(q="", sort="updated")).hits
    dates = [h.last_updated for h in updated]
    assert dates[:4] == ["2024-04-20", "2024-03-01", "2024-02-01", "2024-01-01"]
    assert dates[-1] is None  # undated last
    matched = council.search(SearchRequest(q="council tax", sort="updated")).hits
    assert [h.key for h in matched] == ["council-tax-arrears", "council-tax-bands"]


def test_visibility_applies_to_totals_and_pages(council: SearchIndex) -> None:
    results = council.search(SearchRequest(q="", visibility=Visibility(), per_page=5))
    assert results.total == len(COUNCIL) - 2
    assert results.pages == 2

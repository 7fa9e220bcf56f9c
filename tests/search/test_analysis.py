"""The small pure parts: stemming, text clean-up, spelling, synonyms, bitmaps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search import Visibility
from search.analysis import light_stem, normalise_title, plain_text, stems, words
from search.bitmaps import first_in_order, from_ids, to_ids
from search.querying import plan_query, reinflect
from search.spelling import SpellingDictionary, edit_distance
from search.synonyms import Synonyms, council_groups, load_synonyms


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("schools", "school"),
        ("libraries", "library"),
        ("bins", "bin"),
        ("buses", "bus"),
        ("taxes", "tax"),
        ("churches", "church"),
        ("classes", "class"),
        ("houses", "house"),
        ("children", "child"),
        ("census", "census"),
        ("business", "business"),
        ("analysis", "analysis"),
        ("news", "news"),
        ("housing", "housing"),
        ("parking", "parking"),
        ("planning", "planning"),
        ("community", "community"),
        ("communal", "communal"),
        ("2020s", "2020s"),
        ("gas", "gas"),
    ],
)
def test_light_stem_folds_plurals_only(word: str, stem: str) -> None:
    assert light_stem(word) == stem


def test_index_terms_fold_case_accents_and_stop_words() -> None:
    assert stems("The Café's Recycling Centres, and Bins!") == [
        "cafe",
        "recycling",
        "centre",
        "bin",
    ]
    assert words("Council-Tax v3.0") == ["council", "tax", "v3.0"]
    # Identifiers read as their words: "_", dots between words, camelCase (#15).
    assert words("housing.rent_accounts") == ["housing", "rent", "accounts"]
    assert words("RentAccount NHSNumber") == [
        "rentaccount", "rent", "account", "nhsnumber", "nhs", "number",
    ]  # fmt: skip
    assert normalise_title("rent_accounts") == normalise_title("Rent accounts")
    assert normalise_title("Recycling Centres -") == normalise_title("recycling centre")


def test_plain_text_from_markdown_and_html() -> None:
    text = "<p>See [the map](https://example.org/map) &amp; https://x.example/y\n\n\n\nthen go</p>"
    assert plain_text(text) == "See [the map] &\n\nthen go"
    assert plain_text(None) == ""


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("libary", "library", 1), ("recyling", "recycling", 1), ("form", "from", 1),
     ("contax", "contact", 2), ("abc", "abc", 0), ("kitten", "sitting", 3)],
)  # fmt: skip
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


def test_spelling_prefers_fewest_edits_then_commonest_word() -> None:
    spelling = SpellingDictionary()
    spelling.add([("library", 40), ("liberty", 3), ("council", 900), ("counsel", 2), ("tax", 50)])
    assert spelling.correct("libary") == "library"
    assert spelling.correct("counci") == "council"
    assert spelling.correct("councel") == "council"  # both one edit away: the commoner
    assert spelling.correct("zzzzzz") is None
    assert spelling.correct("tx") is None  # too short to guess
    spelling.add([("library", 1)])
    assert spelling.frequencies["library"] == 40


def test_reinflect_keeps_the_typed_plural() -> None:
    assert reinflect("alotments", "alotment", "allotment") == "allotments"
    assert reinflect("libaries", "libary", "library") == "libraries"
    assert reinflect("libary", "libary", "library") == "library"


def test_council_synonyms_are_data() -> None:
    groups = council_groups()
    assert len(groups) >= 25
    assert ["ev", "electric vehicle"] in groups
    synonyms = load_synonyms({"dog poo": ["dog fouling"]})
    assert ("electric", "vehicle") in synonyms.alternatives(("ev",))
    assert ("ev",) in synonyms.alternatives(("electric", "vehicle"))  # both ways
    assert ("dog", "poo") in synonyms.alternatives(("dog", "fouling"))  # merged
    assert ("dog", "waste") in synonyms.alternatives(("dog", "fouling"))


def test_synonym_spans_take_the_longest_member() -> None:
    synonyms = Synonyms.from_groups([["ev", "electric vehicle"], ["ev charger", "charge point"]])
    assert synonyms.spans(["ev", "charger", "map"]) == [(0, 2), (2, 3)]
    assert synonyms.spans(["ev", "map"]) == [(0, 1), (1, 2)]


def test_query_plan_reads_phrases_corrections_and_synonyms() -> None:
    synonyms = Synonyms.from_groups([["bins", "waste collection"]])
    vocabulary = {"bin", "collection", "day", "street"}
    plan = plan_query(
        'bins "street collection days" colection',
        synonyms,
        known=vocabulary.__contains__,
        correct=lambda t: "collection" if t == "colection" else None,
    )
    assert [u.terms for u in plan.units] == [
        ("bin",),
        ("street", "collection", "day"),
        ("collection",),
    ]
    assert plan.units[0].alternatives == (("waste", "collection"),)
    assert plan.units[1].phrase
    assert plan.corrected_text == "bins street collection days collection"
    assert plan_query("   *  ", synonyms, bool, lambda t: None).browse


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=300))
def test_bitmaps_round_trip(ids: list[int]) -> None:
    bitmap = from_ids(ids)
    assert to_ids(bitmap) == sorted(set(ids))
    assert bitmap.bit_count() == len(set(ids))
    order = list(reversed(range(5001)))
    assert first_in_order(bitmap, order, 5) == sorted(set(ids), reverse=True)[:5]


def test_visibility_rules() -> None:
    public = Visibility()
    assert public.allows("open", "Waste", "", "")
    assert not public.allows("internal", "Waste", "", "")
    assert not public.allows("restricted", "Waste", "", "")
    revenues = Visibility(access=frozenset({"open", "internal"}), departments=frozenset({"Rev"}))
    assert revenues.allows("restricted", "Rev", "", "")
    assert not revenues.allows("restricted", "Waste", "", "")
    person = Visibility(people=frozenset({" Ann@Council.Example "}))
    assert person.people == frozenset({"ann@council.example"})
    assert person.allows("restricted", None, "", "ann@council.example")
    assert Visibility(everything=True).allows("restricted", None, "", "")

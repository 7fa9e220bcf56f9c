"""The cheaper ways search answers (#21) give what people saw before: document
numbers decoded without a loop per document, many-valued facets counted by value
bitmaps, spelling corrections remembered between searches (and forgotten when
the index or what a person may see changes), highlights from shared markers."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from search import SearchIndex, SearchRequest, Visibility
from search.bitmaps import from_ids, to_ids
from search.facets import BITS_PER_DOCUMENT
from search.segment_values import FEW_VALUES
from tests.search.conftest import ChangeLog, record

OPEN_ONLY = Visibility(access=frozenset({"open"}))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_document_numbers_come_back_in_order_whatever_the_density(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 5000))
    density = data.draw(st.sampled_from([0.0005, 0.01, 0.1, 0.19, 0.21, 0.5, 1.0]))
    ids = sorted(data.draw(st.sets(st.integers(0, size - 1), max_size=int(size * density) + 1)))
    assert to_ids(from_ids(ids, size)) == ids


def _owners_index(index: SearchIndex, log: ChangeLog) -> list[dict]:
    """300 rent datasets (5 of them about arrears) owned by 100 people, each with
    a tag of 90: more values than FEW_VALUES, so both ways of counting are used."""
    records = [
        record(
            f"rent-{i:03d}",
            f"Rent {'arrears' if i % 60 == 0 else 'account'} {i}",
            owner=f"Owner {i % 100:03d}",
            tags=[f"tag{i % 90:02d}", "rent"],
        )
        for i in range(300)
    ]
    for start in range(0, 300, 100):  # three commits: three segments to combine
        index.apply([log.create(r) for r in records[start : start + 100]])
    return records


def _expected(records: list[dict], word: str) -> dict[str, list[tuple[str, int]]]:
    chosen = [r for r in records if word in r["title"].lower()]
    owners = Counter(r["owner"] for r in chosen)
    tags = Counter(t for r in chosen for t in r["tags"])
    return {
        "owner": sorted(owners.items(), key=lambda i: (-i[1], i[0].lower())),
        "tag": sorted(tags.items(), key=lambda i: (-i[1], i[0].lower())),
    }


def test_many_valued_facets_count_broad_and_narrow_searches_alike(
    index: SearchIndex, log: ChangeLog
) -> None:
    records = _owners_index(index, log)
    assert FEW_VALUES < 100
    for word, members in (("rent", 300), ("arrears", 5)):
        # 300 matches are counted value by value, 5 document by document
        assert (members * BITS_PER_DOCUMENT >= 100 * 300) == (word == "rent")
        results = index.search(SearchRequest(q=word))
        assert results.total == members
        expected = _expected(records, word)
        assert results.facets["owner"] == expected["owner"]
        assert results.facets["tag"] == expected["tag"]


def test_a_remembered_correction_is_dropped_when_the_word_is_added(
    index: SearchIndex, log: ChangeLog
) -> None:
    index.apply([log.create(record("library-loans", "Library Loans"))])
    first = index.search(SearchRequest(q="libary loans"))
    assert first.corrected_query == "library loans"
    assert index.search(SearchRequest(q="libary loans")).corrected_query == "library loans"
    index.apply([log.create(record("libary-loans", "Libary Loans Typo Register"))])
    again = index.search(SearchRequest(q="libary loans"))
    assert again.corrected_query is None
    assert [h.key for h in again.hits] == ["libary-loans"]


def test_a_remembered_correction_is_dropped_after_a_rebuild(index: SearchIndex) -> None:
    index.rebuild([record("payroll", "Payroll Returns")], 1)
    assert index.search(SearchRequest(q="payrol")).corrected_query == "payroll"
    index.rebuild([record("patrol", "Patrol Routes")], 2)
    results = index.search(SearchRequest(q="payrol"))
    assert results.corrected_query == "patrol"
    assert [h.key for h in results.hits] == ["patrol"]


def test_a_correction_seen_by_one_person_is_not_offered_to_another(
    index: SearchIndex, log: ChangeLog
) -> None:
    index.apply(
        [
            log.create(record("safeguarding", "Safeguarding Referrals", access="restricted")),
            log.create(record("rent", "Rent Accounts")),
        ]
    )
    everyone = index.search(SearchRequest(q="safegaurding"))
    assert everyone.corrected_query == "safeguarding"
    hidden = index.search(SearchRequest(q="safegaurding", visibility=OPEN_ONLY))
    assert (hidden.corrected_query, hidden.suggestion, hidden.hits) == (None, None, [])


def test_highlights_are_the_same_when_a_search_is_repeated_or_narrowed(
    index: SearchIndex, log: ChangeLog
) -> None:
    text = "Rent review. " + "Filler words here. " * 30 + "Rent arrears, rent rebates, rents. "
    index.apply([log.create(record("rent", "Rental Accounts", description=text))])
    first = index.search(SearchRequest(q="rent")).hits[0]
    assert index.search(SearchRequest(q="rent")).hits[0] == first
    # the window with the most matches, not the first match
    assert first.highlights["description"].startswith("…")
    assert first.highlights["description"].count("<mark>") == 3
    assert first.highlights["title"] == "<mark>Rental</mark> Accounts"
    # the same words in a phrase are not matched as the start of a title word
    phrase = index.search(SearchRequest(q='"rent arrears"')).hits[0]
    assert "title" not in phrase.highlights


def test_only_whole_words_are_marked_in_plain_and_accented_text(
    index: SearchIndex, log: ChangeLog
) -> None:
    index.apply(
        [
            log.create(
                record("rent", "Current Parent Rent", description="Café rent; apparent RENT_2.")
            )
        ]
    )
    hit = index.search(SearchRequest(q="rent")).hits[0]
    assert hit.highlights["title"] == "Current Parent <mark>Rent</mark>"
    assert hit.highlights["description"] == "Café <mark>rent</mark>; apparent RENT_2."

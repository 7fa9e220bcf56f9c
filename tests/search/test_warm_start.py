"""A search index warmed before its first search (#21: `catalogue serve`'s master
builds the spelling dictionary, common words' bitmaps and facet tables, then its
workers share them) answers exactly as a cold one: the same results, highlights
and corrections, changes made since still seen, and nothing a person may not see
offered through what was shared."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from search import SearchIndex, SearchRequest, Visibility
from search.bitmaps import from_ids
from tests.search.conftest import ChangeLog, record

OPEN_ONLY = Visibility(access=frozenset({"open"}))
HOUSING = Visibility(access=frozenset({"open", "internal"}), departments=frozenset({"Housing"}))

REQUESTS = [
    SearchRequest(q="rent"),
    SearchRequest(q="rent arrears"),
    SearchRequest(q="arrers"),  # corrected
    SearchRequest(q='"council tax"'),
    SearchRequest(q="coun"),
    SearchRequest(q="bins", filters={"department": ["Environment"]}),
    SearchRequest(q=""),
    SearchRequest(q="rent", visibility=OPEN_ONLY),
    SearchRequest(q="safegaurding", visibility=OPEN_ONLY),
    SearchRequest(q="safegaurding", visibility=HOUSING),
    SearchRequest(q="tax", sort="title", page=2, per_page=5),
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3000), max_size=3000), st.integers(0, 3100))
def test_a_set_of_documents_becomes_the_same_bitmap_however_dense(
    ids: list[int], size: int
) -> None:
    assert from_ids(ids, size) == sum(1 << i for i in set(ids))
    assert from_ids(iter(ids)) == sum(1 << i for i in set(ids))


def _council(log: ChangeLog) -> list[list[dict]]:
    """Three commits (three segments) of rent, council tax and bins data, one
    restricted Housing asset among them."""
    rent = [
        record(
            f"rent-{i}", f"Rent {'arrears' if i % 4 == 0 else 'accounts'} {i}", department="Housing"
        )
        for i in range(30)
    ]
    tax = [
        record(
            f"tax-{i}", f"Council tax {'bands' if i % 3 else 'arrears'} {i}", department="Finance"
        )
        for i in range(30)
    ]
    bins = [record(f"bins-{i}", f"Bins collection round {i}", tags=["waste"]) for i in range(30)]
    bins.append(
        record("safeguarding", "Safeguarding referrals", access="restricted", department="Housing")
    )
    return [[log.create(r) for r in batch] for batch in (rent, tax, bins)]


def _answers(index: SearchIndex) -> list:
    return [index.search(request) for request in REQUESTS]


def test_a_warmed_index_answers_every_search_as_a_cold_one(tmp_path: Path) -> None:
    log = ChangeLog()
    with SearchIndex(tmp_path / "index") as writer:
        for batch in _council(log):
            writer.apply(batch)
    with SearchIndex(tmp_path / "index") as cold, SearchIndex(tmp_path / "index") as warmed:
        warmed.warm()
        assert warmed.preloaded_bytes > 0  # every word is common in so small an index
        assert _answers(warmed) == _answers(cold)
        assert warmed.search(REQUESTS[2]).corrected_query == "arrears"
        # a restricted asset's word is offered to those who may see it, only
        assert warmed.search(REQUESTS[8]).corrected_query is None
        assert warmed.search(REQUESTS[9]).corrected_query == "safeguarding"


def test_a_warmed_index_sees_what_was_written_after_it_warmed(tmp_path: Path) -> None:
    log = ChangeLog()
    with SearchIndex(tmp_path / "index") as writer, SearchIndex(tmp_path / "index") as warmed:
        for batch in _council(log):
            writer.apply(batch)
        warmed.warm()
        writer.apply(
            [
                log.create(record("lamplighters", "Lamplighters rota")),
                log.create(record("ropemakers", "Ropemakers ledger", access="restricted")),
                log.retire(record("rent-0", "Rent arrears 0", status="retired")),
            ]
        )
        found = warmed.search(SearchRequest(q="lamplightres"))
        assert found.corrected_query == "lamplighters"
        assert [h.key for h in found.hits] == ["lamplighters"]
        hidden = warmed.search(SearchRequest(q="ropemakres", visibility=OPEN_ONLY))
        assert (hidden.corrected_query, hidden.hits) == (None, [])
        assert "rent-0" not in {h.key for h in warmed.search(SearchRequest(q="rent arrears")).hits}
        with SearchIndex(tmp_path / "index") as cold:
            assert _answers(warmed) == _answers(cold)


def test_a_words_scores_do_not_depend_on_a_search_made_before_a_deletion(
    tmp_path: Path,
) -> None:
    """A word's bitmap read before an asset was updated (its old document deleted
    from a segment that keeps its id) gave the word one document too many: the
    same search then ranked with other scores in a process that had asked it
    before the update than in one that had not."""
    log = ChangeLog()
    with SearchIndex(tmp_path / "index") as writer, SearchIndex(tmp_path / "index") as early:
        for batch in _council(log):
            writer.apply(batch)
        before = early.search(SearchRequest(q="rent"))
        writer.apply([log.update(record("rent-1", "Rent accounts 1 (revised)"))])
        after = early.search(SearchRequest(q="rent"))
        with SearchIndex(tmp_path / "index") as fresh:
            assert after == fresh.search(SearchRequest(q="rent"))
        assert after.total == before.total == 30

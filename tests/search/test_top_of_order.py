"""The first page of a broad search is the same however it is found (#21): the
walk of a whole-index order, cut short when the matches sort late in it, and
placing the matches by their rank in that order."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import SearchIndex, SearchRequest
from search import facets as facets_module
from search.bitmaps import first_in_order, first_ranked, from_ids
from tests.search.conftest import ChangeLog, record


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_first_members_in_an_order_whether_spread_or_sorting_last(
    data: st.DataObject,
) -> None:
    size = data.draw(st.integers(1, 3000))
    order = list(range(size))
    random.Random(data.draw(st.integers(0, 99))).shuffle(order)
    rank = [0] * size
    for position, docnum in enumerate(order):
        rank[docnum] = position
    late = data.draw(st.booleans())  # members drawn from the end of the order
    pool = order[size // 2 :] if late and size > 1 else order
    members = data.draw(st.sets(st.sampled_from(pool), max_size=size))
    limit = data.draw(st.integers(0, 40))
    bitmap = from_ids(sorted(members), size)
    expected = sorted(members, key=rank.__getitem__)[:limit]
    assert first_ranked(bitmap, order, lambda: rank, limit) == expected
    assert first_in_order(bitmap, order, limit) == expected


def test_long_titled_matches_are_listed_shortest_first(
    index: SearchIndex, log: ChangeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every match has a longer title than every other asset, so they all come
    # last in the index's shortest-title order: the walk of that order gives up
    # and the matches are placed by rank. The page must be the shortest of them.
    others = [record(f"bins-{i:03d}", f"Bins {i}") for i in range(200)]
    rates = [
        record(f"rates-{i:03d}", f"Business rates relief register {'x' * (i % 37)} {i}")
        for i in range(120)
    ]
    index.apply([log.create(r) for r in others + rates])
    monkeypatch.setattr(facets_module, "SORT_DIRECTLY", 0)  # walk even a small set
    results = index.search(SearchRequest(q="business rates", per_page=20))
    titles = sorted((r["title"] for r in rates), key=lambda t: (len(t), t.lower()))
    assert results.total == 120
    assert [h.title for h in results.hits] == titles[:20]

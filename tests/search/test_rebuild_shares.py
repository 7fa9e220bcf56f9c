"""A rebuild whose helper processes each read their own share of the records
(`SearchIndex.rebuild_in_shares`, #21): the records never pass through the
rebuilding process, and nothing searchable may differ from a rebuild that reads
them all itself. A share that fails (its read raises, a bad record, a helper
killed) fails the rebuild and leaves the index in use as it was."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from search import HelperDied, SearchIndex, SearchRequest, generations, share_count
from tests.search.test_bulk_segments import keyed_contents, varied_records


def shares_of(records: list[dict[str, Any]], size: int) -> list[generations.Share]:
    """`records` in shares of `size`, each read only when its helper calls it."""

    def share(start: int) -> generations.Share:
        return lambda: iter(records[start : start + size])

    return [share(start) for start in range(0, len(records), size)]


def test_shares_are_read_by_their_helpers_and_find_what_one_reader_does(tmp_path: Path) -> None:
    records = varied_records(1000)
    reader_pid = os.getpid()
    read_by: list[int] = []

    def counted(share: generations.Share) -> generations.Share:
        def read() -> Iterator[dict[str, Any]]:
            read_by.append(os.getpid())  # in the helper's copy of this list
            assert os.getpid() != reader_pid, "a share was read by the rebuilding process"
            yield from share()

        return read

    with SearchIndex(tmp_path / "one", rebuild_procs=1) as one:
        assert one.rebuild(iter(records), 7) == 1000
        expected = keyed_contents(one)
        before = one.search(SearchRequest(q="council rent", per_page=50))
    with SearchIndex(tmp_path / "shares", rebuild_procs=2) as index:
        shares = [counted(share) for share in shares_of(records, 250)]
        assert index.rebuild_in_shares(shares, 7) == 1000
        assert read_by == []  # every share was read in a helper, never here
        assert index.applied_seq() == 7
        assert keyed_contents(index) == expected
        reader = index._fresh_searcher().reader()
        assert len(list(reader.leaf_readers())) == 4  # a segment a share
        # Documents are numbered in the order of the shares: same ties, same pages.
        assert index.search(SearchRequest(q="council rent", per_page=50)) == before


def test_an_empty_share_adds_no_segment(tmp_path: Path) -> None:
    records = varied_records(30)
    shares = [lambda: iter(records[:10]), lambda: iter([]), lambda: iter(records[10:])]
    with SearchIndex(tmp_path / "index", rebuild_procs=2) as index:
        assert index.rebuild_in_shares(shares, 1) == 30
        assert len(list(index._fresh_searcher().reader().leaf_readers())) == 2
        assert sorted(index.documents()) == sorted(r["key"] for r in records)


@pytest.mark.parametrize(
    ("records", "procs", "expected"),
    [
        (4999, 2, 0),  # too few to be worth a fork
        (100_000, 1, 0),  # one process: it reads everything itself
        (5000, 2, 2),
        (20_000, 2, 2),  # a segment of 10,000 for each helper, as `fill` writes
        (100_000, 2, 10),
        (100_001, 2, 12),  # never a last share of one record for one helper alone
    ],
)
def test_how_many_shares_a_rebuild_is_read_in(records: int, procs: int, expected: int) -> None:
    assert generations.CHUNK == 20_000 and generations.PARALLEL_THRESHOLD == 5000
    assert share_count(records, procs) == expected


def failing_rebuild(
    tmp_path: Path, broken: generations.Share
) -> tuple[SearchIndex, list[generations.Share]]:
    """An index rebuilt from three records, and four shares to rebuild it from
    of which the third is `broken`."""
    index = SearchIndex(tmp_path / "index", rebuild_procs=2)
    index.rebuild(varied_records(3), 1)
    shares = shares_of(varied_records(400), 100)
    shares[2] = broken
    return index, shares


def assert_unchanged(index: SearchIndex) -> None:
    assert sorted(index.documents()) == ["asset-0", "asset-1", "asset-2"]
    assert index.applied_seq() == 1
    assert index.search(SearchRequest(q="council", include_retired=True)).total == 3
    assert len(list(index.path.glob("gen-*"))) == 1
    assert not list(index.path.glob("gen-*/*.tmp"))


def test_a_share_whose_read_fails_fails_the_rebuild_and_keeps_the_index(tmp_path: Path) -> None:
    def unreachable() -> Iterator[dict[str, Any]]:
        raise ConnectionError("the database went away")
        yield {}  # pragma: no cover - makes this a generator, as a share's reader is

    index, shares = failing_rebuild(tmp_path, unreachable)
    with index, pytest.raises(ConnectionError, match="the database went away"):
        index.rebuild_in_shares(shares, 2)
    assert_unchanged(index)


def test_a_bad_record_or_a_key_twice_in_shares_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    untitled = {**varied_records(1)[0], "key": "untitled", "title": " "}
    index, shares = failing_rebuild(tmp_path, lambda: iter([untitled]))
    with index:
        with pytest.raises(ValueError, match="asset 'untitled' has no title"):
            index.rebuild_in_shares(shares, 2)
        shares[2] = lambda: iter(varied_records(2))  # asset-0 and asset-1: in share 0 too
        with pytest.raises(ValueError, match="asset key 'asset-0' appears twice"):
            index.rebuild_in_shares(shares, 2)
        assert_unchanged(index)


def test_a_helper_killed_fails_the_rebuild_and_keeps_the_index(tmp_path: Path) -> None:
    def killed() -> Iterator[dict[str, Any]]:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel does when memory runs out
        yield {}  # pragma: no cover

    index, shares = failing_rebuild(tmp_path, killed)
    with index, pytest.raises(HelperDied, match=r"was killed \(signal 9\)"):
        index.rebuild_in_shares(shares, 2)
    assert_unchanged(index)

"""Many assets new to the index in one apply (#21) are written as whole segments,
by helper processes, and join the index in the same commit as Whoosh's writer's
updates and deletions: the index then finds exactly what one rebuilt from the
same records does, and a helper that fails leaves the index as it was."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from search import HelperDied, SearchIndex, SearchRequest, generations
from tests.search.test_bulk_segments import keyed_contents, varied_records

#: Lowered from generations.PARALLEL_THRESHOLD so that tests need few records.
BULK_FROM = 20


def creates(records: list[dict[str, Any]], seq: int = 1) -> list[dict[str, Any]]:
    return [
        {"seq": seq + n, "action": "asset.create", "key": r["key"], "after": r}
        for n, r in enumerate(records)
    ]


def applied(path: Path, changes: list[dict[str, Any]], procs: int = 2) -> SearchIndex:
    index = SearchIndex(path, rebuild_procs=procs)
    index.bulk_from = BULK_FROM
    assert index.apply(changes)
    return index


def rebuilt(path: Path, records: list[Mapping[str, Any]], seq: int) -> SearchIndex:
    index = SearchIndex(path, rebuild_procs=1)
    index.rebuild(iter(records), seq)
    return index


def found(index: SearchIndex) -> dict[str, Any]:
    """keyed_contents without the terms only deleted documents held (Whoosh
    keeps a deleted document's terms until its segment is merged)."""
    contents = keyed_contents(index)
    contents["terms"] = {term: keys for term, keys in contents["terms"].items() if keys}
    return contents


def segment_sizes(index: SearchIndex) -> list[int]:
    reader = index._fresh_searcher().reader()
    return sorted(leaf.doc_count_all() for leaf, _ in reader.leaf_readers())


def answers(index: SearchIndex) -> list[Any]:
    """The first page of a few searches: totals, keys and scores in order."""
    found = []
    for q in ["council", "council rent", "civica", "tenancy"]:
        results = index.search(SearchRequest(q=q, per_page=100))
        found.append((results.total, [(hit.key, hit.score) for hit in results.hits]))
    return found


@pytest.mark.parametrize("procs", [1, 2])
def test_new_assets_in_bulk_find_what_a_rebuild_does(tmp_path: Path, procs: int) -> None:
    records = varied_records(300)
    with applied(tmp_path / "applied", creates(records), procs) as index:
        # Written in bulk: one segment per helper, none by Whoosh's writer.
        assert segment_sizes(index) == ([150, 150] if procs == 2 else [300])
        assert index.applied_seq() == 300
        with rebuilt(tmp_path / "rebuilt", records, 300) as expected:
            assert found(index) == found(expected)
            assert answers(index) == answers(expected)


def test_a_few_new_assets_still_go_through_whooshs_writer(tmp_path: Path) -> None:
    with applied(tmp_path / "ix", creates(varied_records(BULK_FROM - 1))) as index:
        assert segment_sizes(index) == [BULK_FROM - 1]
        assert len(index.documents()) == BULK_FROM - 1


def test_new_updated_and_deleted_assets_in_one_apply(tmp_path: Path) -> None:
    records = varied_records(400)
    first, later = records[:100], records[100:]
    with applied(tmp_path / "applied", creates(first)) as index:
        changed = [{**r, "title": f"Renamed tenancy register {r['key']}"} for r in first[:30]]
        batch = [
            *creates(later, seq=101),
            *[
                {"seq": 401 + n, "action": "asset.update", "key": r["key"], "after": r}
                for n, r in enumerate(changed)
            ],
            *[
                {"seq": 431 + n, "action": "asset.delete", "key": r["key"], "after": None}
                for n, r in enumerate(first[30:40])
            ],
        ]
        assert index.apply(batch)
        assert index.applied_seq() == 440
        final = [*changed, *first[40:], *later]
        with rebuilt(tmp_path / "rebuilt", final, 440) as expected:
            assert found(index) == found(expected)
            assert answers(index) == answers(expected)
        assert index.documents()["asset-3"]["title"] == "Renamed tenancy register asset-3"


def test_a_key_deleted_and_created_again_in_one_batch_is_held_once(tmp_path: Path) -> None:
    records = varied_records(200)
    with applied(tmp_path / "applied", creates(records[:50])) as index:
        again = {**records[0], "title": "Council tenancy register again", "status": "active"}
        fresh = {**records[120], "title": "Council tenancy register fresh", "status": "active"}
        batch = [
            *creates(records[50:], seq=51),
            {"seq": 201, "action": "asset.delete", "key": "asset-0", "after": None},
            {"seq": 202, "action": "asset.create", "key": "asset-0", "after": again},
            {"seq": 203, "action": "asset.delete", "key": "asset-120", "after": None},
            {"seq": 204, "action": "asset.create", "key": "asset-120", "after": fresh},
        ]
        assert index.apply(batch)
        final = [again, *records[1:120], fresh, *records[121:]]
        with rebuilt(tmp_path / "rebuilt", final, 204) as expected:
            assert found(index) == found(expected)
        hits = index.search(SearchRequest(q="tenancy register", per_page=50)).hits
        assert sorted(hit.key for hit in hits) == ["asset-0", "asset-120"]
        # Created again after a delete in an earlier apply: still once.
        assert index.apply(
            [{"seq": 205, "action": "asset.delete", "key": "asset-7", "after": None}]
        )
        assert index.apply(creates([records[7], *varied_records(260)[200:]], seq=206))
        assert len(index.documents()) == 260
        request = SearchRequest(q=records[7]["title"], per_page=5, include_retired=True)
        assert [hit.key for hit in index.search(request).hits].count("asset-7") == 1


def _killed_in_a_helper(parent: int) -> Any:
    write_share = generations._write_share

    def write(ix: Any, records: Any) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel does when memory runs out
        return write_share(ix, records)  # pragma: no cover

    return write


def test_a_helper_killed_leaves_the_index_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = varied_records(200)
    with applied(tmp_path / "ix", creates(records[:40])) as index:
        before, seq = keyed_contents(index), index.applied_seq()
        with monkeypatch.context() as patch:
            patch.setattr(generations, "_write_share", _killed_in_a_helper(os.getpid()))
            with pytest.raises(HelperDied, match=r"was killed \(signal 9\)"):
                index.apply(creates(records[40:], seq=41))
        assert keyed_contents(index) == before and index.applied_seq() == seq
        # The writer's lock was let go: the same changes apply now.
        assert index.apply(creates(records[40:], seq=41))
        assert len(index.documents()) == 200


def test_a_bad_new_record_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    records = varied_records(100)
    with applied(tmp_path / "ix", creates(records[:40])) as index:
        before = keyed_contents(index)
        untitled = {**records[70], "title": " "}
        with pytest.raises(ValueError, match="has no title"):
            index.apply(creates([*records[40:70], untitled], seq=41))
        assert keyed_contents(index) == before and index.applied_seq() == 40

"""A rebuild writes whole segments in bulk (search.segments) instead of one
document at a time through Whoosh's writer (#21). Nothing searchable may
change: the same records written both ways give the same files, the same terms
and postings, stored records and columns; a parallel rebuild finds what a
single Whoosh writer would; and Whoosh's writer keeps updating the index after."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex

from search import SearchIndex, SearchRequest, generations
from search.codec import CatalogueCodec
from search.generations import WRITER_OPTIONS
from search.schema import build_schema, document_for, index_fields
from search.segments import commit_segments, write_segment
from tests.search.conftest import ChangeLog, record

_TEXT = """council tax arrears housing rent accounts school places bins recycling
centres libraries parking permits planning applications café résumé rentAccount
NHSNumber children people buses v3.0 the and of"""
WORDS = _TEXT.split()


def varied_records(count: int, seed: int = 21) -> list[dict[str, Any]]:
    """Records with repeated, accented, camelCase and stop words, tags, columns,
    missing values and retired assets; "council" is in every title, so its
    postings fill several blocks of 128."""
    rng = random.Random(seed)
    found = []
    for n in range(count):
        title = "Council " + " ".join(rng.choices(WORDS, k=rng.randint(1, 6))) + f" {n}"
        description = " ".join(rng.choices(WORDS, k=rng.randint(0, 30)))
        columns = [
            {"name": f"{rng.choice(WORDS)}_{c}", "description": rng.choice(["", *WORDS])}
            for c in range(rng.randint(0, 4))
        ]
        found.append(
            record(
                f"asset-{n}",
                title,
                description=description,
                tags=rng.sample(WORDS, k=rng.randint(0, 3)),
                columns=columns,
                source_system=rng.choice([None, "Civica", "Northgate"]),
                owner=rng.choice([None, "Joanne Whitaker", "Pat Owner"]),
                last_updated=rng.choice([None, "2025-03-01", "2026-11-30"]),
                status=rng.choice(["active", "active", "retired"]),
                links=[{"url": "https://data.example/x.csv", "format": "CSV"}] if n % 3 else [],
            )
        )
    return found


def whoosh_written(path: Path, records: list[dict[str, Any]]) -> Any:
    path.mkdir()
    ix = windex.create_in(str(path), build_schema())
    writer = ix.writer(**WRITER_OPTIONS)
    for r in records:
        writer.add_document(**index_fields(document_for(r)))
    writer.commit(merge=False)
    return ix


def bulk_written(path: Path, records: list[dict[str, Any]]) -> Any:
    path.mkdir()
    ix = windex.create_in(str(path), build_schema())
    docs = [index_fields(document_for(r)) for r in records]
    segment = write_segment(ix.storage, ix.indexname, ix.schema, CatalogueCodec(), docs)
    commit_segments(ix, [segment])
    return ix


def contents(ix: Any) -> dict[str, Any]:
    """Everything a search reads: every field's terms with their statistics and
    postings (document, weight, value), stored records and column values."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        found: dict[str, Any] = {"docs": reader.doc_count_all()}
        for field, term in reader.all_terms():
            info = reader.term_info(field, term)
            matcher = reader.postings(field, term)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            found[f"{field}:{term!r}"] = (
                info.weight(),
                info.doc_frequency(),
                info.min_id(),
                info.max_id(),
                info.max_weight(),
                postings,
            )
        found["stored"] = list(reader.all_stored_fields())
        for column in ("meta", "title_sort", "last_updated"):
            found[column] = list(reader.column_reader(column))
    return found


def segment_files(path: Path) -> dict[str, bytes]:
    """The segment's files by what follows the segment name (one segment)."""
    return {
        f.name.split(".", 1)[1]: f.read_bytes()
        for f in path.iterdir()
        if f.name.startswith("MAIN_") and "." in f.name and not f.name.endswith(".toc")
    }


def test_bulk_segment_is_what_whooshs_writer_writes(tmp_path: Path) -> None:
    records = varied_records(700)
    by_whoosh = whoosh_written(tmp_path / "whoosh", records)
    in_bulk = bulk_written(tmp_path / "bulk", records)
    expected = contents(by_whoosh)
    assert len(expected["title:b'council'"][5]) == 700  # in several blocks of 128
    assert contents(in_bulk) == expected
    files = segment_files(tmp_path / "bulk")
    assert sorted(files) == sorted(segment_files(tmp_path / "whoosh"))
    assert files == segment_files(tmp_path / "whoosh")


def keyed_contents(index: SearchIndex) -> dict[str, Any]:
    """What an index finds, by asset key rather than document number (segments
    may hold the documents in any order)."""
    with index._lock:
        terms = keyed_terms(index._fresh_searcher().reader())
        return {"terms": terms, "documents": index.documents()}


def keyed_terms(reader: Any) -> dict[tuple[str, Any], set[tuple[str, float, Any]]]:
    """Every (field, term) of a Whoosh reader with its postings as (asset key,
    weight, value)."""
    keys = {d: f["record"]["key"] for d, f in reader.iter_docs()}
    terms = {}
    for field, term in reader.all_terms():
        matcher = reader.postings(field, term)
        postings = set()
        while matcher.is_active():
            postings.add((keys[matcher.id()], matcher.weight(), matcher.value()))
            matcher.next()
        terms[(field, term)] = postings
    return terms


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks and parallel shares small enough to take every path in a test."""
    monkeypatch.setattr(generations, "CHUNK", 300)
    monkeypatch.setattr(generations, "PARALLEL_THRESHOLD", 100)


@pytest.mark.usefixtures("small_chunks")
def test_a_parallel_bulk_rebuild_finds_what_one_whoosh_writer_does(tmp_path: Path) -> None:
    records = varied_records(1000)  # chunks of 300, 300, 300 and 100, two helpers each
    with SearchIndex(tmp_path / "bulk", rebuild_procs=2) as index:
        assert index.rebuild(iter(records), 7) == 1000
        assert index.applied_seq() == 7
        found = keyed_contents(index)
        reader = index._fresh_searcher().reader()
        assert len(list(reader.leaf_readers())) == 8
    ix = whoosh_written(tmp_path / "plain", records)
    with ix.searcher() as searcher:
        expected = keyed_terms(searcher.reader())
    assert found["terms"] == expected
    assert found["documents"] == {r["key"]: document_for(r) for r in records}


@pytest.mark.usefixtures("small_chunks")
def test_whooshs_writer_updates_a_bulk_rebuilt_index(tmp_path: Path) -> None:
    records = varied_records(400)
    log = ChangeLog()
    with SearchIndex(tmp_path / "index", rebuild_procs=2) as index:
        index.rebuild(records, 0)
        renamed = {**records[5], "title": "Garage rents ledger", "status": "active", "version": 2}
        added = record("garage-waiting-list", "Garage waiting list")
        assert index.apply(
            [
                log.entry("asset.update", renamed["key"], renamed),
                log.entry("asset.create", added["key"], added),
                log.entry("asset.delete", records[9]["key"], None),
            ]
        )
        found = index.search(SearchRequest(q="garage"))
        assert sorted(hit.key for hit in found.hits) == ["asset-5", "garage-waiting-list"]
        assert index.search(SearchRequest(q="asset-9")).total == 0
        documents = index.documents()
        assert len(documents) == 400
        assert documents["asset-5"]["title"] == "Garage rents ledger"
        assert "asset-9" not in documents


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("procs", [1, 2])
def test_a_bad_record_in_a_bulk_rebuild_leaves_the_index_as_it_was(
    tmp_path: Path, procs: int
) -> None:
    records = varied_records(500)
    records[350] = {**records[350], "title": "  "}  # in the second chunk's helper
    with SearchIndex(tmp_path / "index", rebuild_procs=procs) as index:
        index.rebuild(varied_records(3), 1)
        with pytest.raises(ValueError, match="asset 'asset-350' has no title"):
            index.rebuild(records, 2)
        with pytest.raises(ValueError, match="asset key 'asset-1' appears twice"):
            index.rebuild([*varied_records(400), records[1]], 2)
        assert sorted(index.documents()) == ["asset-0", "asset-1", "asset-2"]
        assert index.applied_seq() == 1
        generations_left = sorted(p.name for p in index.path.glob("gen-*"))
        assert len(generations_left) == 1


def test_a_rebuild_of_no_records_leaves_an_empty_index_that_takes_changes(tmp_path: Path) -> None:
    log = ChangeLog()
    with SearchIndex(tmp_path / "index", rebuild_procs=2) as index:
        index.rebuild(varied_records(3), 1)
        assert index.rebuild([], 1) == 0
        assert index.documents() == {}
        assert index.search(SearchRequest(q="council")).total == 0
        log.seq = 1
        assert index.apply([log.create(record("bins", "Bin collections"))])
        assert index.search(SearchRequest(q="bin collections")).total == 1

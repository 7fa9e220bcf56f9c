"""The index's Whoosh codec: files the standard readers read, and the fast reading
of a term's documents that relies on whoosh-reloaded internals."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as windex

from search.codec import STORED, doc_ids
from search.generations import WRITER_OPTIONS
from search.schema import build_schema, document_for, index_fields
from tests.search.conftest import record


def test_doc_ids_match_whoosh_all_ids(tmp_path: Path) -> None:
    ix = windex.create_in(str(tmp_path), build_schema())
    writer = ix.writer(**WRITER_OPTIONS)
    for n in range(700):  # several posting blocks (128 postings each) for common terms
        words = ["common"] + (["even"] if n % 2 == 0 else []) + (["rare"] if n == 613 else [])
        writer.add_document(**index_fields(document_for(record(f"k{n}", " ".join(words)))))
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for term, count in [("common", 700), ("even", 350), ("rare", 1)]:
            expected = list(reader.postings("title", term).all_ids())
            assert list(doc_ids(reader.postings("title", term))) == expected
            assert len(expected) == count


def test_stored_records_are_read_back_and_written_lean(tmp_path: Path) -> None:
    """Each document's record comes back as it went in, from a stored-fields
    column that is pickled but not compressed, and no field writes a length
    column (nothing ranks by Whoosh's field lengths): a rebuild's cheaper files (#21)."""
    ix = windex.create_in(str(tmp_path), build_schema())
    writer = ix.writer(**WRITER_OPTIONS)
    docs = [document_for(record(f"k{n}", f"Council tax band {n}")) for n in range(50)]
    for doc in docs:
        writer.add_document(**index_fields(doc))
    writer.commit()
    with ix.searcher() as searcher:
        (segment,) = [r for r, _ in searcher.reader().leaf_readers()]
        perdoc = segment._perdoc
        assert [perdoc.stored_fields(n)["record"] for n in range(50)] == docs
        assert [f["record"] for f in searcher.reader().all_stored_fields()] == docs
        assert not [name for name in build_schema().names() if perdoc.has_column(f"_{name}_len")]
        colfile, offset, length = perdoc._get_column_file(STORED)
        colfile.seek(offset)
        assert colfile.read(1) == b"\x80"  # a pickle's first byte: not zlib's

"""The index's Whoosh codec: files the standard readers read, and the fast reading
of a term's documents that relies on whoosh-reloaded internals."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as windex

from search.codec import doc_ids
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

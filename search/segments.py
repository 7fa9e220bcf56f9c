"""Writing a whole index segment at once, for a full rebuild (issue #21).

Whoosh's SegmentWriter takes one document at a time and spends most of a
rebuild in Python per posting: each goes into a pool, the pool is sorted, and
the codec is handed the postings one call each. A rebuild knows every document
of a segment up front, so this writer gathers each field's postings per term in
a dict as it analyses the documents, then hands the codec a whole term's
postings at once (``search.codec``: one block of up to 128 postings per call),
in the order Whoosh's pool would have sorted them. The files are the codec's
own, written by its own writers, and read by the unchanged W3 readers: a test
builds the same records both ways and compares every term, posting, stored
record and column, and the files byte for byte.

Everything else (incremental updates, deletions, merges) stays Whoosh's writer,
which reads these segments like its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import repeat
from typing import Any

from whoosh.analysis import IDTokenizer
from whoosh.fields import FieldType, Schema
from whoosh.filedb.filestore import Storage
from whoosh.formats import Existence, Frequency
from whoosh.index import TOC, LockError, clean_files
from whoosh.system import pack_uint

from search.codec import CatalogueCodec


def write_segment(
    storage: Storage,
    indexname: str,
    schema: Schema,
    codec: CatalogueCodec,
    docs: Sequence[Mapping[str, Any]],
) -> Any:
    """Write `docs` (keyword arguments for ``writer.add_document``: index_fields())
    as one new segment in `storage` and return it, not yet in the index's table of
    contents (see ``commit_segments``). Raises whatever analysing a value raises;
    the segment's files are then left for ``clean_files`` to remove."""
    segment = codec.new_segment(storage, indexname)
    gathered = _write_documents(storage, schema, codec, segment, docs)
    fieldwriter = codec.field_writer(storage, segment)
    for fieldname in sorted(gathered):
        fieldwriter.start_field(fieldname, schema[fieldname])
        for tbytes, docnums, weights, values in gathered[fieldname].terms():
            fieldwriter.write_term(tbytes, docnums, weights, values)
        fieldwriter.finish_field()
    fieldwriter.close()
    segment.set_doc_count(len(docs))
    return segment


def _write_documents(
    storage: Storage,
    schema: Schema,
    codec: CatalogueCodec,
    segment: Any,
    docs: Sequence[Mapping[str, Any]],
) -> dict[str, _Postings]:
    """Write each document's stored fields and column values, as
    SegmentWriter.add_document does, and return every field's postings."""
    perdoc = codec.per_document_writer(storage, segment)
    fields = [(name, schema[name]) for name in sorted(schema.names())]
    gathered = {name: _postings_of(field) for name, field in fields if field.indexed}
    for docnum, doc in enumerate(docs):
        perdoc.start_doc(docnum)
        for name, field in fields:
            value = doc.get(name)
            if value is None:
                continue
            if field.indexed:
                gathered[name].add(value, docnum)
            perdoc.add_field(name, field, value if field.stored else None, 0)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
    perdoc.close()
    return {name: postings for name, postings in gathered.items() if postings}


class _Postings:
    """One field's postings in a segment, gathered document by document from
    Whoosh's (term, frequency, weight, value) tuples, any format.

    No field of the catalogue's schema is scorable, so no length is kept, and
    the document and field boosts are 1 (add_document multiplies by them)."""

    def __init__(self, field: FieldType) -> None:
        self.field = field
        self.found: dict[bytes, tuple[list[int], list[float], list[bytes]]] = {}

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, value: Any, docnum: int) -> None:
        field, found = self.field, self.found
        for text, _freq, weight, vbytes in field.format.word_values(
            value, field.analyzer, mode="index"
        ):
            tbytes = text.encode("utf-8")
            postings = found.get(tbytes)
            if postings is None:
                found[tbytes] = ([docnum], [weight], [vbytes])
            else:
                postings[0].append(docnum)
                postings[1].append(weight)
                postings[2].append(vbytes)

    def terms(self) -> Iterator[tuple[bytes, list[int], list[float], list[bytes]]]:
        """(term, document numbers, weights, values) in term order."""
        for tbytes in sorted(self.found):
            yield (tbytes, *self.found[tbytes])


class _CountedPostings(_Postings):
    """Postings of a frequency field whose format counts a value's terms itself
    (search.analysis: ``term_counts``), gathered without a Python step per
    posting: each document's terms, frequencies and number are appended to
    three flat lists, sorted once by term when the segment is written (a
    stable sort, so each term's documents stay in order). Its weights and
    values are Whoosh's Frequency format's: frequency × field boost, and the
    frequency packed as an unsigned int."""

    def __init__(self, field: FieldType) -> None:
        super().__init__(field)
        self.counts = field.format.term_counts
        self.words: list[str] = []
        self.freqs: list[int] = []
        self.docnums: list[int] = []

    def __bool__(self) -> bool:
        return bool(self.words)

    def add(self, value: Any, docnum: int) -> None:
        counts = self.counts(value)
        self.words += counts
        self.freqs += counts.values()
        self.docnums += repeat(docnum, len(counts))

    def terms(self) -> Iterator[tuple[bytes, list[int], list[float], list[bytes]]]:
        # Terms are compared as UTF-8 bytes, whose order is the code points' order.
        words = self.words
        order = sorted(range(len(words)), key=words.__getitem__)
        docnums = list(map(self.docnums.__getitem__, order))
        freqs = list(map(self.freqs.__getitem__, order))
        boost = self.field.format.field_boost
        weights = list(map(float, freqs)) if boost == 1.0 else [f * boost for f in freqs]
        values = list(map(pack_uint, freqs))
        start = 0
        for word, count in sorted(Counter(words).items()):
            end = start + count
            yield word.encode("utf-8"), docnums[start:end], weights[start:end], values[start:end]
            start = end


class _WholeValuePostings(_Postings):
    """Postings of a field whose term is its whole value (ID: IDTokenizer and the
    Existence format, e.g. ``key``): the term is the value, its weight the field
    boost and its value empty, as Existence.word_values gives them, without
    Whoosh's token stream (a fifth of writing a segment's documents, #21)."""

    def add(self, value: Any, docnum: int) -> None:
        if not isinstance(value, str):  # a list of terms: Whoosh's own way
            super().add(value, docnum)
            return
        boost = self.field.format.field_boost
        postings = self.found.get(tbytes := value.encode("utf-8"))
        if postings is None:
            self.found[tbytes] = ([docnum], [boost], [b""])
        else:
            postings[0].append(docnum)
            postings[1].append(boost)
            postings[2].append(b"")


def _postings_of(field: FieldType) -> _Postings:
    fmt = field.format
    if isinstance(fmt, Frequency) and hasattr(fmt, "term_counts"):
        return _CountedPostings(field)
    if type(fmt) is Existence and type(field.analyzer) is IDTokenizer:
        return _WholeValuePostings(field)
    return _Postings(field)


def commit_segments(ix: Any, segments: Sequence[Any]) -> None:
    """Add `segments` to index `ix`'s table of contents in one commit, under the
    index's write lock, as SegmentWriter.commit(merge=False) would. Raises
    whoosh.index.LockError if another writer holds the lock."""
    lock = ix.lock("WRITELOCK")
    if not lock.acquire(blocking=False):
        raise LockError
    try:
        info = ix._read_toc()
        found = [*info.segments, *segments]
        TOC(info.schema, found, info.generation + 1).write(ix.storage, ix.indexname)
        clean_files(ix.storage, ix.indexname, info.generation + 1, found)
    finally:
        lock.release()

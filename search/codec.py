"""The Whoosh codec the catalogue index is written with.

Whoosh's standard codec (W3) looks up the field length of every posting as it
writes it, to record per-block length bounds that only its own BM25 block-skipping
uses. This index never asks Whoosh to score (search.matching ranks from bitmaps),
so the writer skips the lookup: a fifth of indexing time. Posting blocks are not
compressed either, which makes both writing and reading a term's documents faster
for a modest amount of disk. Nor are the stored fields (each document's record,
pickled): W3 compresses every one with zlib, an eighth of a rebuild's indexing
time (issue #21), for files that stay small. Files are read by the W3 readers,
the stored fields' column by the same uncompressed column it was written with.

Segment names come from the operating system's randomness, not from Whoosh's
``random.choice``: anything that seeds the global ``random`` (a library, a
script, Hypothesis in the tests) would otherwise make two commits pick the same
name, and the second would overwrite the first segment's files.
"""

from __future__ import annotations

import secrets
import zlib
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate
from operator import sub
from pickle import dumps

from whoosh.codec.whoosh3 import (
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3Segment,
)
from whoosh.columns import Column, PickleColumn, VarBytesColumn
from whoosh.fields import Schema
from whoosh.matching import Matcher
from whoosh.util.numeric import length_to_byte


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema: Schema, lengths: object, items: Iterable) -> None:
        super().add_postings(schema, None, items)

    def add_term_postings(
        self, docnums: Sequence[int], weights: Sequence[float], values: Sequence[bytes]
    ) -> None:
        """Write the current term's postings (document order), a block at a time.

        The bytes W3PostingsWriter writes for one ``add(docnum, weight, value, 0)``
        per posting, then ``finish_term`` (search.segments writes whole segments
        with it; a test compares the files): blocks of up to 128 postings, the last
        marked by a negative length; a value kept only if not empty; the block's
        largest weight as add_posting keeps it. Each block is encoded with C-speed
        list operations rather than W3's Python per posting (delta coding, weight
        checks), and the term's statistics are kept by W3's own TermInfo.add_block.
        """
        writer = self._postwriter
        postfile = self._postfile
        terminfo = writer._terminfo
        limit = writer._blocklimit
        fixedsize = self._format.fixed_value_size()
        count = len(docnums)
        for start in range(0, count, limit):
            end = start + limit
            ids = docnums[start:end]
            block_weights = weights[start:end]
            floats = array("f", block_weights)
            writer._ids = ids
            writer._weights = floats
            writer._maxweight = max(0, max(block_weights))
            terminfo.add_block(writer)  # minimum/maximum length stay None/0
            if not writer._blockcount:
                postfile.write(WHOOSH3_HEADER_MAGIC)
            kept = [v for v in values[start:end] if v]
            data = (
                tuple(map(sub, ids, [0, *ids[:-1]])),
                _mini_weights(floats),
                _mini_values(kept, fixedsize),
            )
            databytes = dumps(data, 2)
            comp = writer._compression
            if comp:
                databytes = zlib.compress(databytes, comp)
            info = (len(ids), ids[-1], writer._maxweight, comp, _NO_LENGTH, _ZERO_LENGTH)
            infobytes = dumps(info, 2)
            length = len(infobytes) + len(databytes)
            postfile.write_int(-length if end >= count else length)
            postfile.write(infobytes)
            postfile.write(databytes)
            writer._blockcount += 1
        writer._new_block()  # empty: finish_postings writes no block of its own


_NO_LENGTH = length_to_byte(None)
_ZERO_LENGTH = length_to_byte(0)


def _mini_weights(weights: array) -> object:
    """W3PostingsWriter._mini_weights: None if all 1, one number if all equal."""
    if weights.count(1.0) == len(weights):
        return None
    if weights.count(weights[0]) == len(weights):
        return weights[0]
    return tuple(weights)


def _mini_values(values: list[bytes], fixedsize: int | None) -> object:
    """W3PostingsWriter._mini_values."""
    if fixedsize is None or fixedsize < 0:
        return tuple(values)
    if fixedsize == 0:
        return None
    return b"".join(values)


#: The column of each document's stored fields: pickled, not compressed.
STORED = "_stored"
STORED_COLUMN = PickleColumn(VarBytesColumn())


class _PerDocWriter(W3PerDocWriter):
    def _create_column(self, fieldname: str, column: Column) -> None:
        super()._create_column(fieldname, STORED_COLUMN if fieldname == STORED else column)


class _PerDocReader(W3PerDocReader):
    def column_reader(self, fieldname: str, column: Column) -> object:
        return super().column_reader(fieldname, STORED_COLUMN if fieldname == STORED else column)


class CatalogueCodec(W3Codec):
    """W3 without per-posting length lookups, uncompressed (see module docstring)."""

    def __init__(self) -> None:
        super().__init__(compression=0)

    def field_writer(self, storage: object, segment: object) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)

    def per_document_writer(self, storage: object, segment: object) -> W3PerDocWriter:
        return _PerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: object, segment: object) -> W3PerDocReader:
        return _PerDocReader(storage, segment)

    def new_segment(self, storage: object, indexname: str) -> W3Segment:
        # 16 characters from Whoosh's alphabet (0-9a-z), as its own ids have.
        return W3Segment(self, indexname, segid=secrets.token_hex(8))


def doc_ids(matcher: Matcher) -> Iterable[int]:
    """Return every document number of a fresh postings matcher, in order.

    Whoosh's own all_ids() makes three method calls and a Python delta-decoding step
    per posting; for W3's block matcher this decodes whole blocks at C speed
    (itertools.accumulate), four times faster, which is what a search's first use of
    a common word costs. It relies on W3LeafMatcher internals of whoosh-reloaded
    2.7.5 (a test pins the equivalence) and falls back to all_ids() for any other
    matcher (e.g. short postings stored inline).
    """
    if type(matcher) is not W3LeafMatcher or matcher._byteids:
        return matcher.all_ids()
    ids: list[int] = []
    while not matcher._atend:
        matcher._read_data()
        ids.extend(accumulate(matcher._data[0]))
        matcher._next_block()
    return ids

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
    W3TermInfo,
)
from whoosh.columns import Column, PickleColumn, VarBytesColumn
from whoosh.fields import Schema
from whoosh.matching import Matcher
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte


class _FieldWriter(W3FieldWriter):
    def add_postings(self, schema: Schema, lengths: object, items: Iterable) -> None:
        super().add_postings(schema, None, items)

    def write_term(
        self,
        btext: bytes,
        docnums: Sequence[int],
        weights: Sequence[float],
        values: Sequence[bytes],
    ) -> None:
        """Write term `btext` of the current field with all its postings (in
        document order): the bytes ``start_term``, one ``add(docnum, weight,
        value, 0)`` per posting and ``finish_term`` write (search.segments writes
        whole segments with it; a test compares the files).

        That is: blocks of up to 128 postings after a header, the last marked by a
        negative length, a value kept only if not empty, each block's largest
        weight as W3PostingsWriter.add_posting keeps it, and the term's statistics
        as W3TermInfo.add_block sums them. Each block is encoded with C-speed list
        operations rather than W3's Python per posting (delta coding, weight
        checks), and the term's statistics are worked out once per term.
        """
        postfile = self._postfile.file
        offset = postfile.tell()
        limit = self._codec._blocklimit
        comp = self._codec._compression
        fixedsize = self._format.fixed_value_size()
        count = len(docnums)
        total_weight: float = 0
        most: float = 0
        parts = [WHOOSH3_HEADER_MAGIC]
        for start in range(0, count, limit):
            end = start + limit
            ids = docnums[start:end]
            block_weights = weights[start:end]
            floats = array("f", block_weights)
            block_most = max(0, max(block_weights))
            total_weight += sum(floats)
            most = max(most, block_most)
            data = (
                tuple(map(sub, ids, [0, *ids[:-1]])),
                _mini_weights(floats),
                _mini_values([v for v in values[start:end] if v], fixedsize),
            )
            databytes = dumps(data, 2)
            if comp:
                databytes = zlib.compress(databytes, comp)
            infobytes = dumps((len(ids), ids[-1], block_most, comp, _NO_LENGTH, _ZERO_LENGTH), 2)
            length = len(infobytes) + len(databytes)
            parts += (pack_int(-length if end >= count else length), infobytes, databytes)
        written = b"".join(parts)  # one write a term: most terms have a posting or two
        postfile.write(written)
        terminfo = W3TermInfo(weight=total_weight, df=count, maxweight=most)
        terminfo._minid, terminfo._maxid = docnums[0], docnums[-1]
        terminfo.set_extent(offset, len(written))
        self._tindex.add(pack_ushort(self._fieldid) + btext, terminfo.to_bytes())


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

"""The ``meta`` values of one Whoosh segment, decoded once: a list per field and
each field's documents grouped by value as local bitmaps, plus what a table of
documents reads from a segment (its id, its live documents, its raw values).

Segments never change once written, so ``search.facets.DocTable`` caches these
by segment id; a deletion only hides documents, which the live bitmap reflects.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from itertools import chain

from whoosh.reading import IndexReader

from search.bitmaps import from_ids
from search.schema import FIELD_SEP, META_FIELDS, MULTI_FIELDS, VALUE_SEP

_MULTI = [META_FIELDS.index(name) for name in MULTI_FIELDS]
_TITLE_TERMS = META_FIELDS.index("title_terms")
_UNIQUE = ("title_sort", "title_terms", "key", "title", "created", "modified")
#: Fields with at most this many values are counted with one bitmap per value.
FEW_VALUES = 64


class SegmentValues:
    """The decoded ``meta`` values of one segment: one list per field, plus, built
    on first use, each field's documents grouped by value (as local bitmaps)."""

    def __init__(self, raw_values: Iterable[bytes | str]) -> None:
        columns: list[list] = [[] for _ in META_FIELDS]
        width = len(META_FIELDS)
        blank = ("",) * width
        for raw in raw_values:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            parts = text.split(FIELD_SEP) if text else blank
            if len(parts) != width:
                parts = blank
            for column, value in zip(columns, parts, strict=True):
                column.append(value)
        for number in _MULTI:
            columns[number] = [tuple(v.split(VALUE_SEP)) if v else () for v in columns[number]]
        # A title's words between spaces, so a phrase is found in it with one `in`
        # (search.matching checks phrases in titles at C speed).
        columns[_TITLE_TERMS] = [f" {v} " for v in columns[_TITLE_TERMS]]
        for number, name in enumerate(META_FIELDS):
            if name not in _UNIQUE:  # share one string object per value: a tenth the memory
                shared: dict = {}
                columns[number] = [shared.setdefault(v, v) for v in columns[number]]
        self.columns = dict(zip(META_FIELDS, columns, strict=True))
        self.size = len(columns[0])
        self._groups: dict[str, dict[str, int]] = {}
        self._distinct: dict[str, frozenset[str]] = {}
        self._single: OrderedDict[tuple[str, str], int] = OrderedDict()

    def distinct(self, name: str) -> frozenset[str]:
        """Return the values field `name` takes in this segment."""
        if name not in self._distinct:
            column = self.columns[name]
            found = set(chain.from_iterable(column)) if name in MULTI_FIELDS else set(column)
            found.discard("")
            self._distinct[name] = frozenset(found)
        return self._distinct[name]

    def groups(self, name: str) -> dict[str, int]:
        """Return {value: bitmap of local document numbers} for field `name`, in one
        pass over the column (meant for fields with few values)."""
        if name not in self._groups:
            members: dict[str, list[int]] = {}
            for docnum, value in enumerate(self.columns[name]):
                for item in value if name in MULTI_FIELDS else (value,):
                    if item:
                        members.setdefault(item, []).append(docnum)
            self._groups[name] = {v: from_ids(ids, self.size) for v, ids in members.items()}
        return self._groups[name]

    def bitmap_of(self, name: str, value: str) -> int:
        """Return the local bitmap of documents whose field `name` has `value`."""
        if len(self.distinct(name)) <= FEW_VALUES:
            return self.groups(name).get(value, 0)
        key = (name, value)
        if key not in self._single:
            column = self.columns[name]
            if name in MULTI_FIELDS:
                ids = [d for d, tags in enumerate(column) if value in tags]
            else:
                ids = [d for d, v in enumerate(column) if v == value]
            self._single[key] = from_ids(ids, self.size)
            if len(self._single) > 256:
                self._single.popitem(last=False)
        return self._single[key]


def live_documents(segreader: IndexReader, size: int) -> int:
    """Return the bitmap of a segment's undeleted documents.

    Not cached with the values: deleting documents changes a segment's live set
    but not its id.
    """
    everything = (1 << size) - 1
    if not segreader.has_deletions():
        return everything
    segment = segreader.segment()
    if segment is not None:
        return everything & ~from_ids(segment.deleted_docs(), size)
    return from_ids(segreader.all_doc_ids(), size)


def segment_id(segreader: IndexReader) -> str:
    """Return a segment's unique id ('' for a reader that is not a segment)."""
    segment = segreader.segment() if hasattr(segreader, "segment") else None
    return segment.segment_id() if segment is not None else ""


def meta_column(segreader: IndexReader) -> Sequence[bytes | str]:
    """Return a segment's ``meta`` values as stored (blank when it has none)."""
    if not segreader.has_column("meta"):
        return [""] * segreader.doc_count_all()
    return list(segreader.column_reader("meta", translate=False))

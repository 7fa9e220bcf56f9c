"""Per-document values for filtering, facets, visibility and sorting.

Whoosh's own faceting re-reads a field's values for every search; at 100,000 assets
that alone costs more than the whole query budget. Instead the ``meta`` column of
each segment is decoded once into plain lists, cached by segment (segments never
change once written; a deletion only hides documents, which the live set reflects),
and a search works on sets of document numbers with C-speed set operations and
Counter. A new commit costs only the decoding of its new, small segment.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from itertools import chain
from operator import itemgetter

from whoosh.reading import IndexReader

from search.model import FACET_FIELDS, Visibility
from search.schema import FIELD_SEP, META_FIELDS, VALUE_SEP

_TAG = META_FIELDS.index("tag")


class SegmentValues:
    """The decoded ``meta`` values of one segment, one list per field."""

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
        columns[_TAG] = [tuple(v.split(VALUE_SEP)) if v else () for v in columns[_TAG]]
        self.columns = dict(zip(META_FIELDS, columns, strict=True))


class DocTable:
    """Values of every document of one reader, indexed by global document number."""

    def __init__(self, reader: IndexReader, cache: dict[str, SegmentValues]) -> None:
        """Assemble from per-segment values, decoding only segments not in `cache`
        (which is updated in place: entries for vanished segments are dropped)."""
        self.reader = reader
        self.columns: dict[str, list] = {name: [] for name in META_FIELDS}
        live: list[Iterable[int]] = []
        in_use: set[str] = set()
        for segreader, offset in reader.leaf_readers():
            seg_id = _segment_id(segreader)
            values = cache.get(seg_id) if seg_id else None
            if values is None:
                values = SegmentValues(_meta_column(segreader))
                if seg_id:
                    cache[seg_id] = values
            in_use.add(seg_id)
            for name, column in values.columns.items():
                self.columns[name].extend(column)
            live.append(d + offset for d in segreader.all_doc_ids())
        for stale in set(cache) - in_use:
            del cache[stale]
        self.live = frozenset(chain.from_iterable(live))
        self._allowed: dict[tuple[Visibility, bool], set[int]] = {}
        self._ranks: dict[str, list[int]] = {}

    def rank(self, sort: str) -> list[int]:
        """Return each document's position in `sort` order ('title' or 'updated').

        Computed once per table, so sorting a result set is a C-speed key lookup.
        """
        if sort not in self._ranks:
            titles = self.columns["title_sort"]
            order = sorted(range(len(titles)), key=titles.__getitem__)
            if sort == "updated":
                # Stable sorts: newest first, undated ("") last, ties keep title order.
                order.sort(key=self.columns["last_updated"].__getitem__, reverse=True)
            ranks = [0] * len(order)
            for position, docnum in enumerate(order):
                ranks[docnum] = position
            self._ranks[sort] = ranks
        return self._ranks[sort]

    def allowed(self, visibility: Visibility, include_retired: bool) -> set[int]:
        """Return the live documents `visibility` may see (cached per visibility: the
        caller must not modify the set)."""
        cache_key = (visibility, include_retired)
        found = self._allowed.get(cache_key)
        if found is None:
            found = set(self._compute_allowed(visibility, include_retired))
            if len(self._allowed) > 64:
                self._allowed.clear()
            self._allowed[cache_key] = found
        return found

    def _compute_allowed(self, visibility: Visibility, include_retired: bool) -> Iterable[int]:
        status = self.columns["status"]
        docs: Iterable[int] = self.live
        if not include_retired:
            docs = (d for d in docs if status[d] != "retired")
        if visibility.everything:
            return docs
        access = self.columns["access"]
        dept = self.columns["department"]
        owner = self.columns["owner_email"]
        steward = self.columns["steward_email"]
        return (d for d in docs if visibility.allows(access[d], dept[d], owner[d], steward[d]))

    def values_of(self, name: str, docnum: int) -> tuple[str, ...]:
        """Return the facet values of one document for facet field `name`."""
        value = self.columns[name][docnum]
        if name == "tag":
            return value
        return (value,) if value else ()


def _segment_id(segreader: IndexReader) -> str:
    segment = segreader.segment() if hasattr(segreader, "segment") else None
    return segment.segment_id() if segment is not None else ""


def _meta_column(segreader: IndexReader) -> Iterable[bytes | str]:
    if not segreader.has_column("meta"):
        return [""] * segreader.doc_count_all()
    return list(segreader.column_reader("meta", translate=False))


def _matching(table: DocTable, docs: Set[int], name: str, wanted: frozenset[str]) -> set[int]:
    column = table.columns[name]
    if name == "tag":
        return {d for d in docs if not wanted.isdisjoint(column[d])}
    return {d for d in docs if column[d] in wanted}


def _count(table: DocTable, docs: Iterable[int], name: str) -> list[tuple[str, int]]:
    docs = list(docs)
    if not docs:
        return []
    values = (
        itemgetter(*docs)(table.columns[name]) if len(docs) > 1 else (table.columns[name][docs[0]],)
    )
    counts = Counter(chain.from_iterable(values)) if name == "tag" else Counter(values)
    counts.pop("", None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))


def filter_and_count(
    table: DocTable, base: Set[int], filters: Mapping[str, frozenset[str]]
) -> tuple[Set[int], dict[str, list[tuple[str, int]]]]:
    """Apply `filters` to `base` and count facet values.

    Returns (documents passing every filter, facets). A field's facet counts apply
    every filter except its own, so a person can see and add other values of a
    field they already filtered on; fields without a filter count the final set.
    """
    passing = {name: _matching(table, base, name, wanted) for name, wanted in filters.items()}
    final = set(base).intersection(*passing.values()) if passing else base
    facets = {}
    for name in FACET_FIELDS:
        if name in passing:
            others = [docs for other, docs in passing.items() if other != name]
            docs = set(base).intersection(*others) if others else base
        else:
            docs = final
        facets[name] = _count(table, docs, name)
    return final, facets


def top_by(table: DocTable, docs: Iterable[int], sort: str, limit: int) -> list[int]:
    """Return up to `limit` documents ordered by title (A-Z) or by last updated
    (newest first, undated last; ties by title)."""
    return heapq.nsmallest(limit, docs, key=table.rank(sort).__getitem__)

"""Per-document values for filtering, facets, visibility and sorting.

Whoosh's own faceting re-reads a field's values for every search; at 100,000 assets
that alone costs more than the whole query budget. Instead the ``meta`` column of
each segment is decoded once into plain lists and cached by segment (segments never
change once written; a deletion only hides documents, which the live bitmap
reflects; see search.segment_values). Sets of documents are bitmaps
(search.bitmaps), so visibility, filters and the counts of few-valued facets are
C-speed integer operations; many-valued facets (tags, owners) count the
documents of small result sets directly.
"""

from __future__ import annotations

from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVar

from whoosh.reading import IndexReader

from search.bitmaps import by_rank, first_ranked, from_ids, ranks_of, to_ids
from search.model import FACET_FIELDS, Visibility
from search.schema import META_FIELDS, MULTI_FIELDS
from search.segment_values import (
    FEW_VALUES,
    SegmentValues,
    live_documents,
    meta_column,
    segment_id,
)

#: What a table derives from its documents: a value per document, or an order.
Derived = TypeVar("Derived")

#: Fields with more values than FEW_VALUES (owners, tags) are counted with a
#: bitmap per value too, if they have at most this many (each bitmap costs an index-wide bit per
#: document) and the documents counted are many: counting one document by its
#: values costs about as much as ANDing this many bits (measured at 20,000 to
#: 250,000 documents: ~150 ns a document against ~0.07 ns a bit).
MAX_VALUE_BITMAPS = 256
BITS_PER_DOCUMENT = 2048
#: Result sets up to this size are ordered by sorting; larger ones walk a
#: precomputed order of the whole index until the page is full.
SORT_DIRECTLY = 4000


class DocTable:
    """Values of every document of one reader, indexed by global document number."""

    def __init__(self, reader: IndexReader, cache: dict[str, SegmentValues]) -> None:
        """Assemble from per-segment values, decoding only segments not in `cache`
        (which is updated in place: entries for vanished segments are dropped)."""
        self.reader = reader
        self.columns: dict[str, list] = {name: [] for name in META_FIELDS}
        self.segments: list[tuple[SegmentValues, int]] = []
        self.live = 0
        in_use: set[str] = set()
        ids: list[str] = []
        for segreader, offset in reader.leaf_readers():
            seg_id = segment_id(segreader)
            values = cache.get(seg_id) if seg_id else None
            if values is None:
                values = SegmentValues(meta_column(segreader))
                if seg_id:
                    cache[seg_id] = values
            in_use.add(seg_id)
            ids.append(seg_id)
            self.segments.append((values, offset))
            for name, column in values.columns.items():
                self.columns[name].extend(column)
            self.live |= live_documents(segreader, values.size) << offset
        for stale in set(cache) - in_use:
            del cache[stale]
        #: (segment id, offset) of each segment, in order ("" for an unnamed one)
        self.segment_ids = [
            (seg, offset) for seg, (_, offset) in zip(ids, self.segments, strict=True)
        ]
        self.size = len(self.columns["title_sort"])
        self._bitmaps: OrderedDict[tuple[str, frozenset[str]], int] = OrderedDict()
        self._allowed: dict[tuple[Visibility, bool], int] = {}
        self._orders: dict[str, list[int]] = {}
        self._ranks: dict[str, array[int]] = {}
        self._distinct: dict[str, frozenset[str]] = {}
        self._derived: dict[str, Any] = {}
        self._lengths: list[int] | None = None
        self._counts: OrderedDict[tuple[str, int], list[tuple[str, int]]] = OrderedDict()
        self._by_value: dict[str, dict[str, int]] = {}

    @classmethod
    def for_reader(
        cls, reader: IndexReader, cache: dict[str, SegmentValues], previous: DocTable | None
    ) -> DocTable:
        """The table of `reader`: `previous` (an earlier reader's), pointed at
        `reader`, when it holds the same documents (the same segments at the same
        offsets, with the same deletions: the same files opened again, as in a
        worker forked from a warmed master, which so shares the master's table and
        all it worked out); otherwise a new one."""
        if previous is not None:
            leaves = [(segment_id(r), offset, r) for r, offset in reader.leaf_readers()]
            if [(seg, offset) for seg, offset, _ in leaves] == previous.segment_ids and all(
                seg in cache for seg, _, _ in leaves
            ):
                live = 0
                for seg, offset, segreader in leaves:
                    live |= live_documents(segreader, cache[seg].size) << offset
                if live == previous.live:
                    previous.reader = reader
                    return previous
        return cls(reader, cache)

    # -- sets ------------------------------------------------------------

    def distinct(self, name: str) -> frozenset[str]:
        """Return the values field `name` takes in the index (worked out once per
        table: every facet count asks)."""
        if name not in self._distinct:
            found = frozenset().union(*(values.distinct(name) for values, _ in self.segments))
            self._distinct[name] = found
        return self._distinct[name]

    def bitmap(self, name: str, values: Iterable[str]) -> int:
        """Return the documents whose field `name` has any of `values` (cached)."""
        key = (name, frozenset(values))
        if key in self._bitmaps:
            self._bitmaps.move_to_end(key)
            return self._bitmaps[key]
        found = 0
        for segment, offset in self.segments:
            for value in key[1]:
                found |= segment.bitmap_of(name, value) << offset
        self._bitmaps[key] = found
        if len(self._bitmaps) > 256:
            self._bitmaps.popitem(last=False)
        return found

    def having(self, name: str, test: Callable[[str], bool]) -> int:
        """Return the documents with a value of field `name` that passes `test`
        (called once per distinct value; a document without a value has "")."""
        multi = name in MULTI_FIELDS
        if len(self.distinct(name)) <= FEW_VALUES:
            passing = [v for v in self.distinct(name) | {""} if test(v)]
            found = self.bitmap(name, [v for v in passing if v])
            if "" in passing:
                column = self.columns[name]
                found |= from_ids(d for d, v in enumerate(column) if not v)
            return found & self.live
        memo: dict[str, bool] = {}

        def passes(value: str) -> bool:
            if value not in memo:
                memo[value] = test(value)
            return memo[value]

        column = self.columns[name]
        if multi:
            ids = (d for d, vs in enumerate(column) if any(map(passes, vs or ("",))))
        else:
            ids = (d for d, v in enumerate(column) if passes(v))
        return from_ids(ids, self.size) & self.live

    def derived(self, name: str, build: Callable[[], Derived]) -> Derived:
        """Return what `build` makes of the documents (one value per document, or
        an order of them), made once per table (a table lasts until the index
        changes) and kept under `name`."""
        if name not in self._derived:
            self._derived[name] = build()
        return self._derived[name]

    def keyed(self, keys: Iterable[str]) -> int:
        """Return the documents whose ``key`` is one of ``keys`` (a few: the
        assets granted to one person), looked up in the key field's postings."""
        ids: list[int] = []
        for key in keys:
            if ("key", key) in self.reader:
                ids.extend(self.reader.postings("key", key).all_ids())
        return from_ids(ids, self.size) if ids else 0

    def allowed(self, visibility: Visibility, include_retired: bool) -> int:
        """Return the live documents `visibility` may see (cached per visibility)."""
        key = (visibility, include_retired)
        if key not in self._allowed:
            docs = self.live
            if not include_retired:
                docs &= ~self.bitmap("status", ["retired"])
            if not visibility.everything:
                restricted = self.bitmap("access", ["restricted"]) & (
                    self.bitmap("department", visibility.departments)
                    | self.bitmap("owner_email", visibility.people)
                    | self.bitmap("steward_email", visibility.people)
                )
                granted = self.keyed(visibility.keys) if visibility.keys else 0
                docs &= self.bitmap("access", visibility.access) | restricted | granted
            if len(self._allowed) > 64:
                self._allowed.clear()
            self._allowed[key] = docs
        return self._allowed[key]

    # -- counting --------------------------------------------------------

    def count(
        self, docs: int, name: str, decoded: dict[int, list[int]] | None = None
    ) -> list[tuple[str, int]]:
        """Return [(value, documents)] of field `name` among `docs`, most first.
        `decoded` keeps the members of sets counted document by document, for a
        caller counting several fields over the same documents."""
        cache_key = (name, docs)
        if cache_key in self._counts:
            self._counts.move_to_end(cache_key)
            return self._counts[cache_key]
        values = self.distinct(name)
        if not docs:
            counted: Mapping[str, int] = {}
        elif self._per_value(len(values), docs):
            counted = {v: (docs & bitmap).bit_count() for v, bitmap in self.by_value(name).items()}
        else:
            ids = decoded.get(docs) if decoded is not None else None
            if ids is None:
                ids = to_ids(docs)
                if decoded is not None:
                    decoded[docs] = ids
            column = self.columns[name]
            found = itemgetter(*ids)(column) if len(ids) > 1 else (column[ids[0]],)
            multi = name in MULTI_FIELDS
            counted = Counter(chain.from_iterable(found)) if multi else Counter(found)
        result = sorted(
            ((v, n) for v, n in counted.items() if n and v), key=lambda i: (-i[1], i[0].lower())
        )
        self._counts[cache_key] = result
        if len(self._counts) > 6 * 64:
            self._counts.popitem(last=False)
        return result

    def _per_value(self, values: int, docs: int) -> bool:
        """Whether counting `docs` by value bitmaps is cheaper than document by
        document (see MAX_VALUE_BITMAPS); both give the same counts."""
        if values <= FEW_VALUES:
            return True
        return values <= MAX_VALUE_BITMAPS and docs.bit_count() * BITS_PER_DOCUMENT >= (
            values * self.size
        )

    def by_value(self, name: str) -> dict[str, int]:
        """Return {value: documents with it} for field `name`, built on first use
        from the segments' groups and kept while this reader is in use."""
        if name not in self._by_value:
            found: dict[str, int] = {}
            for segment, offset in self.segments:
                for value, local in segment.groups(name).items():
                    found[value] = found.get(value, 0) | local << offset
            self._by_value[name] = found
        return self._by_value[name]

    # -- ordering --------------------------------------------------------

    def sort(self, ids: list[int], sort: str) -> list[int]:
        """Sort document numbers `ids` in place by `sort` and return them: 'title'
        (A-Z), 'short' (shortest title first, then A-Z) or 'updated' (newest first,
        undated last, then A-Z). Stable passes with C-level keys: fast enough to
        order the whole index."""
        titles = self.columns["title_sort"]
        ids.sort(key=titles.__getitem__)
        if sort == "short":
            if self._lengths is None:
                self._lengths = list(map(len, titles))
            ids.sort(key=self._lengths.__getitem__)
        elif sort == "updated":
            # Newest first; "" (undated) sorts lowest, so last; ties keep A-Z.
            ids.sort(key=self.columns["last_updated"].__getitem__, reverse=True)
        return ids

    def prepare(self) -> None:
        """Build now what first searches would build: the value bitmaps of facet
        fields counted by value, the orders of the whole index that ranking and
        browsing walk, and each document's place in the ranking's order (see
        search.index's warm-up). Nothing a searcher may see depends on it:
        visibility is applied per search."""
        for name in FACET_FIELDS:
            if len(self.distinct(name)) <= MAX_VALUE_BITMAPS:
                self.by_value(name)
        self._rank("short")  # the order ranking pages through
        self._order("title")

    def _order(self, sort: str) -> list[int]:
        if sort not in self._orders:
            self._orders[sort] = self.sort(list(range(self.size)), sort)
        return self._orders[sort]

    def _rank(self, sort: str) -> array[int]:
        """Each document's position in the `sort` order of the whole index."""
        if sort not in self._ranks:
            self._ranks[sort] = ranks_of(self._order(sort))
        return self._ranks[sort]

    def first(
        self, docs: int, sort: str, limit: int, decoded: dict[int, list[int]] | None = None
    ) -> list[int]:
        """Return the first `limit` documents of bitmap `docs` in `sort` order
        (`decoded`: members of sets already decoded in this search, by set)."""
        if limit <= 0 or not docs:
            return []
        members = docs.bit_count()
        # Walking the index's order finds `limit` members after about
        # limit * size / members steps; decoding and sorting costs a few per member.
        if members <= SORT_DIRECTLY or 3 * members * members <= limit * self.size:
            ids = decoded.get(docs) if decoded is not None else None
            if ids is None:
                ids = to_ids(docs)
            if sort in self._ranks:  # each member's place in the order, not a sort
                return by_rank(ids, self._orders[sort], self._ranks[sort], limit)
            return self.sort(list(ids), sort)[:limit]
        return first_ranked(docs, self._order(sort), lambda: self._rank(sort), limit)


def filter_and_count(
    table: DocTable,
    base: int,
    filters: Mapping[str, frozenset[str]],
    decoded: dict[int, list[int]] | None = None,
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """Apply `filters` to the documents of bitmap `base` and count facet values.

    Returns (documents passing every filter, facets). A field's facet counts apply
    every filter except its own, so a person can see and add other values of a
    field they already filtered on; fields without a filter count the final set.
    Sets decoded to count them are kept in `decoded` (for the page's ranking).
    """
    passing = {name: base & table.bitmap(name, wanted) for name, wanted in filters.items()}
    final = base
    for docs in passing.values():
        final &= docs
    facets = {}
    if decoded is None:
        decoded = {}  # owners and tags are often counted over the same set
    for name in FACET_FIELDS:
        docs = final
        if name in passing:
            docs = base
            for other, other_docs in passing.items():
                if other != name:
                    docs &= other_docs
        facets[name] = table.count(docs, name, decoded)
    return final, facets

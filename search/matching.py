"""Matching and ranking with bitmaps of each term's documents.

Whoosh stores the postings; this module reads each term's documents once per index
segment into a bitmap (cached: segments never change) and does all matching as
integer &/| operations, so a broad word costs microseconds after its first use, and
no query ever builds a tree of Python matchers.

Ranking is a custom scorer, ordered in tiers as the brief for council staff asks:

1. the exact key typed, 2. an exact title, 3. the whole query as a phrase in the
title, 4. every part of the query in the title, then 5. a score: for each word, its
rarity (BM25's idf) times 4 in the title, 2 in tags/column names/source system, 1
in the description, 0.5 in department/owner/steward (unless in the title too), 1.5
as the start of a title word; synonyms count 0.6 of that.
Ties go to the shorter title, then A-Z. Documents are grouped by which of these
features they have (bitmap partitions), so ranking never loops over every match.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, compress, repeat
from operator import contains

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound

from search.bitmaps import from_ids, to_ids
from search.codec import doc_ids
from search.facets import DocTable
from search.querying import QueryPlan, Unit, prefixable
from search.segment_values import segment_id
from search.spelling import SpellingDictionary
from search.synonyms import Member

TITLE, FACTS, ORG, BODY, PREFIX = 4.0, 2.0, 0.5, 1.0, 1.5
SYNONYM = 0.6
#: Tier bits, most significant first.
KEY_TIER, EXACT_TIER, PHRASE_TIER, TITLE_TIER = 8, 4, 2, 1
#: Phrase-in-title is checked document by document, so only for this many.
PHRASE_CHECK_LIMIT = 50_000
MAX_PARTITIONS = 2048
MAX_RELAXED_UNITS = 8
#: Fewer strict matches than this, none with every word in its title, is a weak
#: answer: partial matches are added (see Matcher.match).
WEAK_BELOW = 5
TEXT_FIELDS = ("title", "facts", "org", "body")
#: Words in at least one in this many documents of a segment are read when the
#: index is warmed (see common_terms).
PRELOAD_SHARE = 100


class _BitmapCache:
    """An LRU of bitmaps bounded by their total size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, int] = OrderedDict()
        self.bytes = 0

    def get(self, key: tuple) -> int | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple, bitmap: int) -> None:
        self._items[key] = bitmap
        self.bytes += bitmap.bit_length() // 8 + 64
        while self.bytes > self.max_bytes and self._items:
            _, old = self._items.popitem(last=False)
            self.bytes -= old.bit_length() // 8 + 64

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0


class TermBitmaps:
    """Bitmaps of documents per (field, term).

    Two levels: per segment (read from the postings once: a segment never changes,
    so this survives commits) and per index version (the segments' bitmaps shifted
    and combined, so a warm term costs one dictionary lookup).
    """

    def __init__(self, segment_bytes: int = 64 << 20, combined_bytes: int = 32 << 20) -> None:
        self._segments = _BitmapCache(segment_bytes)
        self._combined = _BitmapCache(combined_bytes)
        self._reader: IndexReader | None = None
        self._leaves: list[tuple[IndexReader, int, str]] = []

    def _segment_bitmap(self, segreader: IndexReader, seg_id: str, name: str, term: str) -> int:
        key = (seg_id, name, term)
        found = self._segments.get(key) if seg_id else None
        if found is None:
            # One look-up in the segment's term table, not two (``in`` then
            # postings): on a first use that look-up is most of the cost.
            try:
                postings = segreader.postings(name, term)
            except TermNotFound:
                found = 0
            else:
                # Deleted documents stay in (get() removes them): a deletion keeps
                # the segment's id, so a bitmap read before it must equal one read
                # after, or a word's rarity would depend on when it was first read.
                if isinstance(postings, FilterMatcher):
                    postings = postings.child
                found = from_ids(doc_ids(postings), segreader.doc_count_all())
            if seg_id:
                self._segments.put(key, found)
        return found

    def preload(self, reader: IndexReader, terms: Iterable[str]) -> int:
        """Read the segment bitmaps of `terms` in every text field now, within the
        cache's budget, so their first searches skip the postings (a common
        word's are the longest to read); return the bytes they take. Called where
        the index is warmed before workers fork, so the workers share them."""
        before = self._segments.bytes
        budget = self._segments.max_bytes // 2
        leaves = [(r, segment_id(r)) for r, _ in reader.leaf_readers()]
        for term in terms:
            for name in TEXT_FIELDS:
                for segreader, seg_id in leaves:
                    self._segment_bitmap(segreader, seg_id, name, term)
            if self._segments.bytes - before > budget:
                break
        return self._segments.bytes - before

    def get(self, reader: IndexReader, name: str, term: str, live: int) -> int:
        """Return the bitmap of documents of `reader` with `term` in field `name`
        (`live`: the reader's undeleted documents)."""
        if reader is not self._reader:
            self._reader = reader
            self._combined.clear()
            self._leaves = [(r, off, segment_id(r)) for r, off in reader.leaf_readers()]
        key = (name, term)
        found = self._combined.get(key)
        if found is None:
            found = 0
            for segreader, offset, seg_id in self._leaves:
                found |= self._segment_bitmap(segreader, seg_id, name, term) << offset
            found &= live
            self._combined.put(key, found)
        return found


def common_terms(reader: IndexReader, dictionary: SpellingDictionary) -> list[str]:
    """The words of `dictionary` in at least 1/PRELOAD_SHARE of some segment's
    documents, commonest first: those whose first search reads long postings."""
    largest = max((r.doc_count_all() for r, _ in reader.leaf_readers()), default=0)
    at_least = max(1, largest // PRELOAD_SHARE)
    found = [(-n, w) for w, n in dictionary.frequencies.items() if n >= at_least]
    return [w for _, w in sorted(found)]


def _all(bitmaps: list[int]) -> int:
    if not bitmaps:
        return 0
    found = bitmaps[0]
    for bitmap in bitmaps[1:]:
        found &= bitmap
    return found


@dataclass
class Evidence:
    """The bitmaps a plan needs: what each unit matches, and the ranking features."""

    units: list[int] = field(default_factory=list)
    in_title: list[int] = field(default_factory=list)
    features: list[tuple[int, float]] = field(default_factory=list)
    exact: int = 0
    key: int = 0


class Matcher:
    """Matches and ranks one QueryPlan against one index version."""

    def __init__(self, reader: IndexReader, table: DocTable, terms: TermBitmaps) -> None:
        self.reader, self.table, self.terms = reader, table, terms
        self.size = max(1, table.live.bit_count())

    def docs(self, name: str, term: str) -> int:
        """Documents with `term` in field `name`."""
        return self.terms.get(self.reader, name, term, self.table.live)

    def _idf(self, docs: int) -> float:
        df = docs.bit_count()
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def _word(self, term: str, raw: str | None, weight: float, ev: Evidence) -> tuple[int, int]:
        """Add a word's features; return (documents with it anywhere, in the title)."""
        title, facts, org, body = (self.docs(n, term) for n in TEXT_FIELDS)
        prefix = self.docs("title_prefix", raw[:15]) & ~title if raw and prefixable(raw) else 0
        anywhere = title | facts | org | body | prefix
        idf = self._idf(anywhere) * weight
        # Who publishes an asset says little about what it is: the department's name
        # counts only where the title does not already say it.
        org &= ~title
        parts = [(title, TITLE), (facts, FACTS), (org, ORG), (body, BODY), (prefix, PREFIX)]
        ev.features += [(docs, w * idf) for docs, w in parts if docs]
        return anywhere, title | prefix

    def _anywhere(self, term: str, fields: tuple[str, ...] = TEXT_FIELDS) -> int:
        found = 0
        for name in fields:
            found |= self.docs(name, term)
        return found

    def _member(self, member: Member, ev: Evidence, narrow: bool = False) -> tuple[int, int]:
        """Add a synonym's features; return (documents with all its words, in title).
        A ``narrow`` member (an acronym that is also a word) counts only in the
        title and short fields."""
        fields = ("title", "facts") if narrow else TEXT_FIELDS
        anywhere = _all([self._anywhere(t, fields) for t in member])
        in_title = _all([self.docs("title", t) for t in member]) & anywhere
        if anywhere:
            idf = self._idf(anywhere) * SYNONYM
            ev.features += [(in_title, TITLE * idf), (anywhere, BODY * idf)]
        return anywhere, in_title

    def evidence(self, plan: QueryPlan, units: list[Unit]) -> Evidence:
        """Gather the bitmaps for `units` of `plan`."""
        ev = Evidence()
        for unit in units:
            pairs = zip(unit.terms, unit.raw, strict=True)
            words = [self._word(t, None if unit.phrase else r, 1.0, ev) for t, r in pairs]
            matched, in_title = _all([w[0] for w in words]), _all([w[1] for w in words])
            for member in unit.alternatives:
                anywhere, title = self._member(member, ev, member in plan.narrow)
                matched, in_title = matched | anywhere, in_title | title
            ev.units.append(matched)
            ev.in_title.append(in_title & matched)
        if plan.exact:
            ev.exact = self.docs("title_exact", plan.exact)
        if plan.key:
            ev.key = self.docs("key", plan.key)
        return ev

    def match(self, plan: QueryPlan, allowed: int) -> tuple[Evidence, int, list[Unit], bool]:
        """Return (evidence, visible matches, units required, partial) for the
        strictest reading of `plan` that matches anything (see relaxations()).

        ``partial`` is True when some matches lack some of the words: the strict
        reading was weak (fewer than WEAK_BELOW matches, none with every word in
        its title: "libraries opening") or empty, so matches of all but one of the
        known words were added ("car parking charges" lists the car parks too),
        ranked with the strict ones by the usual tiers and scores. Callers should
        say so.
        """
        ev = self.evidence(plan, plan.units)
        found = (_all(ev.units) | ev.key) & allowed
        if found and not self._weak(ev, found, len(plan.units)):
            return ev, found, plan.units, False
        if found or _two_known_words(plan):
            units = [u for u in plan.units if not u.unknown]
            wider = self.evidence(plan, units)
            more = (_all_but_one(wider.units) | wider.key) & allowed
            if more & ~found:
                return wider, found | more, units, True
            if found:
                return ev, found, plan.units, False
        for units, combine in relaxations(plan):
            ev = self.evidence(plan, units)
            found = (combine(ev.units) | ev.key) & allowed
            if found:
                return ev, found, units, combine is not _all
        return ev, 0, plan.units, False

    @staticmethod
    def _weak(ev: Evidence, found: int, units: int) -> bool:
        """A strict answer too thin to stand alone (see `match`)."""
        strong = (_all(ev.in_title) | ev.exact | ev.key) & found
        return units >= 2 and not strong and found.bit_count() < WEAK_BELOW

    def rank(
        self,
        plan: QueryPlan,
        ev: Evidence,
        docs: int,
        limit: int,
        decoded: dict[int, list[int]] | None = None,
    ) -> list[tuple[int, float]]:
        """Return the best `limit` of bitmap `docs` as (document, score), best first
        (`decoded`: members of sets this search has already decoded, by set)."""
        in_title = _all(ev.in_title) & docs
        tiers = [(ev.key & docs, KEY_TIER), (ev.exact & docs, EXACT_TIER), (in_title, TITLE_TIER)]
        if len(plan.typed_terms) > 1:
            tiers.append((self._phrase_in_title(plan.typed_terms, in_title), PHRASE_TIER))
        parts = _partition(docs, tiers, ev.features)
        ranked: list[tuple[int, float]] = []
        for (_, score), bitmap in parts:
            need = limit - len(ranked)
            if need <= 0:
                break
            ranked += [(d, score) for d in self.table.first(bitmap, "short", need, decoded)]
        return ranked

    def _phrase_in_title(self, terms: tuple[str, ...], candidates: int) -> int:
        if not candidates or candidates.bit_count() > PHRASE_CHECK_LIMIT:
            return 0
        # Only a title with every word of the phrase as a word of its own can hold
        # it (the title field's terms are the title's terms): candidates matched
        # by a typed prefix ("mon case") are left out before any title is read.
        for term in set(terms):
            candidates &= self.docs("title", term)
        titles = self.table.columns["title_terms"]  # " words of the title "
        ids = to_ids(candidates)
        inside = map(contains, map(titles.__getitem__, ids), repeat(f" {' '.join(terms)} "))
        return from_ids(list(compress(ids, inside)), self.table.size)


def relaxations(plan: QueryPlan) -> Iterator[tuple[list[Unit], Callable[[list[int]], int]]]:
    """Looser readings to try, in order, when the strict one finds nothing.

    Yields (units, combine) where combine(unit bitmaps) gives the matches. First,
    words the index has never seen (and could not correct) are left out, if
    something is left; then, with three or more units, all but one must match:
    "council tax arrears" still finds council tax data. A one- or two-word query is
    never cut to one known word unless the other is unknown: that is how a search
    pads a page with weak matches.
    """
    known = [u for u in plan.units if not u.unknown]
    if known and len(known) < len(plan.units):
        yield known, _all
    if 3 <= len(known) <= MAX_RELAXED_UNITS:
        yield known, _all_but_one


def _two_known_words(plan: QueryPlan) -> bool:
    """Two units, both words the index knows: "libraries opening", not "quantum
    blockchain" (never seen) or a three-word query (see relaxations())."""
    return len(plan.units) == 2 and not any(u.unknown for u in plan.units)


def _all_but_one(bitmaps: list[int]) -> int:
    found = 0
    for subset in combinations(bitmaps, len(bitmaps) - 1):
        found |= _all(list(subset))
    return found


def _partition(
    docs: int, tiers: list[tuple[int, int]], features: list[tuple[int, float]]
) -> list[tuple[tuple[int, float], int]]:
    """Split `docs` into groups sharing the same tiers and score; best group first."""
    parts: list[tuple[tuple[int, float], int]] = [((0, 0.0), docs)]
    steps = [(bm, (bit, 0.0)) for bm, bit in tiers] + [(bm, (0, w)) for bm, w in features]
    for bitmap, (bit, weight) in steps:
        if not bitmap or len(parts) > MAX_PARTITIONS:
            continue
        split = []
        for (tier, score), members in parts:
            inside = members & bitmap
            if inside:
                split.append(((tier | bit, score + weight), inside))
                if members := members & ~bitmap:
                    split.append(((tier, score), members))
            else:
                split.append(((tier, score), members))
        parts = split
    merged: dict[tuple[int, float], int] = {}
    for (tier, score), members in parts:
        key = (tier, round(score, 4))
        merged[key] = merged.get(key, 0) | members
    return sorted(merged.items(), key=lambda p: (-p[0][0], -p[0][1]))

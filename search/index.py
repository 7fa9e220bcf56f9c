"""SearchIndex: the on-disk Whoosh index that mirrors the catalogue's assets.

It is kept in step by change-log entries (apply), rebuilt from records beside the
old one and swapped in (rebuild; see search.generations for the layout), both
written by search.updating, and read here with the bitmap engine in
search.searching.

Processes may share a directory: one writer at a time (Whoosh's lock, which apply()
waits for only `lock_timeout` seconds before returning False), readers never wait.
applied.json is written after the Whoosh commit; a crash in between only makes the
next apply() redo harmless work (updates are by key). Each SearchIndex keeps one
searcher, checked before each query (microseconds when nothing changed) and
reopened when the index or CURRENT changed (search.index_reading). One lock per
instance serialises its own threads: searchers are not thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from whoosh import index as windex
from whoosh.searching import Searcher

from search.facets import DocTable
from search.generations import (
    DEFAULT_PROCS,
    PARALLEL_THRESHOLD,
    POINTER,
    IndexUnreadable,
    Share,
    create_first_generation,
    current_name,
    fill,
    fill_shares,
    read_seq,
)
from search.index_reading import GenerationReader, raised_reading_files
from search.matching import TermBitmaps, common_terms
from search.model import EVERYTHING, SearchRequest, SearchResults, Visibility
from search.schema import document_for
from search.searching import rank_matches, run_autocomplete, run_search
from search.segment_values import SegmentValues, segment_id
from search.spelling import SPELLING_FIELDS, Corrections, SpellingDictionary
from search.synonyms import load_synonyms
from search.updating import apply_changes, rebuild_generation

T = TypeVar("T")


class SearchIndex(GenerationReader):
    """The catalogue's search index in `index_dir` (see the module docstring)."""

    #: From how many assets new to the index one apply() writes them in bulk, as
    #: whole segments, rather than one at a time through Whoosh's writer (#21).
    bulk_from: int = PARALLEL_THRESHOLD

    def __init__(
        self,
        index_dir: str | Path,
        synonyms: Mapping[str, Iterable[str]] | None = None,
        lock_timeout: float = 0.2,
        rebuild_procs: int = DEFAULT_PROCS,
    ) -> None:
        """Open the index in `index_dir`, creating the directory and an empty index
        if missing. `synonyms` groups ({word: [synonyms]}) are merged into the
        council list in search/synonyms.txt. Raises OSError if the directory cannot
        be created or read."""
        self.path = Path(index_dir)
        self.path.mkdir(parents=True, exist_ok=True)
        self.synonyms = load_synonyms(synonyms)
        self.lock_timeout = lock_timeout
        #: Processes a large rebuild may fork (1 in a threaded web worker, where a
        #: fork while another thread holds a lock can hang the child); an apply of
        #: many new assets too.
        self.rebuild_procs = rebuild_procs
        self._lock = threading.RLock()
        self._gen: str | None = None
        self._pointer_sig: tuple[int, int] | None = None
        self._ix: windex.Index | None = None
        self._searcher: Searcher | None = None
        self._segments: dict[str, SegmentValues] = {}
        self._table: DocTable | None = None
        self._terms = TermBitmaps()
        self._spelling: SpellingDictionary | None = None
        self._spelling_gen: str | None = None
        self._spelling_segments: set[str] = set()
        self._corrections = Corrections()
        self._unreadable: tuple[str, IndexUnreadable] | None = None
        self.preloaded_bytes = 0
        if not self.exists():
            create_first_generation(self.path)
        try:
            with self._lock:
                self._fresh_searcher(table=False)  # the table waits for a first read
        except IndexUnreadable:
            pass  # remembered: check() and every read say so; rebuild() replaces it

    def exists(self) -> bool:
        """Whether the index directory still holds an index (it may be deleted by
        hand while a process has it open)."""
        return (self.path / POINTER).exists()

    def check(self) -> None:
        """Raise IndexUnreadable if the generation in use cannot be opened, or a read
        from it failed on a damaged file; else return (cheap when nothing changed)."""
        with self._lock:
            self._fresh_searcher()
            if self._unreadable is not None and self._unreadable[0] == self._gen:
                raise self._unreadable[1]

    # -- generations -------------------------------------------------------

    # -- sequence bookkeeping ----------------------------------------------

    def applied_seq(self) -> int:
        """Return the sequence number of the last change applied to the index in use."""
        return read_seq(self.path / current_name(self.path))

    # -- writing -----------------------------------------------------------

    def apply(self, changes: Sequence[Mapping[str, Any]]) -> bool:
        """Apply change-log entries (docs/records.md) newer than applied_seq().

        asset.create/update/retire (re)index the asset from its `after` snapshot (an
        entry without one removes the asset); other actions only advance the
        sequence. Returns True when the index is up to date with `changes`, False
        without raising if another writer held the lock for lock_timeout seconds:
        the caller answers from the index as it is and catches up later. Applying
        the same entries again is harmless. Raises KeyError for an entry without
        seq/action/key, IndexUnreadable if the generation's files are damaged,
        HelperDied if a helper writing many new assets in bulk was killed (the
        index is then as it was).
        """
        return apply_changes(
            self.path, changes, self.lock_timeout, self.rebuild_procs, self.bulk_from
        )

    def rebuild(self, records: Iterable[Mapping[str, Any]], seq: int) -> int:
        """Index `records` (asset records) as a new generation at sequence `seq`,
        swap it in atomically and remove the old generation; return the number of
        documents. Searchers already open keep answering from the old files.

        Waits for any other rebuild of the same directory. Raises ValueError for a
        record without a title or a key seen twice (the index is then unchanged).
        """
        build = partial(fill, records=records, procs=self.rebuild_procs)
        return rebuild_generation(self.path, build, seq, self._swapped)

    def rebuild_in_shares(self, shares: Sequence[Share], seq: int) -> int:
        """``rebuild`` from records read in `shares` (as many as ``share_count``
        says for this index's ``rebuild_procs``), each read, analysed and written
        by a helper process of its own (``generations.fill_shares``). Raises as
        ``rebuild`` does, whatever reading a share raised, and HelperDied if a
        helper was killed; the index is then unchanged."""
        build = partial(fill_shares, shares=shares, procs=self.rebuild_procs)
        return rebuild_generation(self.path, build, seq, self._swapped)

    def _swapped(self) -> None:
        """After a rebuild: let go of the old generation's files. The new one is
        opened (and its table decoded) by the next read, not by a rebuild that
        may be the process's last act (`catalogue index rebuild`)."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = self._table = None
            self._gen = self._pointer_sig = None

    # -- reading -----------------------------------------------------------

    def _read(self, work: Callable[[Searcher, DocTable], T]) -> T:
        """Run `work` with an up-to-date searcher and DocTable, under the lock.

        If the generation's files vanish mid-read (another process rebuilt and
        removed it between our pointer check and a lazy file open), follow CURRENT
        and try once more.
        """
        with self._lock:
            for attempt in range(2):
                searcher = self._fresh_searcher()
                assert self._table is not None
                gen = self._gen or ""
                try:
                    return work(searcher, self._table)
                except FileNotFoundError as error:
                    if attempt:
                        raise self._damaged(gen, error) from error
                    self._pointer_sig = self._gen = None
                except Exception as error:
                    if raised_reading_files(error):
                        raise self._damaged(gen, error) from error
                    raise
            raise AssertionError("unreachable")

    def use_synonyms(self, synonyms: Mapping[str, Iterable[str]] | None) -> None:
        """Replace the extra synonym groups (the council list stays), e.g. when the
        glossary's approved terms change; queries expand with them from now on."""
        with self._lock:
            self.synonyms = load_synonyms(synonyms)
            self._spelling = None  # its dictionary holds the synonyms' words

    def search(self, request: SearchRequest) -> SearchResults:
        """Run `request` and return a page of results with facets.

        Raises InvalidQuery for bad filters, sort or paging; never for query text.
        """
        filters = request.validated_filters()

        def work(searcher: Searcher, table: DocTable) -> SearchResults:
            spelling = lambda: self.spelling(searcher)  # noqa: E731  (built only if needed)
            return run_search(
                searcher,
                table,
                self._terms,
                self.synonyms,
                spelling,
                request,
                filters,
                self._corrections,
            )

        return self._read(work)

    def select(
        self, q: str, visibility: Visibility, work: Callable[[DocTable, list[int] | None], T]
    ) -> T:
        """Return `work(table, ranked)` over the documents as they stand: `ranked`
        the active documents matching text `q` that `visibility` may see, best
        first (None when `q` is empty), for a caller that filters, counts and
        orders with the table's columns itself."""

        def read(searcher: Searcher, table: DocTable) -> T:
            if not q.strip():
                return work(table, None)
            spelling = lambda: self.spelling(searcher)  # noqa: E731  (built only if needed)
            request = SearchRequest(q=q, visibility=visibility)
            ranked = rank_matches(
                searcher, table, self._terms, self.synonyms, spelling, request, self._corrections
            )
            return work(table, ranked)

        return self._read(read)

    def autocomplete(
        self, prefix: str, limit: int = 8, visibility: Visibility = EVERYTHING
    ) -> list[tuple[str, str]]:
        """Return up to `limit` (key, title) pairs of visible, active assets whose
        title words start with what was typed ("recy cen" -> "Recycling Centres").

        Titles that begin with the typed text come first, then shorter titles.
        Served from the title n-gram field; never raises for any text.
        """

        def work(searcher: Searcher, table: DocTable) -> list[tuple[str, str]]:
            allowed = table.allowed(visibility, include_retired=False)
            return run_autocomplete(searcher, table, self._terms, allowed, prefix, limit)

        return self._read(work)

    def warm(self) -> None:
        """Build what first searches would (the spelling dictionary, the bitmaps
        of common words, facet value bitmaps, the index's sort orders), then close
        the open files: a process about to fork (`catalogue serve`'s master)
        shares what was built with its workers, and each reopens the files on its
        first read. Sets `preloaded_bytes` to what the common words' bitmaps take."""
        with self._lock:
            searcher = self._fresh_searcher()
            words = common_terms(searcher.reader(), self.spelling(searcher))
            self.preloaded_bytes = self._terms.preload(searcher.reader(), words)
            assert self._table is not None
            self._table.prepare()
            searcher.close()
            self._searcher = None

    def spelling(self, searcher: Searcher) -> SpellingDictionary:
        """Return the spelling dictionary for `searcher`'s index, first adding the
        words of segments it has not seen (only new, small ones after a commit)."""
        if self._spelling is None or self._spelling_gen != self._gen:
            self._spelling = SpellingDictionary()
            self._spelling.add((w, 0) for w in self.synonyms.words())
            self._spelling_segments = set()
            self._spelling_gen = self._gen
        for segreader, _ in searcher.reader().leaf_readers():
            seg = segment_id(segreader)
            if seg in self._spelling_segments:
                continue
            for name in SPELLING_FIELDS:
                self._spelling.add(_field_words(segreader, name))
            if seg:
                self._spelling_segments.add(seg)
        return self._spelling

    def documents(self) -> dict[str, dict]:
        """Return the stored fields of every indexed asset by key (retired included),
        in the shape of document_for()."""

        def work(searcher: Searcher, table: DocTable) -> dict[str, dict]:
            stored = searcher.reader().all_stored_fields()
            return {f["record"]["key"]: f["record"] for f in stored}

        return self._read(work)

    @staticmethod
    def document_for(record: Mapping[str, Any]) -> dict:
        """Return the stored fields the index keeps for asset `record` (see
        search.schema.document_for), for comparing with documents()."""
        return document_for(record)

    def close(self) -> None:
        """Release the searcher and caches. The index on disk is untouched."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix = self._table = self._spelling = None
            self._gen = self._pointer_sig = None
            self._segments.clear()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _field_words(reader: object, field: str) -> Iterable[tuple[str, int]]:
    for term, info in reader.iter_field(field):  # type: ignore[attr-defined]
        yield (term.decode("utf-8") if isinstance(term, bytes) else term), info.doc_frequency()

"""SearchIndex: the on-disk Whoosh index that mirrors the catalogue's assets.

Layout of an index directory::

    CURRENT              name of the generation in use, replaced with os.replace
    REBUILD.lock         held (flock) by a rebuild from build to clean-up
    gen-<time>-<rand>/   one Whoosh index, plus applied.json {"seq": N}

The applied sequence number lives *in* the generation, so swapping generations swaps
the index and its sequence together: a rebuild at seq S followed by a catch-up from
S can never skip a change. applied.json is written after the Whoosh commit; a crash
in between only makes the next apply() redo harmless work (updates are by key).

Processes may share a directory: one writer at a time (Whoosh's lock, which apply()
waits for only `lock_timeout` seconds before returning False), readers never wait.
Each SearchIndex keeps one searcher, refreshed (microseconds when nothing changed)
before each query and reopened when CURRENT names another generation. One lock per
instance serialises its own threads: searchers are not thread-safe.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, islice
from pathlib import Path

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage
from whoosh.index import EmptyIndexError, LockError
from whoosh.searching import Searcher

from search.facets import DocTable, SegmentValues
from search.matching import TermBitmaps
from search.model import EVERYTHING, SearchRequest, SearchResults, Visibility
from search.schema import build_schema, document_for, index_fields
from search.searching import run_autocomplete, run_search
from search.spelling import SpellingDictionary
from search.synonyms import load_synonyms

POINTER = "CURRENT"
SEQ_FILE = "applied.json"
REBUILD_LOCK = "REBUILD.lock"
GEN_PREFIX = "gen-"
#: Rebuilds index CHUNK records at a time; a chunk of at least PARALLEL_THRESHOLD
#: records is split between REBUILD_PROCS processes.
CHUNK = 20_000
PARALLEL_THRESHOLD = 5000
REBUILD_PROCS = min(2, os.cpu_count() or 1)
WRITER_MB = 256
#: A large index's spelling dictionary is rebuilt at most this often (seconds).
SPELLING_MAX_AGE = 30.0
SMALL_INDEX = 10_000


class SearchIndex:
    """The catalogue's search index in `index_dir` (see the module docstring)."""

    def __init__(
        self,
        index_dir: str | Path,
        synonyms: Mapping[str, Iterable[str]] | None = None,
        lock_timeout: float = 0.2,
    ) -> None:
        """Open the index in `index_dir`, creating the directory and an empty index
        if missing. `synonyms` groups ({word: [synonyms]}) are merged into the
        council list in search/synonyms.txt. Raises OSError if the directory cannot
        be created or read."""
        self.path = Path(index_dir)
        self.path.mkdir(parents=True, exist_ok=True)
        self.synonyms = load_synonyms(synonyms)
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._gen: str | None = None
        self._pointer_sig: tuple[int, int] | None = None
        self._ix: windex.Index | None = None
        self._searcher: Searcher | None = None
        self._segments: dict[str, SegmentValues] = {}
        self._table: DocTable | None = None
        self._terms = TermBitmaps()
        self._spelling: SpellingDictionary | None = None
        self._spelling_reader: object = None
        self._spelling_time = 0.0
        if not (self.path / POINTER).exists():
            self._create_first_generation()
        self._fresh_searcher()

    # -- generations -------------------------------------------------------

    def _new_generation(self) -> Path:
        name = f"{GEN_PREFIX}{time.time_ns():020d}-{secrets.token_hex(3)}"
        path = self.path / name
        path.mkdir()
        windex.create_in(str(path), build_schema())
        return path

    def _create_first_generation(self) -> None:
        gen = self._new_generation()
        _write_seq(gen, 0)
        tmp = self.path / f".{POINTER}.{secrets.token_hex(4)}"
        tmp.write_text(gen.name + "\n", encoding="utf-8")
        try:
            os.link(tmp, self.path / POINTER)  # fails if another process got there first
        except FileExistsError:
            shutil.rmtree(gen, ignore_errors=True)
        finally:
            tmp.unlink()

    def _current_name(self) -> str:
        name = (self.path / POINTER).read_text(encoding="utf-8").strip()
        if not name.startswith(GEN_PREFIX) or "/" in name:
            raise OSError(f"{self.path / POINTER} does not name an index generation: {name!r}")
        return name

    def _point_to(self, gen: str) -> None:
        tmp = self.path / f".{POINTER}.{secrets.token_hex(4)}"
        tmp.write_text(gen + "\n", encoding="utf-8")
        os.replace(tmp, self.path / POINTER)

    def _open(self, gen: str) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._ix = windex.open_dir(str(self.path / gen))
        self._searcher = self._ix.searcher()
        self._gen = gen

    def _fresh_searcher(self) -> Searcher:
        """Return an up-to-date searcher and make sure the DocTable matches it."""
        st = os.stat(self.path / POINTER)
        sig = (st.st_ino, st.st_mtime_ns)
        if sig != self._pointer_sig or self._searcher is None:
            gen = self._current_name()
            if gen != self._gen or self._searcher is None:
                self._open(gen)
            self._pointer_sig = sig
        else:
            try:
                self._searcher = self._refreshed(self._searcher)
            except (OSError, EmptyIndexError):
                # The generation vanished under us (rebuilt elsewhere): follow CURRENT.
                self._pointer_sig = None
                self._gen = None
                return self._fresh_searcher()
        assert self._searcher is not None
        reader = self._searcher.reader()
        if self._table is None or self._table.reader is not reader:
            self._table = DocTable(reader, self._segments)
        return self._searcher

    def _refreshed(self, searcher: Searcher) -> Searcher:
        """The searcher, refreshed if the index changed. Whoosh cannot refresh a
        searcher opened on an empty index (its reader has no segments to reuse),
        so that one is reopened instead."""
        if searcher.up_to_date():
            return searcher
        if searcher.reader().segments() is None:
            searcher.close()
            return self._ix.searcher()
        return searcher.refresh()

    # -- sequence bookkeeping ----------------------------------------------

    def applied_seq(self) -> int:
        """Return the sequence number of the last change applied to the index in use."""
        return _read_seq(self.path / self._current_name())

    # -- writing -----------------------------------------------------------

    def apply(self, changes: Sequence[dict]) -> bool:
        """Apply change-log entries (docs/records.md) newer than applied_seq().

        asset.create/update/retire (re)index the asset from its `after` snapshot (an
        entry without one removes the asset); other actions only advance the
        sequence. Returns True when the index is up to date with `changes`, False
        without raising if another writer held the lock for lock_timeout seconds:
        the caller answers from the index as it is and catches up later. Applying
        the same entries again is harmless. Raises KeyError for an entry without
        seq/action/key.
        """
        if not changes:
            return True
        for _ in range(3):
            gen = self._current_name()
            path = self.path / gen
            if max(c["seq"] for c in changes) <= _read_seq(path):
                return True
            try:
                writer = windex.open_dir(str(path)).writer(timeout=self.lock_timeout)
            except LockError:
                return False
            except (OSError, EmptyIndexError):
                continue  # the generation was swapped out meanwhile
            if gen != self._current_name():
                writer.cancel()
                continue
            try:
                newest = self._write_changes(writer, changes, _read_seq(path))
            except BaseException:
                writer.cancel()
                raise
            _write_seq(path, max(newest, _read_seq(path)))
            return True
        return False

    @staticmethod
    def _write_changes(writer: object, changes: Sequence[dict], done: int) -> int:
        """Write the asset changes newer than `done` (the last per key wins) and
        commit; return the newest seq seen."""
        latest: dict[str, dict] = {}
        newest = done
        for change in sorted(changes, key=lambda c: c["seq"]):
            newest = max(newest, change["seq"])
            if change["seq"] > done and change["action"].startswith("asset."):
                latest[change["key"]] = change
        if not latest:
            writer.cancel()  # type: ignore[attr-defined]
            return newest
        for key, change in latest.items():
            after = change.get("after")
            if after is None or after.get("key", key) != key:
                writer.delete_by_term("key", key)  # type: ignore[attr-defined]
            if after is not None:
                writer.update_document(**index_fields(document_for(after)))  # type: ignore[attr-defined]
        writer.commit()  # type: ignore[attr-defined]
        return newest

    def rebuild(self, records: Iterable[dict], seq: int) -> int:
        """Index `records` (asset records) as a new generation at sequence `seq`,
        swap it in atomically and remove the old generation; return the number of
        documents. Searchers already open keep answering from the old files.

        Waits for any other rebuild of the same directory. Raises ValueError for a
        record without a title or a key seen twice (the index is then unchanged).
        """
        with _flock(self.path / REBUILD_LOCK):
            gen = self._new_generation()
            try:
                count = _fill(gen, records)
            except BaseException:
                shutil.rmtree(gen, ignore_errors=True)
                raise
            _write_seq(gen, seq)
            self._point_to(gen.name)
            with self._lock:
                self._fresh_searcher()
            self._remove_old_generations(keep=gen.name)
        return count

    def _remove_old_generations(self, keep: str) -> None:
        """Delete generations other than `keep` that no writer is using; one busy
        now is left for the next rebuild to remove."""
        for path in self.path.glob(f"{GEN_PREFIX}*"):
            if path.name == keep or not path.is_dir():
                continue
            lock = FileStorage(str(path)).lock("MAIN_WRITELOCK")
            try:
                acquired = lock.acquire(blocking=False)
            except OSError:
                continue
            if acquired:
                try:
                    shutil.rmtree(path, ignore_errors=True)
                finally:
                    lock.release()

    # -- reading -----------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResults:
        """Run `request` and return a page of results with facets.

        Raises InvalidQuery for bad filters, sort or paging; never for query text.
        """
        filters = request.validated_filters()
        with self._lock:
            searcher = self._fresh_searcher()
            assert self._table is not None
            spelling = lambda: self.spelling(searcher)  # noqa: E731  (built only if needed)
            return run_search(
                searcher, self._table, self._terms, self.synonyms, spelling, request, filters
            )

    def autocomplete(
        self, prefix: str, limit: int = 8, visibility: Visibility = EVERYTHING
    ) -> list[tuple[str, str]]:
        """Return up to `limit` (key, title) pairs of visible, active assets whose
        title words start with what was typed ("recy cen" -> "Recycling Centres").

        Titles that begin with the typed text come first, then shorter titles.
        Served from the title n-gram field; never raises for any text.
        """
        with self._lock:
            searcher = self._fresh_searcher()
            assert self._table is not None
            allowed = self._table.allowed(visibility, include_retired=False)
            return run_autocomplete(searcher, self._table, self._terms, allowed, prefix, limit)

    def spelling(self, searcher: Searcher) -> SpellingDictionary:
        """Return the spelling dictionary for `searcher`'s index, rebuilding it when
        the index changed (at most every SPELLING_MAX_AGE seconds for a large one)."""
        reader = searcher.reader()
        stale = self._spelling_reader is not reader and (
            reader.doc_count() < SMALL_INDEX
            or time.monotonic() - self._spelling_time > SPELLING_MAX_AGE
        )
        if self._spelling is None or stale:
            counted = chain(
                _field_words(reader, "title"),
                _field_words(reader, "facts"),
                _field_words(reader, "org"),
                ((w, 0) for w in self.synonyms.words()),
            )
            self._spelling = SpellingDictionary.from_words(counted)
            self._spelling_reader = reader
            self._spelling_time = time.monotonic()
        return self._spelling

    def documents(self) -> dict[str, dict]:
        """Return the stored fields of every indexed asset by key (retired included),
        in the shape of document_for()."""
        with self._lock:
            reader = self._fresh_searcher().reader()
            return {f["record"]["key"]: f["record"] for f in reader.all_stored_fields()}

    @staticmethod
    def document_for(record: dict) -> dict:
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


def _read_seq(gen_path: Path) -> int:
    try:
        return int(json.loads((gen_path / SEQ_FILE).read_text(encoding="utf-8"))["seq"])
    except FileNotFoundError:
        return 0


def _write_seq(gen_path: Path, seq: int) -> None:
    tmp = gen_path / f".{SEQ_FILE}.{secrets.token_hex(4)}"
    tmp.write_text(json.dumps({"seq": seq}), encoding="utf-8")
    os.replace(tmp, gen_path / SEQ_FILE)


def _field_words(reader: object, field: str) -> Iterable[tuple[str, int]]:
    for term, info in reader.iter_field(field):  # type: ignore[attr-defined]
        yield (term.decode("utf-8") if isinstance(term, bytes) else term), info.doc_frequency()


def _fill(gen: Path, records: Iterable[dict]) -> int:
    """Add `records` to the empty index at `gen`; return how many.

    Large inputs are written in chunks of CHUNK records, each by REBUILD_PROCS
    processes into segments of its own: Whoosh sorts a segment's postings in
    Python, which grows faster than linearly, so several mid-sized segments are
    built much faster than one big one and search just as fast here.
    """
    records = iter(records)
    ix = windex.open_dir(str(gen))
    seen: set[str] = set()
    while chunk := list(islice(records, CHUNK)):
        parallel = len(chunk) >= PARALLEL_THRESHOLD and REBUILD_PROCS > 1
        if parallel:
            writer = ix.writer(procs=REBUILD_PROCS, multisegment=True, limitmb=WRITER_MB)
        else:
            writer = ix.writer(limitmb=WRITER_MB)
        try:
            for record in chunk:
                doc = document_for(record)
                if doc["key"] in seen:
                    raise ValueError(f"asset key {doc['key']!r} appears twice")
                seen.add(doc["key"])
                writer.add_document(**index_fields(doc))
            writer.commit(merge=False)
        except BaseException:
            writer.cancel()
            raise
    return len(seen)


class _flock:
    """An exclusive flock on `path` for a with-block (blocking)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)

"""Keeping the derived views (lineage graph, search index) in step with the store.

Each process keeps its own views and the last change sequence each applied.
Before a view answers, it asks the database for the newest sequence (one indexed
read) and applies what it lacks. Applying a change twice is harmless, so a crash
between a commit and a view's update loses nothing: the next look catches up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from catalogue.errors import Unavailable
from catalogue.models import ChangeLog
from catalogue.services.changes import changes_after, latest_seq
from catalogue.services.record_stream import asset_count, record_shares, stream_records
from catalogue.services.record_types import AssetRecord, ChangeEntry
from search import HelperDied, IndexUnreadable, SearchIndex, share_count

if TYPE_CHECKING:  # the graph is imported when first built: a write needs only the index
    from lineage import LineageGraph

log = logging.getLogger(__name__)

# The attributes the lineage graph keeps per node: enough to trace, explain
# sensitivity and name owners, light enough for 100,000 nodes.
NODE_FIELDS = (
    "key",
    "kind",
    "title",
    "department",
    "owner",
    "owner_email",
    "steward",
    "steward_email",
    "classification",
    "access",
    "personal_data",
    "special_category",
    "status",
    "update_frequency",
    "last_updated",
    "created_at",
)
# Behind by more than this many changes, a view is rebuilt rather than replayed.
REBUILD_AFTER = 20_000
CATCH_UP_BATCH = 5_000


def node_attrs(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None else {f: record.get(f) for f in NODE_FIELDS}


def graph_change(change: ChangeEntry) -> ChangeEntry:
    """A change entry with asset snapshots cut down to the graph's node fields."""
    if not change["action"].startswith("asset."):
        return change
    return {**change, "before": node_attrs(change["before"]), "after": node_attrs(change["after"])}


class Views:
    """One process's lineage graph and search index, caught up on demand."""

    def __init__(
        self,
        sessions: sessionmaker,
        index_dir: str,
        synonyms: dict | None = None,
        rebuild_procs: int | None = None,
    ):
        self.sessions = sessions
        self.index_dir = index_dir
        self.synonyms = synonyms
        #: Processes a large index rebuild may fork; None: the index's default.
        self.rebuild_procs = rebuild_procs
        self._graph: LineageGraph | None = None
        self._index: SearchIndex | None = None
        self._graph_lock = threading.RLock()
        self._index_lock = threading.RLock()
        #: The change sequence at which the glossary's synonyms were last read.
        self._glossary_seq: int | None = None

    # -- lineage graph -------------------------------------------------------
    def graph(self, session: Session | None = None) -> LineageGraph:
        """The graph with every committed change applied (or, given the session of
        a write transaction holding the log lock, every change visible to it)."""
        with self._graph_lock:
            if session is not None:
                return self._sync_graph(session)
            with self.sessions() as fresh:
                return self._sync_graph(fresh)

    def _sync_graph(self, session: Session) -> LineageGraph:
        head = latest_seq(session)
        if self._graph is None or head - self._graph.applied_seq > REBUILD_AFTER:
            from catalogue.services.graph_rows import graph_edge_columns, graph_nodes
            from lineage import LineageGraph

            self._graph = LineageGraph.build_numbered(
                graph_nodes(session), graph_edge_columns(session), head
            )
            # Rows read above may be newer than ``head``; replaying from head is harmless.
        while self._graph.applied_seq < head:
            batch = changes_after(session, self._graph.applied_seq, CATCH_UP_BATCH)
            if not batch:
                break
            for change in batch:
                self._graph.apply(graph_change(change))
        return self._graph

    def has_graph(self) -> bool:
        """True once this process holds a graph (loaded, or adopted)."""
        return self._graph is not None

    def adopt_graph(self, graph: LineageGraph) -> None:
        """Take ``graph``, loaded from this database by another process forked
        from this one (`catalogue serve`'s graph loader, #21), as this process's
        graph; the next look catches it up from the change log as usual."""
        with self._graph_lock:
            self._graph = graph

    def reset_graph(self) -> None:
        with self._graph_lock:
            self._graph = None

    # -- search index --------------------------------------------------------
    def index(self, catch_up: bool = True, session: Session | None = None) -> SearchIndex:
        """The search index, caught up unless another process holds its write lock
        (then it answers from what is there and catches up on a later look).
        ``session``: the caller's own, in which the index is first checked to
        hold everything the caller can see; only if it lacks something does the
        catch-up take a session of its own (a search then reads in one session).

        Raises Unavailable naming the problem when the index folder cannot be
        opened or its files cannot be read (`catalogue index rebuild` repairs it).
        A deleted index folder is made again and rebuilt from the database.
        """
        with self._index_lock:
            try:
                index = self._opened_index()
                if catch_up and not (session is not None and self._holds_all(index, session)):
                    self.catch_up_index()
                index.check()
            except OSError as error:
                raise Unavailable(
                    f"the search index cannot be opened ({error.strerror or error}); "
                    "try again in a moment, or ask the catalogue's operator to check "
                    "`catalogue index status`"
                ) from error
            except IndexUnreadable as error:
                raise unreadable(error) from error
            return index

    def _holds_all(self, index: SearchIndex, session: Session) -> bool:
        """Whether ``index`` has applied every change ``session`` can see, and this
        process has read the glossary's synonyms since the last of them."""
        head = latest_seq(session)
        known = self._glossary_seq
        return known is not None and head <= known and index.applied_seq() >= head

    def _opened_index(self) -> SearchIndex:
        """This process's SearchIndex, opened without reading its files. If its
        folder was deleted, an empty one is made: its applied sequence is then 0,
        so the next catch-up (the next write or search) rebuilds it."""
        if self._index is not None and not self._index.exists():
            self._index.close()
            self._index = None
        if self._index is None:
            self._glossary_seq = None  # a new SearchIndex has only the configured synonyms
            procs = {} if self.rebuild_procs is None else {"rebuild_procs": self.rebuild_procs}
            self._index = SearchIndex(self.index_dir, synonyms=self.synonyms, **procs)
        return self._index

    def catch_up_index(self, written: Sequence[ChangeEntry] = ()) -> bool:
        """Apply what the index lacks; False if another writer held the lock.
        ``written``: the entries this process just committed, in order. If the
        index had everything before them, they are applied as they are, with one
        index writer and one commit, instead of read back from the change log or
        (thousands of them) rebuilding the whole index from the database (#21).
        Raises IndexUnreadable if the index's files are damaged."""
        with self._index_lock:
            index = self._opened_index()
        with self.sessions() as session:
            head = latest_seq(session)
            self._follow_glossary(session, index, head)
            applied = index.applied_seq()
            if written and applied == written[0]["seq"] - 1:
                if not _apply(index, written):
                    return False
                applied = index.applied_seq()
            if applied >= head:
                return True
            if applied == 0 or head - applied > REBUILD_AFTER:
                self._rebuild(session, head)
                return True
            while applied < head:
                batch = changes_after(session, applied, CATCH_UP_BATCH)
                if not batch:
                    break
                if not _apply(index, batch):
                    return False
                applied = index.applied_seq()
        return True

    def _follow_glossary(self, session: Session, index: SearchIndex, head: int) -> None:
        """Expand queries with the approved glossary terms' synonyms (#18), read
        again whenever the change log holds a glossary change this process has not
        seen (another process may have applied it to the index on disk)."""
        if self._glossary_seq is not None and head <= self._glossary_seq:
            return
        if self._glossary_seq is not None:
            newer = select(ChangeLog.seq).where(
                ChangeLog.seq > self._glossary_seq, ChangeLog.action.like("glossary.%")
            )
            if session.scalar(newer.limit(1)) is None:
                self._glossary_seq = head
                return
        from catalogue.services.glossary import synonym_groups

        index.use_synonyms({**(self.synonyms or {}), **synonym_groups(session)})
        self._glossary_seq = head

    def rebuild_index(self) -> int:
        """Build a fresh index from the database beside the old one and swap it in.
        The old one is never read, so this repairs a damaged or deleted index."""
        with self._index_lock, self.sessions() as session:
            return self._rebuild(session, latest_seq(session))

    def _rebuild(self, session: Session, head: int) -> int:
        """Rebuild the index at ``head``. With helper processes allowed and enough
        assets, each helper reads its own run of assets from the database and
        writes it; else this process reads every record. Raises Unavailable if a
        helper was killed (the index is then as it was)."""
        with self._index_lock:
            index = self._opened_index()
        count = asset_count(session)
        parts = share_count(count, index.rebuild_procs)
        if not parts:
            return index.rebuild(all_records(session), head)
        shares = record_shares(session, self.sessions, parts, count)
        try:
            return index.rebuild_in_shares(shares, head)
        except HelperDied as error:
            raise Unavailable(
                f"the search index was not rebuilt: {error}; the index in use is "
                "unchanged, and `catalogue index rebuild` can be run again"
            ) from error

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None


def _apply(index: SearchIndex, changes: Sequence[ChangeEntry]) -> bool:
    """``index.apply(changes)``; Unavailable if a helper process writing many new
    assets in bulk was killed (#21: the index is then as it was)."""
    try:
        return index.apply(changes)
    except HelperDied as error:
        raise Unavailable(
            f"the search index was not brought up to date: {error}; the index in use "
            "is unchanged, and the next search tries again"
        ) from error


def unreadable(error: IndexUnreadable) -> Unavailable:
    """What every surface says about a damaged index (503 on the web, exit 1); the
    details, with the index's path, go to the log."""
    log.error("%s", error)
    return Unavailable(
        f"the search index cannot be read ({error.reason}); the catalogue's operator "
        "can repair it with `catalogue index rebuild`"
    )


@contextmanager
def reading_index() -> Iterator[None]:
    """Turn a damaged file found while reading the index into Unavailable."""
    try:
        yield
    except IndexUnreadable as error:
        raise unreadable(error) from error


def all_records(session: Session) -> Iterator[AssetRecord]:
    """Every asset's record, streamed in batches (see record_stream)."""
    return stream_records(session)

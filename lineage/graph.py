"""The lineage graph: a view of the catalogue's assets and edges, kept in step
by the change log, answering traces now and as they stood on any date.

Edges may name keys that are not (yet) registered assets: such keys are walked
like any other, but ``has()`` is False for them and ``node()`` raises KeyError.
Storage and its indexes live in ``lineage.compact`` (flat arrays that worker
processes share; see that module) or, as the reference the compact store is
tested against, ``lineage.store`` (NetworkX). The sensitivity queries
(``inherited``, ``mismatches``) are ``lineage.graph_sensitivity``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import networkx as nx

from lineage import cycles, export
from lineage.compact import CompactStore
from lineage.frozen import EdgeColumns
from lineage.graph_sensitivity import SensitivityQueries
from lineage.records import EdgeRecord, parse_time
from lineage.results import Hop, path_between
from lineage.store import LineageStore

#: A point in time for ``as_of``: None (now), a datetime or an ISO 8601 string.
Moment = datetime | str | None


class LineageGraph(SensitivityQueries):
    """Assets as nodes, "feeds" edges with validity intervals, and the queries
    a catalogue asks of them (traces, paths, impact, sensitivity).

    Attributes:
        applied_seq: the highest change-log ``seq`` applied (0 when empty).
        rebases: how many times the compact store's overlay was folded into a
            new base since this graph was built (``CompactStore.rebased``).
    """

    def __init__(self, store: CompactStore | LineageStore | None = None) -> None:
        """An empty graph in ``store`` (default: a new ``CompactStore``)."""
        self.applied_seq: int = 0
        self.rebases = 0
        self._store = CompactStore() if store is None else store

    # -- building and keeping in step -------------------------------------------

    @classmethod
    def build(
        cls,
        assets: Iterable[Mapping[str, Any]],
        edges: Iterable[Mapping[str, Any] | EdgeRecord],
        seq: int,
        store: CompactStore | LineageStore | None = None,
    ) -> LineageGraph:
        """Build the graph from asset snapshots and ALL edge records (ended ones
        too: dicts, or ``EdgeRecord`` objects, which are kept as they are), as of
        change-log sequence ``seq``, in an empty ``store`` (default:
        a new ``CompactStore``).

        Raises:
            KeyError: a record lacks a required field (asset ``key``; edge ``id``,
                ``upstream`` or ``downstream``).
            ValueError: a date-time field is not ISO 8601.
        """
        graph = cls(store)
        graph._store.load(
            assets, (e if isinstance(e, EdgeRecord) else EdgeRecord.from_record(e) for e in edges)
        )
        graph.applied_seq = seq
        return graph

    @classmethod
    def build_numbered(
        cls, assets: Iterable[tuple[int, Mapping[str, Any]]], edges: EdgeColumns, seq: int
    ) -> LineageGraph:
        """As ``build`` (compact store), from a database's rows without an object
        per edge: each asset snapshot with its number (e.g. its row id), and
        every edge record, ended ones too, as ``EdgeColumns`` naming assets by
        number (#21).

        Raises:
            KeyError: an edge names a number no asset has; an asset lacks ``key``.
            ValueError: record ids not ascending; ``created_at`` not ISO 8601.
        """
        graph = cls()
        assert isinstance(graph._store, CompactStore)
        graph._store.load_numbered(assets, edges)
        graph.applied_seq = seq
        return graph

    def apply(self, change: Mapping[str, Any]) -> None:
        """Apply one change-log entry (docs/records.md) and set ``applied_seq``.

        Entries with ``seq <= applied_seq`` are ignored, and applying an entry
        again changes nothing: assets are replaced by key and edges by id.
        Any ``asset.*`` entry with an ``after`` snapshot replaces the asset; any
        ``edge.*`` entry with an ``after`` record replaces the edge (so
        ``edge.end`` ends that interval). Other actions only advance
        ``applied_seq``, as the change log also records things lineage ignores.

        Raises:
            KeyError: the entry or its record lacks a required field.
            ValueError: a date-time in the record is not ISO 8601.
            A failed entry leaves ``applied_seq`` unchanged.
        """
        seq = int(change["seq"])
        if seq <= self.applied_seq:
            return
        action = str(change.get("action", ""))
        after = change.get("after")
        if after is not None and action.startswith("asset."):
            self._store.put_asset(after)
        elif after is not None and action.startswith("edge."):
            self._store.put_edge(EdgeRecord.from_record(after))
        self.applied_seq = seq
        store = self._store
        if isinstance(store, CompactStore) and store.rebase_due():
            # One assignment: a reader already walking the old store finishes on it.
            self._store = store.rebased()
            self.rebases += 1

    # -- nodes and edges ---------------------------------------------------------

    def __len__(self) -> int:
        """The number of assets (retired ones included)."""
        return self._store.asset_count()

    def successors(self, key: str) -> list[str]:
        """Keys ``key`` currently feeds directly; empty for a key the graph lacks."""
        return self._store.successors(key)

    def refused_edges(
        self, added: Sequence[tuple[str, str]], ended: Iterable[tuple[str, str]] = ()
    ) -> list[tuple[tuple[str, str], list[str]]]:
        """Which of ``added`` would close a cycle in the current graph once ``ended``
        are gone, each with its cycle (see ``lineage.cycles.refused_edges``)."""
        return cycles.refused_edges(self._store.current_pairs(), added, ended)

    def asset_keys(self) -> list[str]:
        """Keys of every registered asset (retired ones included), sorted."""
        return sorted(self._store.asset_keys())

    def has(self, key: str) -> bool:
        """True if ``key`` is a registered asset (retired or not)."""
        return self._store.is_asset(key)

    def node(self, key: str) -> dict[str, Any]:
        """A copy of the asset's current snapshot (at least a shallow one).

        Raises:
            KeyError: ``key`` is not a registered asset.
        """
        snapshot = self._store.snapshot(key)
        if snapshot is None:
            raise KeyError(key)
        return dict(snapshot)

    def edge_count(self, as_of: Moment = None) -> int:
        """The number of connected (upstream, downstream) pairs, now or at ``as_of``."""
        when = parse_time(as_of)
        if when is None:
            return self._store.current_pair_count()
        return len({(e.upstream, e.downstream) for e in self._store.edges_at(when)})

    def signature(self) -> tuple[Any, ...]:
        """A hashable summary of the content: every asset snapshot and every edge
        record, ended ones included. Graphs with the same content have equal
        signatures however they were built (from lists or change by change);
        ``applied_seq`` is not part of it."""
        return self._store.signature()

    # -- traces -----------------------------------------------------------------

    def upstream(self, key: str, depth: int | None = None, as_of: Moment = None) -> list[Hop]:
        """Everything that feeds ``key``, nearest first (ordered by hops then key).

        ``depth`` limits the number of hops (None: no limit). With ``as_of`` (a
        datetime or ISO 8601 string; naive means UTC) only edges valid then
        (``valid_from <= as_of < valid_to``) and assets created by then count;
        an asset not yet created at ``as_of`` has an empty trace. The start is
        not included.

        Raises:
            KeyError: ``key`` is neither an asset nor named by any edge.
            ValueError: ``depth`` is negative.
        """
        return self._walk(key, True, depth, parse_time(as_of))

    def downstream(self, key: str, depth: int | None = None, as_of: Moment = None) -> list[Hop]:
        """Everything ``key`` feeds, nearest first; as ``upstream`` otherwise."""
        return self._walk(key, False, depth, parse_time(as_of))

    def impact(self, key: str, as_of: Moment = None) -> list[Hop]:
        """The reports (assets of kind ``report``) downstream of ``key``, nearest first.

        Raises:
            KeyError: ``key`` is neither an asset nor named by any edge.
        """
        return [h for h in self.downstream(key, as_of=as_of) if self._kind(h.key) == "report"]

    def roots(self, key: str, as_of: Moment = None) -> list[str]:
        """Sorted keys of the upstream assets of kind ``source_system``, and of
        upstream nodes that nothing feeds. Empty when nothing feeds ``key``.

        Raises:
            KeyError: ``key`` is neither an asset nor named by any edge.
        """
        unfed: list[str] = []
        hops = self._walk(key, True, None, parse_time(as_of), unfed)
        found = {h.key for h in hops if self._kind(h.key) == "source_system"}
        found.update(unfed)
        found.discard(key)
        return sorted(found)

    def _kind(self, key: str) -> str | None:
        return self._store.kind(key)

    def _walk(
        self,
        start: str,
        upstream: bool,
        depth: int | None,
        when: datetime | None,
        dead_ends: list[str] | None = None,
    ) -> list[Hop]:
        """Breadth-first trace from ``start``, ordered by hops then key (see ``_levels``)."""
        return [
            hop for level in self._levels(start, upstream, depth, when, dead_ends) for hop in level
        ]

    def _levels(
        self,
        start: str,
        upstream: bool,
        depth: int | None,
        when: datetime | None,
        dead_ends: list[str] | None = None,
    ) -> Iterator[list[Hop]]:
        """Breadth-first trace from ``start``, lazily, one list of hops per level
        (in key order); nodes expanded that had no neighbour in that direction
        are appended to ``dead_ends`` if given.

        Each level is expanded in key order, so a hop's parent is the smallest
        key among the nearest nodes that reach it: answers are deterministic.

        Raises (at once, not on first iteration):
            KeyError: ``start`` is neither an asset nor named by any edge.
            ValueError: ``depth`` is negative.
        """
        if not self._store.has_node(start):
            raise KeyError(start)
        if depth is not None and depth < 0:
            raise ValueError(f"depth must be at least 0, got {depth}")
        if not self._store.exists(start, when):
            return iter(())
        return self._expand(start, upstream, depth, when, [] if dead_ends is None else dead_ends)

    def _expand(
        self,
        start: str,
        upstream: bool,
        depth: int | None,
        when: datetime | None,
        dead_ends: list[str],
    ) -> Iterator[list[Hop]]:
        seen, frontier, level = {start}, [start], 0
        while frontier and (depth is None or level < depth):
            level += 1
            reached = self._next_level(frontier, upstream, when, seen, dead_ends)
            frontier = sorted(reached)
            yield [Hop(k, level, *reached[k]) for k in frontier]

    def _next_level(
        self,
        frontier: list[str],
        upstream: bool,
        when: datetime | None,
        seen: set[str],
        dead_ends: list[str],
    ) -> dict[str, tuple[str, tuple[str, ...]]]:
        """One breadth-first step: each newly seen neighbour of the frontier, with
        the first frontier node that reached it and the via keys between them."""
        reached: dict[str, tuple[str, tuple[str, ...]]] = {}
        for node in frontier:
            alone = True
            for neighbour, via in self._store.neighbours(node, upstream, when):
                alone = False
                if neighbour not in seen:
                    seen.add(neighbour)
                    reached[neighbour] = (node, via)
            if alone:
                dead_ends.append(node)
        return reached

    def paths(self, a: str, b: str, as_of: Moment = None, limit: int = 100) -> list[list[str]]:
        """Simple paths ``a -> ... -> b`` (``a`` upstream of ``b``), shortest first,
        then in key order; at most ``limit`` of them. Empty when ``a`` does not
        feed ``b`` or ``a == b``.

        Raises:
            KeyError: ``a`` or ``b`` is neither an asset nor named by any edge.
        """
        when = parse_time(as_of)
        below_a = {h.key for h in self._walk(a, False, None, when)}
        above_b = {h.key for h in self._walk(b, True, None, when)}
        if a == b or b not in below_a or limit <= 0:
            return []
        # Only nodes between a and b can lie on a path: search that small graph.
        between = sorted((below_a & above_b) | {a, b})
        sub = nx.DiGraph()
        sub.add_nodes_from(between)
        members = set(between)
        for node in between:
            for neighbour, _ in sorted(self._store.neighbours(node, False, when)):
                if neighbour in members:
                    sub.add_edge(node, neighbour)
        found = list(islice(nx.shortest_simple_paths(sub, a, b), limit))
        return sorted(found, key=lambda path: (len(path), path))

    def cycle_if_added(self, upstream: str, downstream: str) -> list[str] | None:
        """The cycle that adding ``upstream -> downstream`` would close, or None.

        The cycle is a key list starting and ending with ``upstream``, through
        the shortest current path back from ``downstream``: e.g. adding ``a -> b``
        when ``b -> c -> a`` exists gives ``['a', 'b', 'c', 'a']``. A self-edge
        gives ``['a', 'a']``. Unknown keys close no cycle.
        """
        if upstream == downstream:
            return [upstream, upstream]
        if not self._store.has_node(upstream) or not self._store.has_node(downstream):
            return None
        parents: dict[str, str] = {}
        seen, frontier = {downstream}, [downstream]
        while frontier:
            reached = []
            for node in frontier:
                for neighbour, _ in self._store.neighbours(node, False, None):
                    if neighbour in seen:
                        continue
                    parents[neighbour] = node
                    if neighbour == upstream:
                        return [upstream, *path_between(downstream, upstream, parents)]
                    seen.add(neighbour)
                    reached.append(neighbour)
            frontier = sorted(reached)
        return None

    # -- export -------------------------------------------------------------------

    def export(self, fmt: str, as_of: Moment = None) -> str:
        """The graph now (or at ``as_of``) as text: ``json`` (NetworkX node-link,
        edges under ``links``), ``graphml`` or ``dot`` (Graphviz). Nodes carry
        their asset snapshot; edges their id, via, description and validity.

        Raises:
            ValueError: ``fmt`` is not ``json``, ``graphml`` or ``dot``.
        """
        when = parse_time(as_of)
        edges = self._store.edges_at(when)
        keys = {k for k in self._store.asset_keys() if self._store.exists(k, when)}
        keys.update(k for e in edges for k in (e.upstream, e.downstream))
        nodes = [(k, self._store.snapshot(k) or {"key": k}) for k in sorted(keys)]
        return export.render(fmt, nodes, edges)

"""The NetworkX lineage store: asset snapshots, every edge record, and the
indexes that make traversals cheap, as plain Python objects.

``catalogue serve`` uses the compact store (``lineage.compact``), whose memory
workers can share; this one is kept as the reference it is checked against
(``LineageGraph(store=LineageStore())``): simpler, and built on NetworkX.

Two structures, each suited to one kind of question:

- a NetworkX ``DiGraph`` holding only the CURRENT edges (``valid_to`` is None),
  walked directly through its ``pred`` / ``succ`` adjacency for the common
  "as it is now" queries — no subgraph views, no copies per call;
- every edge record, current or ended, indexed by its downstream and by its
  upstream key, walked with an interval check when a query gives a moment.

Asset snapshots are kept by reference (not copied), so callers must not mutate
a snapshot after handing it over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import networkx as nx

from lineage.packed import collector_paused
from lineage.records import EdgeRecord, freeze, parse_time


class LineageStore:
    """Asset snapshots by key and edge records by id, with their indexes.

    Every write is a replacement by key (assets) or id (edges), so writing the
    same record twice leaves the store as it was.
    """

    def __init__(self) -> None:
        #: Current edges only; edge data: ``ids`` (current record ids), ``via``.
        self.current = nx.DiGraph()
        self.assets: dict[str, Mapping[str, Any]] = {}
        self._created: dict[str, datetime] = {}
        self._edges: dict[int, EdgeRecord] = {}
        # Every record, by downstream and by upstream key (read with .get()).
        self._into: defaultdict[str, list[EdgeRecord]] = defaultdict(list)
        self._out_of: defaultdict[str, list[EdgeRecord]] = defaultdict(list)

    def load(self, assets: Iterable[Mapping[str, Any]], edges: Iterable[EdgeRecord]) -> None:
        """Fill an empty store in bulk: the same result as ``put_asset`` for each
        asset then ``put_edge`` for each edge (a later record with an id already
        seen replaces it), but with one NetworkX call per kind of element.

        Raises:
            RuntimeError: the store is not empty.
            KeyError, ValueError: as ``put_asset``.
        """
        if self.assets or self._edges:
            raise RuntimeError("load() fills an empty store; use put_asset/put_edge")
        with collector_paused():
            self._load(assets, edges)

    def _load(self, assets: Iterable[Mapping[str, Any]], edges: Iterable[EdgeRecord]) -> None:
        for snapshot in assets:
            self._remember_asset(snapshot)
        for record in edges:
            self._edges[record.id] = record
        out_of, into = self._out_of, self._into
        current: dict[tuple[str, str], dict[str, Any]] = {}
        for record in self._edges.values():
            up, down = record.upstream, record.downstream
            out_of[up].append(record)
            into[down].append(record)
            if record.valid_to is None:
                data = current.get((up, down))
                if data is None:
                    current[up, down] = {"ids": (record.id,), "via": _via(record)}
                else:  # several current records for one pair: rare, tolerated
                    data["ids"] += (record.id,)
                    data["via"] = self._via_of(self._edges[i] for i in data["ids"])
        self.current.add_nodes_from(self.assets)
        self.current.add_nodes_from(out_of)
        self.current.add_nodes_from(into)
        self.current.add_edges_from((up, down, data) for (up, down), data in current.items())

    def put_asset(self, snapshot: Mapping[str, Any]) -> None:
        """Add or replace an asset snapshot (kept by reference).

        Raises:
            KeyError: the snapshot has no ``key``.
            ValueError: its ``created_at`` is not ISO 8601.
        """
        self.current.add_node(self._remember_asset(snapshot))

    def _remember_asset(self, snapshot: Mapping[str, Any]) -> str:
        key = snapshot["key"]
        created = parse_time(snapshot.get("created_at"))
        self.assets[key] = snapshot
        if created is None:
            self._created.pop(key, None)
        else:
            self._created[key] = created
        return key

    def put_edge(self, record: EdgeRecord) -> None:
        """Add or replace the edge record with ``record.id``, keeping the current
        graph in step: the pair is connected while any of its records is current."""
        old = self._edges.get(record.id)
        if old is not None and old.current:
            self._unlink(old)
        if old is None or (old.upstream, old.downstream) != (record.upstream, record.downstream):
            if old is not None:
                self._out_of[old.upstream].remove(old)
                self._into[old.downstream].remove(old)
            self._edges[record.id] = record
            self._out_of[record.upstream].append(record)
            self._into[record.downstream].append(record)
            for key in (record.upstream, record.downstream):
                if key not in self.current:
                    self.current.add_node(key)
            stored = record
        else:
            # Same pair: update in place, so the adjacency lists stay valid.
            old.via, old.description = record.via, record.description
            old.valid_from, old.valid_to = record.valid_from, record.valid_to
            stored = old
        if stored.current:
            self._link(stored)

    def _link(self, record: EdgeRecord) -> None:
        data = self.current.succ[record.upstream].get(record.downstream)
        if data is None:
            self.current.add_edge(
                record.upstream, record.downstream, ids=(record.id,), via=_via(record)
            )
        elif record.id not in data["ids"]:
            data["ids"] += (record.id,)
            data["via"] = self._via_of(self._edges[i] for i in data["ids"])

    def _unlink(self, record: EdgeRecord) -> None:
        data = self.current.succ[record.upstream].get(record.downstream)
        if data is None or record.id not in data["ids"]:
            return
        ids = tuple(i for i in data["ids"] if i != record.id)
        if ids:
            data["ids"], data["via"] = ids, self._via_of(self._edges[i] for i in ids)
        else:
            self.current.remove_edge(record.upstream, record.downstream)

    @staticmethod
    def _via_of(records: Iterable[EdgeRecord]) -> tuple[str, ...]:
        return tuple(sorted({r.via for r in records if r.via}))

    # -- the questions LineageGraph asks (the compact store answers the same) ---

    def asset_count(self) -> int:
        return len(self.assets)

    def asset_keys(self) -> Iterable[str]:
        return self.assets.keys()

    def is_asset(self, key: str) -> bool:
        return key in self.assets

    def snapshot(self, key: str) -> Mapping[str, Any] | None:
        return self.assets.get(key)

    def kind(self, key: str) -> str | None:
        asset = self.assets.get(key)
        return None if asset is None else asset.get("kind")

    def handling(self, key: str) -> Mapping[str, Any] | None:
        return self.assets.get(key)

    def has_node(self, key: str) -> bool:
        return key in self.current

    def node_keys(self) -> Iterable[str]:
        return self.current.nodes

    def successors(self, key: str) -> list[str]:
        return list(self.current.successors(key)) if key in self.current else []

    def current_pairs(self) -> Iterable[tuple[str, str]]:
        return self.current.edges()

    def current_pair_count(self) -> int:
        return int(self.current.number_of_edges())

    def exists(self, key: str, when: datetime | None) -> bool:
        """True if ``key`` existed at ``when`` (always, for None or no ``created_at``)."""
        if when is None:
            return True
        created = self._created.get(key)
        return created is None or created <= when

    def adjacency(self, upstream: bool) -> Mapping[str, Mapping[str, Mapping[str, Any]]]:
        """The current edges as plain dicts: key -> neighbour -> edge data
        (``ids``, ``via``), into each key if ``upstream``, else out of it.

        These are the DiGraph's own dict-of-dicts (``_pred`` / ``_succ``, the
        layout NetworkX documents for its graph classes). Reading them directly
        skips the view objects ``G.pred[key]`` builds per call, about a third of
        a trace's time. Read only: writes go through ``put_edge``.
        """
        return self.current._pred if upstream else self.current._succ

    def neighbours(
        self, key: str, upstream: bool, when: datetime | None
    ) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Yield (neighbour, sorted via keys) across the edges into ``key`` (if
        ``upstream``) or out of it, counting the current edges when ``when`` is
        None, else the edges valid at ``when`` between assets existing then."""
        if when is None:
            for neighbour, data in self.adjacency(upstream)[key].items():
                yield neighbour, data["via"]
            return
        records = self._into.get(key, ()) if upstream else self._out_of.get(key, ())
        found: dict[str, set[str]] = {}
        for record in records:
            if record.valid_at(when):
                neighbour = record.upstream if upstream else record.downstream
                if self.exists(neighbour, when):
                    vias = found.setdefault(neighbour, set())
                    if record.via:
                        vias.add(record.via)
        for neighbour, vias in found.items():
            yield neighbour, tuple(sorted(vias))

    def edges_at(self, when: datetime | None) -> list[EdgeRecord]:
        """The current edge records (None), or those valid at ``when`` between
        assets existing then."""
        if when is None:
            return [e for e in self._edges.values() if e.current]
        return [
            e
            for e in self._edges.values()
            if e.valid_at(when)
            and self.exists(e.upstream, when)
            and self.exists(e.downstream, when)
        ]

    def signature(self) -> tuple[Any, ...]:
        """A hashable summary of every snapshot and every edge record."""
        nodes = tuple(sorted((key, freeze(attrs)) for key, attrs in self.assets.items()))
        edges = tuple(sorted((e.summary() for e in self._edges.values()), key=lambda s: s[0]))
        return (nodes, edges)


def _via(record: EdgeRecord) -> tuple[str, ...]:
    return (record.via,) if record.via else ()

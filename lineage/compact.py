"""The compact lineage store: a frozen base of flat arrays (``lineage.frozen``)
and a small overlay of the changes applied since it was built.

The base is built once, in bulk (``load``), and never written again, so the
memory pages of a graph built in gunicorn's master stay shared by the workers
forked from it however much they walk it. Every later change (``put_asset``,
``put_edge``) goes to the overlay: plain dicts keyed like the old store's.

- An asset put in the overlay replaces the base's snapshot of that key.
- An edge record put in the overlay replaces the base record with its id
  (which is then skipped), and both its ends, old and new, are marked
  *touched*: their adjacency is worked out from the records rather than read
  from the base's precomputed current pairs.

The overlay is private to the process that writes it, holds plain objects and
makes its touched assets slower to walk, so it is not left to grow: once it
holds ``rebase_after`` records (``rebase_due``), ``rebased`` builds a new base
from the old one and the overlay, in memory, and the graph swaps the new store
in with one assignment (``LineageGraph.apply``): a reader holding the old store
finishes on it, a reader after the swap sees the new one, and both answer the
same.

Answers are those of ``lineage.store.LineageStore`` (the NetworkX store kept
as the reference); the property tests check that on generated graphs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from lineage.frozen import EdgeColumns, FrozenBase
from lineage.packed import NO_TIME, OPEN_END, collector_paused, micros
from lineage.records import EdgeRecord, freeze, parse_time

_EMPTY = FrozenBase({}, [])

#: Fold the overlay into a new base once it holds this many records (assets and
#: edges) or a tenth of the base's edge records, whichever is more: see
#: docs/performance.md for the measurements behind the figures.
REBASE_AT_LEAST = 5_000
REBASE_SHARE = 10


class CompactStore:
    """Asset snapshots by key and edge records by id, in a frozen base and an
    overlay. Every write is a replacement by key (assets) or id (edges), so
    writing the same record twice leaves the store as it was."""

    def __init__(self, rebase_after: int | None = None) -> None:
        """An empty store; ``rebase_after`` overrides when ``rebase_due`` says
        the overlay should be folded into the base (see the module doc)."""
        self.rebase_after = rebase_after
        self._base = _EMPTY
        self._assets: dict[str, Mapping[str, Any]] = {}
        self._added_assets = 0  # keys of ``_assets`` that are no asset of the base
        self._created: dict[str, int] = {}
        self._created_ids: dict[int, int] = {}  # the same, by base id, for base nodes
        self._extra: dict[str, None] = {}  # node keys the base lacks, in order seen
        self._edges: dict[int, EdgeRecord] = {}
        self._out_of: dict[str, dict[int, EdgeRecord]] = {}
        self._into: dict[str, dict[int, EdgeRecord]] = {}
        self._touched: set[str] = set()

    # -- writing --------------------------------------------------------------------

    def load(self, assets: Iterable[Mapping[str, Any]], edges: Iterable[EdgeRecord]) -> None:
        """Fill an empty store in bulk: the same result as ``put_asset`` for each
        asset then ``put_edge`` for each edge, built straight into the base.

        Raises:
            RuntimeError: the store is not empty.
            KeyError, ValueError: as ``put_asset``.
        """
        if len(self._base) or self._assets or self._edges:
            raise RuntimeError("load() fills an empty store; use put_asset/put_edge")
        by_key: dict[str, Mapping[str, Any]] = {}
        with collector_paused():
            for snapshot in assets:
                by_key[snapshot["key"]] = snapshot
        with collector_paused():
            by_id = {record.id: record for record in edges}
            self._base = FrozenBase(by_key, list(by_id.values()))

    def load_numbered(
        self, assets: Iterable[tuple[int, Mapping[str, Any]]], edges: EdgeColumns
    ) -> None:
        """Fill an empty store in bulk from numbered assets and edge columns
        (``FrozenBase.numbered``): as ``load`` of the same snapshots and records.

        Raises:
            RuntimeError: the store is not empty.
            KeyError, ValueError: as ``FrozenBase.numbered``.
        """
        if len(self._base) or self._assets or self._edges:
            raise RuntimeError("load_numbered() fills an empty store")
        with collector_paused():
            self._base = FrozenBase.numbered(assets, edges)

    def overlay_size(self) -> int:
        """Records held in the overlay: asset snapshots and edge records."""
        return len(self._assets) + len(self._edges)

    def rebase_due(self) -> bool:
        """True once the overlay has grown to its limit (see the module doc)."""
        limit = self.rebase_after
        if limit is None:
            limit = max(REBASE_AT_LEAST, len(self._base.rec_id) // REBASE_SHARE)
        return self.overlay_size() >= limit

    def rebased(self) -> CompactStore:
        """A new store with the same answers, its overlay folded into a new base
        built from this store's base and overlay (not from the database). This
        store is left as it was, so readers still walking it are undisturbed."""
        store = CompactStore(self.rebase_after)
        with collector_paused():
            store._base = self._base.rebased(self._assets, self._edges, self._extra)
        return store

    def put_asset(self, snapshot: Mapping[str, Any]) -> None:
        """Add or replace an asset snapshot (kept by reference).

        Raises:
            KeyError: the snapshot has no ``key``.
            ValueError: its ``created_at`` is not ISO 8601.
        """
        key = snapshot["key"]
        created = micros(parse_time(snapshot.get("created_at")))
        if key not in self._assets and not self._in_base_assets(key):
            self._added_assets += 1  # counted here: ``len(graph)`` is asked often
        self._assets[key] = snapshot
        self._created[key] = created
        node = self._base.index.get(key)
        if node is not None:
            self._created_ids[node] = created
        self._add_node(key)

    def put_edge(self, record: EdgeRecord) -> None:
        """Add or replace the edge record with ``record.id``."""
        old = self._record(record.id)
        if old is not None:
            self._out_of.get(old.upstream, {}).pop(old.id, None)
            self._into.get(old.downstream, {}).pop(old.id, None)
            self._touched.update((old.upstream, old.downstream))
        self._edges[record.id] = record
        self._out_of.setdefault(record.upstream, {})[record.id] = record
        self._into.setdefault(record.downstream, {})[record.id] = record
        self._touched.update((record.upstream, record.downstream))
        self._add_node(record.upstream)
        self._add_node(record.downstream)

    def _add_node(self, key: str) -> None:
        if key not in self._extra and self._base.index.get(key) is None:
            self._extra[key] = None

    def _record(self, record_id: int) -> EdgeRecord | None:
        if record_id in self._edges:
            return self._edges[record_id]
        position = self._base.position(record_id)
        return None if position is None else self._base.record(position)

    # -- nodes ----------------------------------------------------------------------

    def asset_count(self) -> int:
        return self._base.asset_count + self._added_assets

    def _in_base_assets(self, key: str) -> bool:
        node = self._base.index.get(key)
        return node is not None and self._base.is_asset(node)

    def asset_keys(self) -> Iterator[str]:
        """Every asset key, in no particular order."""
        base = self._base
        for node in range(len(base)):
            if base.is_asset(node):
                key = base.keys[node]
                if key not in self._assets:
                    yield key
        yield from self._assets

    def is_asset(self, key: str) -> bool:
        return key in self._assets or self._in_base_assets(key)

    def snapshot(self, key: str) -> Mapping[str, Any] | None:
        """The asset's snapshot (a fresh copy for a base one), or None."""
        if key in self._assets:
            return self._assets[key]
        node = self._base.index.get(key)
        return self._base.snapshot(node) if node is not None and self._base.is_asset(node) else None

    def kind(self, key: str) -> str | None:
        if key in self._assets:
            return self._assets[key].get("kind")
        node = self._base.index.get(key)
        return None if node is None else self._base.kind_of(node)

    def handling(self, key: str) -> Mapping[str, Any] | None:
        """What the sensitivity rules read of an asset (None for a non-asset)."""
        if key in self._assets:
            return self._assets[key]
        node = self._base.index.get(key)
        return None if node is None else self._base.handling_of(node)

    def has_node(self, key: str) -> bool:
        """True for an asset or any key an edge record names."""
        return key in self._extra or self._base.index.get(key) is not None

    def node_keys(self) -> Iterator[str]:
        keys = self._base.keys
        for node in range(len(keys)):
            yield keys[node]
        yield from tuple(self._extra)

    def exists(self, key: str, when: datetime | None) -> bool:
        """True if ``key`` existed at ``when`` (always, for None or no ``created_at``)."""
        return when is None or self._created_at(key) <= micros(when)

    def _created_at(self, key: str) -> int:
        if key in self._created:
            return self._created[key]
        node = self._base.index.get(key)
        return NO_TIME if node is None else self._base.created[node]

    # -- edges ----------------------------------------------------------------------

    def neighbours(
        self, key: str, upstream: bool, when: datetime | None
    ) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Yield (neighbour, sorted via keys) across the edges into ``key`` (if
        ``upstream``) or out of it, counting the current edges when ``when`` is
        None, else the edges valid at ``when`` between assets existing then."""
        base = self._base
        node = base.index.get(key)
        if when is None and node is not None and key not in self._touched:
            keys = base.keys
            for other, combo in base.current_of(node, upstream):
                yield keys[other], base.via_keys(combo)
            return
        found = self._gather(key, node, upstream, None if when is None else micros(when))
        for neighbour, vias in found.items():
            yield neighbour, tuple(sorted(vias))

    def _gather(
        self, key: str, node: int | None, upstream: bool, at: int | None
    ) -> dict[str, set[str]]:
        """Neighbours and their via keys from the records themselves (base ones
        the overlay has not replaced, then the overlay's)."""
        found: dict[str, set[str]] = {}
        base = self._base
        if node is not None:
            for position, via in self._gather_base(node, upstream, at):
                self._note(found, base.keys[position], via)
        overlay = self._into if upstream else self._out_of
        # tuple(): a copy taken at once (C code, under the GIL), so another
        # thread's catch-up adding to this key cannot break the walk midway
        for record in tuple(overlay.get(key, {}).values()):
            if at is None:
                if record.valid_to is not None:
                    continue
            elif not micros(record.valid_from) <= at < micros(record.valid_to, OPEN_END):
                continue
            other = record.upstream if upstream else record.downstream
            if at is None or self._created_at(other) <= at:
                self._note(found, other, record.via)
        return found

    def _gather_base(
        self, node: int, upstream: bool, at: int | None
    ) -> Iterator[tuple[int, str | None]]:
        """(neighbour id, via) of each base record into or out of ``node`` that
        counts at ``at`` (current ones for None) and the overlay has not replaced.
        Works on ids: only the records that count are turned into keys."""
        base, replaced, created_ids = self._base, self._edges, self._created_ids
        ends, created, rec_id = (base.up if upstream else base.down), base.created, base.rec_id
        valid_from, valid_to = base.valid_from, base.valid_to
        for edge in base.edges_of(node, upstream):
            if replaced and rec_id[edge] in replaced:
                continue
            if at is None:
                if valid_to[edge] != OPEN_END:
                    continue
            elif not valid_from[edge] <= at < valid_to[edge]:
                continue
            other = ends[edge]
            if at is not None:
                since = created_ids.get(other, created[other]) if created_ids else created[other]
                if since > at:
                    continue
            yield other, base.via_of(edge)

    @staticmethod
    def _note(found: dict[str, set[str]], other: str, via: str | None) -> None:
        vias = found.setdefault(other, set())
        if via:
            vias.add(via)

    def successors(self, key: str) -> list[str]:
        """Keys ``key`` currently feeds directly; empty for a key the store lacks."""
        return [neighbour for neighbour, _ in self.neighbours(key, False, None)]

    def current_pairs(self) -> Iterator[tuple[str, str]]:
        """Every connected (upstream, downstream) pair now."""
        for key in self.node_keys():
            for neighbour, _ in self.neighbours(key, False, None):
                yield key, neighbour

    def current_pair_count(self) -> int:
        if not self._touched:
            return self._base.current_pairs
        return sum(1 for _ in self.current_pairs())

    def records(self) -> Iterator[EdgeRecord]:
        """Every edge record, current or ended (base ones as fresh copies)."""
        base = self._base
        for edge in range(len(base.rec_id)):
            if base.rec_id[edge] not in self._edges:
                yield base.record(edge)
        yield from tuple(self._edges.values())

    def edges_at(self, when: datetime | None) -> list[EdgeRecord]:
        """The current edge records (None), or those valid at ``when`` between
        assets existing then."""
        if when is None:
            return [e for e in self.records() if e.current]
        exists = self.exists
        return [
            e
            for e in self.records()
            if e.valid_at(when) and exists(e.upstream, when) and exists(e.downstream, when)
        ]

    def signature(self) -> tuple[Any, ...]:
        """A hashable summary of every snapshot and every edge record."""
        nodes = tuple(sorted((key, freeze(self.snapshot(key))) for key in set(self.asset_keys())))
        edges = tuple(sorted((e.summary() for e in self.records()), key=lambda s: s[0]))
        return (nodes, edges)

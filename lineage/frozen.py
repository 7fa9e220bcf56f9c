"""The frozen base of the compact lineage graph: every asset and edge record
loaded at build time, as integer ids in flat arrays.

Nodes are positions in a ``StringTable`` of keys. Edge records are positions
in parallel arrays (record id, upstream, downstream, via, description,
validity in microseconds), sorted by record id. Two adjacency indexes in CSR
form (an ``offsets`` array per node into a ``targets`` array) reach them:

- every record, out of and into each node (traces as of a date);
- the CURRENT pairs only, one per (upstream, downstream) with the union of
  their via keys: the hot path of traces as they stand now.

Nothing here changes after the build: changes from the change log go to the
overlay in ``lineage.compact``, which hides the base records they replace.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate, pairwise, repeat
from typing import Any

from lineage.node_rows import ASSET, PERSONAL, SENSITIVE, SPECIAL, NodeRow, node_row
from lineage.packed import (
    OPEN_END,
    BlobTable,
    KeyIndex,
    StringTable,
    interned,
    micros,
    moment_of,
    unpack_snapshot,
)
from lineage.records import BEGINNING_OF_TIME, EdgeRecord

#: ``_fill_edges``'s arguments: record ids, ups, downs, vias and descriptions
#: (interned), valid from and valid to.
_EdgeArrays = tuple[
    array, array, array, tuple[StringTable, array], tuple[StringTable, array], array, array
]

#: ``valid_from`` of an edge record that has none (valid since the beginning).
ALWAYS = micros(BEGINNING_OF_TIME)


@dataclass(frozen=True)
class EdgeColumns:
    """Every edge record as columns, in ascending record id order, its ends and
    via named by asset *numbers* (any integer per asset, such as the database's
    row id: see ``FrozenBase.numbered``): what a load from the database hands
    the base without an object per edge (#21). Times are microseconds since
    1970 UTC (``lineage.packed.micros``): ``ALWAYS`` for no ``valid_from``,
    ``OPEN_END`` for no ``valid_to``; a via of -1 is none."""

    ids: array  # "q"
    ups: array  # "q"
    downs: array  # "q"
    vias: array  # "q"
    descriptions: list[str | None]
    valid_from: array  # "q"
    valid_to: array  # "q"


class FrozenBase:
    """Assets and edge records as they were at build time (see the module doc)."""

    def __init__(self, assets: Mapping[str, Mapping[str, Any]], edges: list[EdgeRecord]) -> None:
        edges.sort(key=lambda e: e.id)
        named = set(assets)
        named.update(k for e in edges for k in (e.upstream, e.downstream))
        keys = sorted(named)
        self._fill_nodes(keys, (node_row(assets.get(k)) for k in keys), len(assets))
        ids = {key: i for i, key in enumerate(keys)}
        self._fill_edges(
            array("q", (e.id for e in edges)),
            array("i", (ids[e.upstream] for e in edges)),
            array("i", (ids[e.downstream] for e in edges)),
            interned([e.via for e in edges]),
            interned([e.description for e in edges]),
            array("q", (micros(e.valid_from) for e in edges)),
            array("q", (micros(e.valid_to, OPEN_END) for e in edges)),
        )

    @classmethod
    def numbered(
        cls, assets: Iterable[tuple[int, Mapping[str, Any]]], edges: EdgeColumns
    ) -> FrozenBase:
        """The base of ``assets`` (each with its number) and ``edges`` (naming
        them by number): the same base as ``FrozenBase`` of the same snapshots
        and records, built from columns (the ends are mapped to node ids with
        C-level look-ups, not a dict look-up per key per edge).

        Raises:
            KeyError: an edge names a number no asset has, or an asset lacks ``key``.
            ValueError: the record ids are not ascending, or a ``created_at``
                is not ISO 8601.
        """
        by_number = dict(assets)
        key_of = {number: snapshot["key"] for number, snapshot in by_number.items()}
        order = sorted(by_number, key=key_of.__getitem__)
        base = cls.__new__(cls)
        keys = [key_of[number] for number in order]
        base._fill_nodes(keys, (node_row(by_number[n]) for n in order), len(keys))
        node_of = array("i", [-1]) * (max(order, default=-1) + 1)
        for node, number in enumerate(order):
            node_of[number] = node
        vias = sorted(set(edges.vias) - {-1})
        via_code = {number: code for code, number in enumerate(vias)}
        via_code[-1] = -1
        if any(earlier >= later for earlier, later in pairwise(edges.ids)):
            raise ValueError("edge records must come in ascending id order")
        base._fill_edges(
            edges.ids,
            _nodes_of(node_of, edges.ups),
            _nodes_of(node_of, edges.downs),
            (
                StringTable(map(key_of.__getitem__, vias)),
                array("i", map(via_code.__getitem__, edges.vias)),
            ),
            interned(edges.descriptions),
            edges.valid_from,
            edges.valid_to,
        )
        return base

    def rebased(
        self,
        assets: Mapping[str, Mapping[str, Any]],
        edges: Mapping[int, EdgeRecord],
        extra: Iterable[str],
    ) -> FrozenBase:
        """A new base equal to this one with an overlay folded in: ``assets``
        replace the snapshots of their keys, ``edges`` the records of their ids,
        and ``extra`` are node keys this base lacks. Built from memory: what the
        overlay leaves alone is copied from this base's arrays (snapshots stay
        packed), so none of it is turned back into records."""
        new = FrozenBase.__new__(FrozenBase)
        old_keys = [self.keys[i] for i in range(len(self))]
        added = list(extra)
        keys = sorted(old_keys + added) if added else old_keys
        old_node = self.index.get
        rows = (node_row(assets[k]) if k in assets else self._row(old_node(k)) for k in keys)
        new_assets = sum(1 for k in assets if not self._has_asset(k))
        new._fill_nodes(keys, rows, self.asset_count + new_assets)

        def node(key: str) -> int:
            found = new.index.get(key)
            assert found is not None  # every key of the overlay is in ``keys``
            return found

        remap = array("i", map(node, old_keys)) if added else array("i", range(len(keys)))
        new._fill_edges(*self._edges_with(edges, remap, node))
        return new

    def _edges_with(
        self, edges: Mapping[int, EdgeRecord], remap: array, node: Callable[[str], int]
    ) -> _EdgeArrays:
        """The edge columns of this base with ``edges`` replacing the records of
        their ids, in record id order (``_fill_edges``'s arguments): this base's
        ends renumbered by ``remap``, the overlay's named by ``node``."""
        kept = [e for e, i in enumerate(self.rec_id) if i not in edges]
        later = sorted(edges.values(), key=lambda e: e.id)
        rec_id = array("q", map(self.rec_id.__getitem__, kept))
        rec_id.extend(e.id for e in later)
        order = sorted(range(len(rec_id)), key=rec_id.__getitem__)

        def column(code: str, base: Iterable[Any], overlay: Iterable[Any]) -> array:
            values = array(code, base)
            values.extend(overlay)
            return array(code, map(values.__getitem__, order))

        def strings(base: Iterable[str | None], overlay: Iterable[str | None]) -> list:
            values = [*base, *overlay]
            return [values[i] for i in order]

        up, down, valid_from, valid_to = self.up, self.down, self.valid_from, self.valid_to
        return (
            array("q", map(rec_id.__getitem__, order)),
            column("i", (remap[up[e]] for e in kept), (node(e.upstream) for e in later)),
            column("i", (remap[down[e]] for e in kept), (node(e.downstream) for e in later)),
            interned(strings(map(self.via_of, kept), (e.via for e in later))),
            interned(strings(map(self.description_of, kept), (e.description for e in later))),
            column("q", map(valid_from.__getitem__, kept), (micros(e.valid_from) for e in later)),
            column(
                "q",
                map(valid_to.__getitem__, kept),
                (micros(e.valid_to, OPEN_END) for e in later),
            ),
        )

    def _fill_nodes(self, keys: list[str], rows: Iterable[NodeRow], count: int) -> None:
        """Per-node tables, one row per key (see ``node_row``)."""
        self.keys = StringTable(keys)
        self.index = KeyIndex(self.keys)
        columns = tuple(zip(*rows, strict=True)) or ((),) * 5
        snapshots, created, kinds, accesses, handling = columns
        self.snapshots = BlobTable(snapshots)
        self.created = array("q", created)
        self.kinds, self.kind = interned(kinds)
        self.accesses, self.access = interned(accesses)
        self.handling = array("B", handling)
        self.asset_count = count

    def _fill_edges(
        self,
        rec_id: array,
        up: array,
        down: array,
        vias: tuple[StringTable, array],
        descriptions: tuple[StringTable, array],
        valid_from: array,
        valid_to: array,
    ) -> None:
        """Edge columns (in record id order; via keys and descriptions interned)
        and their adjacency indexes."""
        n = len(self.keys)
        self.rec_id, self.up, self.down = rec_id, up, down
        self.names, self.via = vias
        self.descriptions, self.description = descriptions
        self.valid_from, self.valid_to = valid_from, valid_to
        self.out_off, self.out_edge = _csr(n, up)
        self.in_off, self.in_edge = _csr(n, down)
        self._load_current(n)

    def _row(self, node: int | None) -> NodeRow:
        """This base's row of ``node``, as ``node_row`` makes one of a snapshot."""
        if node is None:
            return node_row(None)
        kind, access = self.kind[node], self.access[node]
        return (
            self.snapshots.raw(node),
            self.created[node],
            None if kind < 0 else self.kinds[kind],
            None if access < 0 else self.accesses[access],
            self.handling[node],
        )

    def _has_asset(self, key: str) -> bool:
        node = self.index.get(key)
        return node is not None and self.is_asset(node)

    def _load_current(self, n: int) -> None:
        pairs: dict[tuple[int, int], set[str]] = {}
        names = self.names
        for up, down, via, valid_to in zip(
            self.up, self.down, self.via, self.valid_to, strict=True
        ):
            if valid_to == OPEN_END:
                vias = pairs.setdefault((up, down), set())
                if via >= 0 and names[via]:
                    vias.add(names[via])
        # No via at all (most pairs) is -1, so a trace builds no tuple for it.
        combos, combo = interned("\0".join(sorted(v)) if v else None for v in pairs.values())
        self.combos = combos
        ups = array("i", (up for up, _ in pairs))
        downs = array("i", (down for _, down in pairs))
        self.cur_out_off, order = _csr(n, ups)
        self.cur_out_to = array("i", map(downs.__getitem__, order))
        self.cur_out_via = array("i", map(combo.__getitem__, order))
        self.cur_in_off, order = _csr(n, downs)
        self.cur_in_to = array("i", map(ups.__getitem__, order))
        self.cur_in_via = array("i", map(combo.__getitem__, order))
        self.current_pairs = len(pairs)

    # -- nodes --------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.keys)

    def snapshot(self, node: int) -> dict[str, Any]:
        """A fresh copy of the node's asset snapshot (empty for a non-asset)."""
        return unpack_snapshot(self.snapshots.raw(node))

    def is_asset(self, node: int) -> bool:
        return bool(self.handling[node] & ASSET)

    def kind_of(self, node: int) -> str | None:
        code = self.kind[node]
        return None if code < 0 else self.kinds[code]

    def handling_of(self, node: int) -> dict[str, Any] | None:
        """The fields the sensitivity rules read, for an asset (None otherwise):
        the flags it declares (a sensitive classification reads as
        OFFICIAL-SENSITIVE, which the rules treat alike) and its access."""
        code = self.handling[node]
        if not code & ASSET:
            return None
        access = self.access[node]
        return {
            "personal_data": bool(code & PERSONAL),
            "special_category": bool(code & SPECIAL),
            "classification": "OFFICIAL-SENSITIVE" if code & SENSITIVE else None,
            "access": None if access < 0 else self.accesses[access],
        }

    # -- edges --------------------------------------------------------------------

    def edges_of(self, node: int, upstream: bool) -> Iterator[int]:
        """Positions of every record into (``upstream``) or out of ``node``."""
        off, edge = (self.in_off, self.in_edge) if upstream else (self.out_off, self.out_edge)
        for p in range(off[node], off[node + 1]):
            yield edge[p]

    def current_of(self, node: int, upstream: bool) -> Iterator[tuple[int, int]]:
        """(neighbour, via combination) of each current pair into or out of ``node``."""
        if upstream:
            off, to, via = self.cur_in_off, self.cur_in_to, self.cur_in_via
        else:
            off, to, via = self.cur_out_off, self.cur_out_to, self.cur_out_via
        for p in range(off[node], off[node + 1]):
            yield to[p], via[p]

    def via_keys(self, combo: int) -> tuple[str, ...]:
        """The sorted via keys of a current pair's combination."""
        return () if combo < 0 else tuple(self.combos[combo].split("\0"))

    def via_of(self, edge: int) -> str | None:
        code = self.via[edge]
        return None if code < 0 else self.names[code]

    def description_of(self, edge: int) -> str | None:
        code = self.description[edge]
        return None if code < 0 else self.descriptions[code]

    def position(self, record_id: int) -> int | None:
        """The position of the record with ``record_id``, or None."""
        lo, hi = 0, len(self.rec_id)
        rec_id = self.rec_id
        while lo < hi:
            mid = (lo + hi) // 2
            if rec_id[mid] < record_id:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(rec_id) and rec_id[lo] == record_id else None

    def record(self, edge: int) -> EdgeRecord:
        """A fresh ``EdgeRecord`` equal to the one loaded at ``edge``."""
        valid_to = self.valid_to[edge]
        return EdgeRecord(
            self.rec_id[edge],
            self.keys[self.up[edge]],
            self.keys[self.down[edge]],
            self.via_of(edge),
            self.description_of(edge),
            moment_of(self.valid_from[edge]),
            None if valid_to == OPEN_END else moment_of(valid_to),
        )


def _nodes_of(node_of: array, numbers: array) -> array:
    """The node id of each asset number (see ``FrozenBase.numbered``).

    Raises:
        KeyError: a number is no asset's.
    """
    if not numbers:
        return array("i")
    for number in (min(numbers), max(numbers)):
        if not 0 <= number < len(node_of):
            raise KeyError(f"an edge names asset number {number}, which no asset has")
    nodes = array("i", map(node_of.__getitem__, numbers))
    if -1 in nodes:
        raise KeyError(f"an edge names asset number {numbers[nodes.index(-1)]}, which no asset has")
    return nodes


def _csr(n: int, sources: array) -> tuple[array, array]:
    """Offsets (n + 1) and the positions of ``sources`` grouped by source node
    (in order within a node): built with C-level sorting and counting, as a
    Python loop per edge would double the load time."""
    order = array("i", sorted(range(len(sources)), key=sources.__getitem__))
    counts = Counter(sources)
    offsets = array("i", accumulate(map(counts.get, range(n), repeat(0, n)), initial=0))
    return offsets, order

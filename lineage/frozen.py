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
from collections.abc import Iterator, Mapping
from itertools import accumulate, repeat
from typing import Any

from lineage.packed import (
    NO_TIME,
    OPEN_END,
    BlobTable,
    KeyIndex,
    StringTable,
    interned,
    micros,
    moment_of,
    pack_snapshot,
    unpack_snapshot,
)
from lineage.records import EdgeRecord, parse_time
from lineage.sensitivity import SENSITIVE_CLASSIFICATIONS

# Bits of a node's handling code: what the sensitivity rules read.
PERSONAL, SPECIAL, SENSITIVE, ASSET = 1, 2, 4, 8


class FrozenBase:
    """Assets and edge records as they were at build time (see the module doc)."""

    def __init__(self, assets: Mapping[str, Mapping[str, Any]], edges: list[EdgeRecord]) -> None:
        edges.sort(key=lambda e: e.id)
        named = set(assets)
        named.update(k for e in edges for k in (e.upstream, e.downstream))
        keys = sorted(named)
        self.keys = StringTable(keys)
        self.index = KeyIndex(self.keys)
        ids = {key: i for i, key in enumerate(keys)}
        self._load_nodes(keys, assets)
        self.rec_id = array("q", (e.id for e in edges))
        self.up = array("i", (ids[e.upstream] for e in edges))
        self.down = array("i", (ids[e.downstream] for e in edges))
        self.names, self.via = interned(e.via for e in edges)
        self.descriptions, self.description = interned(e.description for e in edges)
        self.valid_from = array("q", (micros(e.valid_from) for e in edges))
        self.valid_to = array("q", (micros(e.valid_to, OPEN_END) for e in edges))
        self.out_off, self.out_edge = _csr(len(keys), self.up)
        self.in_off, self.in_edge = _csr(len(keys), self.down)
        self._load_current(len(keys))

    def _load_nodes(self, keys: list[str], assets: Mapping[str, Mapping[str, Any]]) -> None:
        empty = pack_snapshot({})
        self.snapshots = BlobTable(pack_snapshot(assets[k]) if k in assets else empty for k in keys)
        self.created = array("q", (_created(assets.get(k)) for k in keys))
        self.kinds, self.kind = interned(_text(assets.get(k), "kind") for k in keys)
        self.accesses, self.access = interned(_text(assets.get(k), "access") for k in keys)
        self.handling = array("B", (_handling_code(assets.get(k)) for k in keys))
        self.asset_count = len(assets)

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
        code, valid_to = self.description[edge], self.valid_to[edge]
        return EdgeRecord(
            self.rec_id[edge],
            self.keys[self.up[edge]],
            self.keys[self.down[edge]],
            self.via_of(edge),
            None if code < 0 else self.descriptions[code],
            moment_of(self.valid_from[edge]),
            None if valid_to == OPEN_END else moment_of(valid_to),
        )


def _csr(n: int, sources: array) -> tuple[array, array]:
    """Offsets (n + 1) and the positions of ``sources`` grouped by source node
    (in order within a node): built with C-level sorting and counting, as a
    Python loop per edge would double the load time."""
    order = array("i", sorted(range(len(sources)), key=sources.__getitem__))
    counts = Counter(sources)
    offsets = array("i", accumulate(map(counts.get, range(n), repeat(0, n)), initial=0))
    return offsets, order


def _created(asset: Mapping[str, Any] | None) -> int:
    return NO_TIME if asset is None else micros(parse_time(asset.get("created_at")))


def _text(asset: Mapping[str, Any] | None, field: str) -> str | None:
    value = None if asset is None else asset.get(field)
    return None if value is None else str(value)


def _handling_code(asset: Mapping[str, Any] | None) -> int:
    if asset is None:
        return 0
    code = ASSET
    if asset.get("personal_data"):
        code |= PERSONAL
    if asset.get("special_category"):
        code |= SPECIAL
    if asset.get("classification") in SENSITIVE_CLASSIFICATIONS:
        code |= SENSITIVE
    return code

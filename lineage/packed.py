"""Packed tables for the compact lineage graph: strings, snapshots and times
held in a few flat buffers instead of one Python object each.

Why: ``catalogue serve`` builds the graph in gunicorn's master and forks its
workers, which then share the graph's memory pages until something writes to
them. Python writes to every object it reads (its reference count), so a
worker walking a graph of per-node objects slowly copies the whole graph into
its private memory. A ``bytes`` blob and an ``array`` are one object each:
reading a value from them creates a new object and leaves the shared pages
untouched.
"""

from __future__ import annotations

import gc
import marshal
import pickle
from array import array
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

#: Stands in for "no time": a missing ``created_at`` (exists at every moment).
NO_TIME = -(2**63)
#: Stands in for a missing ``valid_to`` (the edge is current).
OPEN_END = 2**63 - 1


def micros(moment: datetime | None, missing: int = NO_TIME) -> int:
    """``moment`` as whole microseconds since 1970 UTC (exact), ``missing`` for None."""
    return missing if moment is None else (moment - _EPOCH) // _MICROSECOND


def moment_of(value: int) -> datetime:
    """The UTC datetime that ``micros`` turned into ``value``."""
    return _EPOCH + timedelta(microseconds=value)


class BlobTable:
    """An immutable list of byte strings packed into one buffer, read by position."""

    __slots__ = ("_blob", "_ends")

    def __init__(self, items: Iterable[bytes] = ()) -> None:
        ends = array("q", [0])
        parts = []
        total = 0
        for item in items:
            parts.append(item)
            total += len(item)
            ends.append(total)
        self._blob = b"".join(parts)
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends) - 1

    def raw(self, i: int) -> bytes:
        """The bytes at position ``i`` (0 <= i < len), a fresh copy."""
        ends = self._ends
        return self._blob[ends[i] : ends[i + 1]]

    def nbytes(self) -> int:
        """Bytes held by the buffers (for measuring)."""
        return len(self._blob) + self._ends.itemsize * len(self._ends)


class StringTable(BlobTable):
    """An immutable list of strings packed as UTF-8; ``table[i]`` decodes one."""

    __slots__ = ()

    def __init__(self, strings: Iterable[str] = ()) -> None:
        super().__init__(s.encode("utf-8", "surrogatepass") for s in strings)

    def __getitem__(self, i: int) -> str:
        ends = self._ends
        return self._blob[ends[i] : ends[i + 1]].decode("utf-8", "surrogatepass")


def interned(values: Iterable[str | None]) -> tuple[StringTable, array]:
    """Each distinct string once in a table, and per value its position there
    (-1 for None): for columns with few distinct values (kinds, via keys)."""
    positions: dict[str, int] = {}
    column = array("i")
    for value in values:
        column.append(-1 if value is None else positions.setdefault(value, len(positions)))
    return StringTable(positions), column


class KeyIndex:
    """Position of a key in a ``StringTable``: an open-addressing hash table in
    two arrays (the slot's key hash and position), so a look-up touches no
    per-key object. Hashes are ``hash(str)``: fixed within a process and the
    workers forked from it, which is all the graph needs.
    """

    __slots__ = ("_hashes", "_keys", "_mask", "_slots")

    def __init__(self, keys: StringTable) -> None:
        size = 8
        while size < 2 * len(keys) + 1:
            size *= 2
        self._mask = size - 1
        self._keys = keys
        self._slots = array("i", [-1]) * size
        self._hashes = array("q", [0]) * size
        for position in range(len(keys)):
            key_hash = hash(keys[position])
            slot = key_hash & self._mask
            while self._slots[slot] != -1:
                slot = (slot + 1) & self._mask
            self._slots[slot] = position
            self._hashes[slot] = key_hash

    def get(self, key: str) -> int | None:
        """The position of ``key``, or None when the table lacks it."""
        key_hash = hash(key)
        mask, slots, hashes, keys = self._mask, self._slots, self._hashes, self._keys
        slot = key_hash & mask
        while True:
            position = slots[slot]
            if position == -1:
                return None
            if hashes[slot] == key_hash and keys[position] == key:
                return position
            slot = (slot + 1) & mask


def pack_snapshot(snapshot: Mapping[str, Any]) -> bytes:
    """An asset snapshot as bytes: marshal (fast) for the plain JSON-like values
    snapshots hold, pickle for anything else a caller handed over."""
    try:
        return b"m" + marshal.dumps(dict(snapshot))
    except ValueError:  # a value marshal does not know, e.g. a datetime
        return b"p" + pickle.dumps(dict(snapshot), pickle.HIGHEST_PROTOCOL)


def unpack_snapshot(data: bytes) -> dict[str, Any]:
    """A fresh dict equal to the snapshot ``pack_snapshot`` packed."""
    value = marshal.loads(data[1:]) if data[:1] == b"m" else pickle.loads(data[1:])
    assert isinstance(value, dict)
    return value


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk load allocates.

    A load creates hundreds of thousands of containers and no reference cycles;
    left running, the collector rescans the growing heap again and again and
    that costs about a third of the build time. It is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

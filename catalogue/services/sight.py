"""What one caller may see of the lineage graph: which assets they may name,
and the records shown to them with what they may not see left out. Shared by
traces, asset pages, the lineage API and Marquez's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalogue.errors import NotFound
from catalogue.services.access import HIDDEN_ASSET, can_read
from catalogue.services.context import Reader
from catalogue.services.record_types import AssetRecord
from lineage import LineageGraph


class Sight:
    """What one caller may see of the graph. An asset they may not see stays in a
    trace as a placeholder without its name, so the trace is honest about its shape."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.graph = reader.graph
        self.principal = reader.principal
        self._seen: dict[str, bool] = {}
        #: Current snapshots read to decide what the caller sees, for reuse.
        self.nodes: dict[str, dict[str, Any]] = {}

    def visible(self, key: str) -> bool:
        if key not in self._seen:
            if self.principal.sees_everything:  # no record to read to know that
                self._seen[key] = self.graph.has(key)
            else:
                node = self.nodes[key] = current_node(self.graph, key) or {}
                self._seen[key] = bool(node) and can_read(self.principal, node)
        return self._seen[key]

    def require(self, key: str) -> None:
        if not self.visible(key):
            raise NotFound(f"no asset with key {key!r}")

    def name(self, key: str) -> str | None:
        return key if self.visible(key) else None


def current_node(graph: LineageGraph, key: str) -> dict[str, Any] | None:
    """A copy of the asset's snapshot now, or None for a key that is no asset."""
    try:
        return graph.node(key)
    except KeyError:
        return None


def shown_record(record: AssetRecord, sight: Sight) -> AssetRecord:
    """The record as the caller may see it: a source system that is an asset they
    may not see is not named (its key would say it exists)."""
    system = record.get("source_system")
    if system and sight.graph.has(system) and not sight.visible(system):
        return {**record, "source_system": None}
    return record


def sight_name(sight: Sight) -> Callable[[str], str]:
    """An asset's key for the caller, or the words for one they may not see."""
    return lambda key: key if sight.visible(key) else HIDDEN_ASSET

"""What the frozen base of the compact lineage graph keeps of each node: its
asset snapshot packed, when it was created, its kind and access, and a handling
code whose bits are what the sensitivity rules read (``lineage.frozen``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lineage.packed import NO_TIME, micros, pack_snapshot
from lineage.records import parse_time
from lineage.sensitivity import SENSITIVE_CLASSIFICATIONS

# Bits of a node's handling code: what the sensitivity rules read.
PERSONAL, SPECIAL, SENSITIVE, ASSET = 1, 2, 4, 8

#: What the base keeps of a node: packed snapshot, created, kind, access, handling.
NodeRow = tuple[bytes, int, str | None, str | None, int]

_EMPTY_SNAPSHOT = pack_snapshot({})


def node_row(asset: Mapping[str, Any] | None) -> NodeRow:
    """(packed snapshot, created, kind, access, handling code) of a node: what
    the base keeps of it; an empty row for a key that is no asset."""
    if asset is None:
        return _EMPTY_SNAPSHOT, NO_TIME, None, None, 0
    return (
        pack_snapshot(asset),
        _created(asset),
        _text(asset, "kind"),
        _text(asset, "access"),
        _handling_code(asset),
    )


def _created(asset: Mapping[str, Any]) -> int:
    return micros(parse_time(asset.get("created_at")))


def _text(asset: Mapping[str, Any], field: str) -> str | None:
    value = asset.get(field)
    return None if value is None else str(value)


def _handling_code(asset: Mapping[str, Any]) -> int:
    code = ASSET
    if asset.get("personal_data"):
        code |= PERSONAL
    if asset.get("special_category"):
        code |= SPECIAL
    if asset.get("classification") in SENSITIVE_CLASSIFICATIONS:
        code |= SENSITIVE
    return code

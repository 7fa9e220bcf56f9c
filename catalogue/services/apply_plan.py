"""What `catalogue apply` would do: the plan's steps, and the rule that an
omission never lowers an asset's protective marking (see services/apply.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from catalogue import vocab
from catalogue.errors import Problem
from catalogue.models import Asset
from catalogue.schemas import ASSET_FIELDS, suggest_field
from catalogue.services.record_types import AssetRecord, TimedEdge

#: Fields that are only ever changed by a record that states them, even with
#: ``replace``: an omission must never lower an asset's protection or revive it.
KEPT_UNLESS_STATED = ("classification", "access", "personal_data", "special_category", "status")

#: The order of protection of each protective field, lowest first.
PROTECTION_ORDER: dict[str, tuple[Any, ...]] = {
    "classification": vocab.CLASSIFICATIONS,
    "access": vocab.ACCESS_LEVELS,
    "personal_data": (False, True),
    "special_category": (False, True),
}


def lowers_protection(name: str, old: Any, new: Any) -> bool:
    """True when changing ``name`` from ``old`` to ``new`` lowers the asset's protection."""
    order = PROTECTION_ORDER.get(name)
    if order is None or old not in order or new not in order:
        return False
    return order.index(new) < order.index(old)


@dataclass(frozen=True)
class Upstream:
    key: str
    via: str | None = None
    description: str | None = None


@dataclass
class AssetStep:
    source: str
    key: str
    action: str  # create | update | unchanged
    values: dict[str, Any]
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    upstream: list[Upstream] | None = None  # None: the record does not speak of lineage
    data: dict[str, Any] = field(default_factory=dict)  # the record as read, for a new asset
    whole: dict[str, Any] | None = None  # the record loaded whole, with defaults, when it was

    @property
    def lowered(self) -> dict[str, tuple[Any, Any]]:
        """The changes that lower this asset's protective marking."""
        return {n: c for n, c in self.changes.items() if lowers_protection(n, *c)}


@dataclass
class EdgeStep:
    action: str  # add | end
    upstream: str
    downstream: str
    source: str
    via: str | None = None
    description: str | None = None


@dataclass
class Plan:
    assets: list[AssetStep] = field(default_factory=list)
    edges: list[EdgeStep] = field(default_factory=list)
    existing: dict[str, Asset] = field(default_factory=dict)  # those the plan updates
    ids: dict[str, int] = field(default_factory=dict)  # every asset of the plan already stored
    current_edges: dict[tuple[str, str], TimedEdge] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "unchanged": 0, "edges added": 0, "edges ended": 0}
        for step in self.assets:
            out[step.action] += 1
        for edge in self.edges:
            out["edges added" if edge.action == "add" else "edges ended"] += 1
        return out

    @property
    def lowered(self) -> list[AssetStep]:
        """The steps that lower an asset's protective marking (each stated in its record)."""
        return [step for step in self.assets if step.lowered]

    @property
    def size(self) -> int:
        return len(self.assets) + len(self.edges)


def parse_upstream(value: Any, source: str, key: str) -> tuple[list[Upstream], list[Problem]]:
    """Read an ``upstream`` list: keys, or ``{key, via, description}`` mappings."""
    if not isinstance(value, list):
        return [], [Problem("must be a list of asset keys", "upstream", key, source)]
    refs, problems = [], []
    for i, item in enumerate(value):
        if isinstance(item, str):
            refs.append(Upstream(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("key"), str):
            unknown = set(item) - {"key", "via", "description"}
            for name in sorted(unknown):
                message = suggest_field(name, ("key", "via", "description"))
                problems.append(Problem(message, f"upstream.{i}.{name}", key, source))
            refs.append(Upstream(item["key"], item.get("via"), item.get("description")))
        else:
            problems.append(
                Problem(
                    "each item must be a key or {key, via, description}",
                    f"upstream.{i}",
                    key,
                    source,
                )
            )
    return refs, problems


def states_only_what_is_stored(
    data: Mapping[str, Any], record: AssetRecord, kinds: list[str]
) -> bool:
    """True when every field a record states holds exactly what the stored asset
    holds, compared as JSON digests of the file form (what `catalogue export`
    writes): applying it changes nothing, so it need not be validated field by
    field (re-applying a register of 10,000 unchanged assets, #21). Anything else
    (another type, a blank, a date YAML read as a date, an unknown field) is
    False and the record goes through the schema as before."""
    if "kind" in data and data["kind"] not in kinds:
        return False
    for name, value in data.items():
        if name not in _FILE_FIELDS or name not in record:
            return False
        stored: Any = record[name]  # type: ignore[literal-required]
        if name == "columns":
            if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
                return False
            value, stored = _column_form(value), _column_form(stored)
        try:
            if _digest(value) != _digest(stored):
                return False
        except (TypeError, ValueError):  # a value JSON cannot hold: not the stored form
            return False
    return True


_FILE_FIELDS = frozenset(ASSET_FIELDS)


def _digest(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)


def _column_form(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Columns without the values a file may leave out (null, ``personal: false``)."""
    return [{k: v for k, v in c.items() if v is not None and v is not False} for c in columns]

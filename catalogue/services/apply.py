"""`catalogue apply`: a declarative upsert of assets and their upstream lineage.

A record for an asset that exists changes only the fields it mentions: a field
it leaves out is left alone, and clearing one takes an explicit value (``""``,
``[]`` or ``null``). With ``replace`` a record states the whole asset and what
it leaves out goes back to its default, except the protective marking
(classification, access, personal and special-category data) and the status,
which are never lowered by omission. A record that does state a lower marking
is applied, and the plan lists it in ``lowered`` so the caller says so loudly.

The whole run is one transaction. Every record is checked first and every
problem listed (file, line, key, field); if there is any, nothing is written.
A record that lists ``upstream`` states all that feeds it: edges it no longer
lists are ended (kept in the history), new ones added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue import vocab
from catalogue.errors import Invalid, Problem
from catalogue.models import Asset, Edge
from catalogue.schemas import ASSET_FIELDS, load_asset, suggest_field
from catalogue.services import assets as asset_service
from catalogue.services import bulk
from catalogue.services.access import Principal, can_read, can_write
from catalogue.services.catalogue_file import SourceRecord
from catalogue.services.changes import Writer
from catalogue.services.context import Reader
from catalogue.services.edges import iso_record, upstream_of
from catalogue.services.record_types import AssetRecord, TimedEdge
from catalogue.services.records import Resolver, asset_record
from catalogue.services.source_systems import source_system_problems
from lineage import LineageGraph

Progress = Callable[[int], None]
CHUNK = 500

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
    existing: dict[str, Asset] = field(default_factory=dict)
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


def _existing(session: Session, keys: Sequence[str]) -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found.update({a.key: a for a in session.scalars(select(Asset).where(Asset.key.in_(chunk)))})
    return found


def _validate(
    records: Iterable[SourceRecord], kinds: list[str]
) -> tuple[list[AssetStep], list[Problem]]:
    steps: list[AssetStep] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for record in records:
        data = dict(record.data)
        raw_key = data.get("key")
        key = raw_key if isinstance(raw_key, str) else None
        upstream = None
        if "upstream" in data:
            upstream, found = parse_upstream(data.pop("upstream"), record.source, key or "")
            problems.extend(found)
        try:
            # Only what the record states; defaults are filled for new assets alone.
            values = load_asset(data, kinds, partial=True)
        except Invalid as error:
            problems.extend(Problem(p.message, p.field, key, record.source) for p in error.problems)
            continue
        if "key" not in values:
            problems.append(Problem("Missing data for required field.", "key", None, record.source))
            continue
        if values["key"] in seen:
            problems.append(
                Problem(f"the same key is also at {seen[values['key']]}", "key", key, record.source)
            )
            continue
        seen[values["key"]] = record.source
        steps.append(
            AssetStep(record.source, values["key"], "create", values, upstream=upstream, data=data)
        )
    return steps, problems


def _whole_record(
    step: AssetStep, kinds: list[str], current: AssetRecord | None, replace: bool
) -> list[Problem]:
    """Fill ``step.values`` with defaults where the record must state the whole
    asset: a new asset, or any asset under ``replace`` (whose protective marking
    and status stay as they are unless the record states them)."""
    if current is not None and not replace:
        return []
    try:
        values = load_asset(step.data, kinds)
    except Invalid as error:
        return [Problem(p.message, p.field, step.key, step.source) for p in error.problems]
    if current is not None:
        # Fields with no default (owner, lawful basis…) are cleared, not kept.
        values = {name: values.get(name) for name in ASSET_FIELDS}
        for name in KEPT_UNLESS_STATED:
            if name not in step.data:
                values.pop(name, None)
    step.values = values
    return []


def plan_apply(
    reader: Reader,
    records: Iterable[SourceRecord],
    replace: bool = False,
) -> Plan:
    """Work out what applying ``records`` would change: for an asset that exists,
    only the fields its record mentions (all of them, bar the protective marking
    and status, with ``replace``). Raises Invalid listing every problem found,
    each with its file, line, key and field."""
    session, principal = reader.session, reader.principal
    kinds = asset_service.known_kinds(session)
    steps, problems = _validate(records, kinds)
    plan = Plan(assets=steps)
    plan.existing = _existing(session, [s.key for s in steps])
    for step in steps:
        current = plan.existing.get(step.key)
        record = asset_record(current) if current is not None else None
        found = _whole_record(step, kinds, record, replace)
        if found:
            problems.extend(found)
            continue
        if not _may_apply(principal, record, step.values):
            problems.append(
                Problem(
                    "you may not change this asset (stewards change their own department's)",
                    "key",
                    step.key,
                    step.source,
                )
            )
            continue
        if record is not None:
            diff = asset_service.changed_fields(record, step.values)
            step.values = diff
            step.changes = {name: (record.get(name), value) for name, value in diff.items()}
            step.action = "update" if diff else "unchanged"
            if diff and record.get("status") == "retired" and diff.get("status") != "active":
                message = asset_service.retired_message(step.key)
                problems.append(Problem(message, "status", step.key, step.source))
    problems.extend(_plan_edges(session, plan, reader.graph, principal))
    created = [s.key for s in steps if s.values.get("kind") == "source_system"]
    stated = [(s.key, s.values, s.source) for s in steps]
    problems.extend(source_system_problems(reader, stated, created))
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise Invalid(f"nothing was applied: {len(problems)} {noun} found", problems)
    return plan


def _may_apply(principal: Principal, record: AssetRecord | None, values: dict[str, Any]) -> bool:
    if record is None:
        return can_write(principal, values)
    merged = {**record, **asset_service.as_record_values(values)}
    return (
        can_read(principal, record)
        and can_write(principal, record)
        and (can_write(principal, merged))
    )


def _plan_edges(
    session: Session, plan: Plan, graph: LineageGraph, principal: Principal
) -> list[Problem]:
    """Add to ``plan`` the lineage changes its records declare (``upstream:``), in
    three steps: which keys a record may name, what differs from the edges now,
    and which new edges would close a cycle. Returns what is wrong."""
    declared = [s for s in plan.assets if s.upstream is not None]
    known = _nameable_keys(session, plan, declared, principal)
    current = upstream_of(session, [s.key for s in declared if s.key in plan.existing])
    problems: list[Problem] = []
    adds: list[EdgeStep] = []
    for step in declared:
        problems += _unknown_keys(step, known)
        adds += _edge_changes(plan, step, current.get(step.key, []))
    problems += _keep_acyclic(plan, graph, adds)
    return problems


def _nameable_keys(
    session: Session, plan: Plan, declared: list[AssetStep], principal: Principal
) -> set[str]:
    """Keys an ``upstream`` or ``via`` may name: the files' own, those already in the
    catalogue that the plan updates, and others the applier may see."""
    wanted = {r.key for s in declared for r in s.upstream or []}
    wanted |= {r.via for s in declared for r in s.upstream or [] if r.via}
    in_files = {s.key for s in plan.assets}
    others = _existing(session, sorted(wanted - in_files))
    visible = {k for k, a in others.items() if can_read(principal, asset_record(a))}
    return in_files | set(plan.existing) | visible


def _unknown_keys(step: AssetStep, known: set[str]) -> list[Problem]:
    problems = []
    for ref in step.upstream or []:
        for name, key in (("upstream", ref.key), ("via", ref.via)):
            if key and key not in known:
                message = f"no asset with key {key!r} in the catalogue or in these files"
                problems.append(Problem(message, name, step.key, step.source))
    return problems


def _edge_changes(plan: Plan, step: AssetStep, current: list[TimedEdge]) -> list[EdgeStep]:
    """Record in ``plan`` the edges into ``step`` to end (gone, or changed) and
    return those to add (new, or changed: a changed edge is ended and added again)."""
    have = {e["upstream"]: e for e in current}
    want = {r.key: r for r in step.upstream or []}
    adds = []
    for ref in want.values():
        edge = have.get(ref.key)
        same = edge is not None and (edge["via"], edge["description"]) == (
            ref.via,
            ref.description,
        )
        if edge is not None and not same:
            plan.edges.append(EdgeStep("end", ref.key, step.key, step.source))
        if not same:
            adds.append(EdgeStep("add", ref.key, step.key, step.source, ref.via, ref.description))
    for up_key, edge in have.items():
        plan.current_edges[(up_key, step.key)] = edge
        if up_key not in want:
            plan.edges.append(EdgeStep("end", up_key, step.key, step.source))
    return adds


def _keep_acyclic(plan: Plan, graph: LineageGraph, adds: list[EdgeStep]) -> list[Problem]:
    """Add to ``plan`` the new edges that close no cycle (after the plan's ends);
    each one that would is a problem naming the cycle."""
    ended = [(e.upstream, e.downstream) for e in plan.edges]
    refused = dict(graph.refused_edges([(e.upstream, e.downstream) for e in adds], ended))
    problems = []
    for edge in adds:
        cycle = refused.get((edge.upstream, edge.downstream))
        if cycle:
            message = "this lineage would create a cycle: " + " → ".join(cycle)
            problems.append(Problem(message, "upstream", edge.downstream, edge.source))
        else:
            plan.edges.append(edge)
    return problems


def execute_plan(writer: Writer, plan: Plan, progress: Progress | None = None) -> None:
    """Write a plan made in this same transaction; logs every change. Assets
    first (so new ones have ids), then the edges that end, then those that start."""
    ids = _write_assets(writer, plan, progress)
    _end_edges(writer, plan)
    adds = [
        (e.upstream, e.downstream, e.via, e.description) for e in plan.edges if e.action == "add"
    ]
    if adds:
        bulk.add_edges(writer, adds, ids)
    if progress:
        progress(len(plan.edges))


def _write_assets(writer: Writer, plan: Plan, progress: Progress | None) -> dict[str, int]:
    """Create and update the plan's assets; the ids of every asset its edges name."""
    resolver = Resolver(writer.session)
    creates = [s.values for s in plan.assets if s.action == "create"]
    ids = bulk.create_assets(writer, creates, resolver) if creates else {}
    for step in plan.assets:
        if step.action == "update":
            asset_service.update_validated(writer, plan.existing[step.key], step.values, resolver)
        if progress:
            progress(1)
    writer.session.flush()
    ids.update({key: asset.id for key, asset in plan.existing.items()})
    missing = sorted({k for e in plan.edges for k in (e.upstream, e.via) if k} - set(ids))
    ids.update({key: a.id for key, a in _existing(writer.session, missing).items()})
    return ids


def _end_edges(writer: Writer, plan: Plan) -> None:
    """Close the edges the plan ends (before any new one opens, so a changed edge's
    old row is closed first), each logged with its validity."""
    ends = [plan.current_edges[(e.upstream, e.downstream)] for e in plan.edges if e.action == "end"]
    if ends:
        writer.session.execute(
            update(Edge), [{"id": e["id"], "valid_to": writer.now} for e in ends]
        )
    for edge in ends:
        before = iso_record(edge)
        writer.log(
            "edge.end", edge["downstream"], before, {**before, "valid_to": writer.now.isoformat()}
        )

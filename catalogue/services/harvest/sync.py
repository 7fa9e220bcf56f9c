"""Bringing the catalogue in step with what a reader found, in one transaction.

Writes go through the existing services: new assets through ``bulk`` (as
``apply`` creates them), changes through ``assets.update_validated`` (a change
of columns is logged as ``asset.schema_change``), retirement as
``asset.retire``, edges through ``apply.execute_plan``, column lineage through
``openlineage.set_column_lineage``; what the harvest remembers between runs
through ``remembered``. What the harvest owns is described in this package's
docstring; nothing else is compared or written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.harvest_models import HarvestedAsset
from catalogue.models import Asset
from catalogue.schemas import load_asset
from catalogue.services import assets as asset_service
from catalogue.services.apply import AssetStep, EdgeStep, Plan, execute_plan
from catalogue.services.changes import Writer
from catalogue.services.edges import upstream_of
from catalogue.services.harvest.compare import (
    CHUNK,
    SCHEMA_CHANGE,
    column_changes,
    new_values,
    owned_changes,
    owned_fields,
)
from catalogue.services.harvest.found import FoundDataset, Reading
from catalogue.services.harvest.remembered import flag_personal, object_keys, remember
from catalogue.services.openlineage import set_column_lineage
from catalogue.services.openlineage_facts import ColumnInput, DatasetFacts, Outcome
from catalogue.services.records import Resolver, asset_record
from lineage import LineageGraph

Progress = Callable[[int], None]


@dataclass
class Summary:
    """What one source's harvest did (or, in a dry run, would do)."""

    source: str
    created: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # key → what changed
    unchanged: int = 0
    retired: list[str] = field(default_factory=list)
    flagged: list[tuple[str, str, str]] = field(default_factory=list)  # key, column, reason
    edges_added: int = 0
    edges_ended: int = 0
    column_lineage: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changes: int = 0  # change-log rows written
    failed: str | None = None

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "retired": len(self.retired),
            "flagged": len(self.flagged),
            "failed": 1 if self.failed else 0,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **self.counts(),
            "created_keys": self.created,
            "changed_keys": self.changed,
            "retired_keys": self.retired,
            "flagged_columns": [{"key": k, "column": c, "reason": r} for k, c, r in self.flagged],
            "edges_added": self.edges_added,
            "edges_ended": self.edges_ended,
            "column_lineage": self.column_lineage,
            "problems": self.problems,
            "changes": self.changes,
            "error": self.failed,
        }


def ensure_source_system(writer: Writer, key: str, department: str | None) -> bool:
    """Register the source system asset if the catalogue lacks it; True if it did."""
    if asset_service.find(writer.session, key) is not None:
        return False
    values = {"key": key, "kind": "source_system", "title": key, "department": department}
    asset_service.register(writer, values)
    return True


def _loaded(session: Session, model: Any, column: Any, keys: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for start in range(0, len(keys), CHUNK):
        query: Any = select(model).where(column.in_(keys[start : start + CHUNK]))
        found.update({getattr(row, column.key): row for row in session.scalars(query)})
    return found


def harvest_into(
    writer: Writer,
    source_system: str,
    reading: Reading,
    department: str | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Create, change and retire assets so the catalogue matches ``reading``;
    add and end the edges the harvest owns; set views' column lineage; flag
    columns that may hold personal data. Raises Invalid if a found object
    cannot be a valid asset (nothing is then written: one transaction)."""
    summary = Summary(source=reading.source, problems=list(reading.problems))
    session = writer.session
    if ensure_source_system(writer, source_system, department):
        summary.created.append(source_system)
    keys = object_keys(writer, source_system, [d.name for d in reading.datasets])
    found_keys = [keys[d.name] for d in reading.datasets]
    as_before = {keys[d.name] for d in reading.datasets if d.columns is None}
    current = owned_fields(session, found_keys, as_before)
    kinds = asset_service.known_kinds(session)
    resolver = Resolver(session)
    plan = Plan()
    for found, key in zip(reading.datasets, found_keys, strict=True):
        if key not in current:
            values = load_asset(new_values(found, key, source_system, department), kinds)
            plan.assets.append(AssetStep(found.name, key, "create", values))
            summary.created.append(key)
        elif owned_changes(current[key], found, source_system):
            asset = asset_service.get_asset(session, key)
            _update(writer, asset, found, source_system, kinds, resolver, summary)
        else:
            summary.unchanged += 1
        if progress:
            progress(1)
    _retire(writer, source_system, reading, set(found_keys), resolver, summary)
    _plan_edges(session, writer.graph, plan, set(current), source_system, reading, keys, summary)
    execute_plan(writer, plan)
    _column_lineage(writer, source_system, reading, keys, summary)
    remember(session, writer, source_system, reading, keys)
    summary.flagged.extend(flag_personal(session, writer, reading, keys))
    summary.changes = len(writer.pending)
    return summary


def _update(
    writer: Writer,
    asset: Asset,
    found: FoundDataset,
    source_system: str,
    kinds: list[str],
    resolver: Resolver,
    summary: Summary,
) -> None:
    record = asset_record(asset)
    changes = owned_changes(record, found, source_system)
    if not changes:
        summary.unchanged += 1
        return
    values = load_asset({**changes, "key": asset.key}, kinds, partial=True)
    action = SCHEMA_CHANGE if "columns" in changes else "asset.update"
    asset_service.update_validated(writer, asset, values, resolver, action=action)
    what = [n for n in changes if n != "columns"]
    if "columns" in changes:
        what = column_changes(record["columns"], changes["columns"]) + what
    summary.changed[asset.key] = what


def _retire(
    writer: Writer,
    source_system: str,
    reading: Reading,
    found_keys: set[str],
    resolver: Resolver,
    summary: Summary,
) -> None:
    """Retire (never delete) what an earlier harvest of this scope found and this one did not."""
    if not reading.retires:
        return
    rows = writer.session.scalars(
        select(HarvestedAsset).where(HarvestedAsset.source_system == source_system)
    )
    gone = [
        r.asset_key for r in rows if r.asset_key not in found_keys and reading.scope.covers(r.name)
    ]
    for asset in _loaded(writer.session, Asset, Asset.key, gone).values():
        if asset.status != "retired":
            asset_service.update_validated(writer, asset, {"status": "retired"}, resolver)
            summary.retired.append(asset.key)


def _plan_edges(
    session: Session,
    graph: LineageGraph,
    plan: Plan,
    existing: set[str],
    source_system: str,
    reading: Reading,
    keys: dict[str, str],
    summary: Summary,
) -> None:
    """Edges from the source system, and from the tables each view reads. Only
    edges whose upstream is the source system or one of its harvested objects
    are the harvest's to end."""
    owned = {source_system, *keys.values()}
    wanted: dict[str, set[str]] = {}
    for found in reading.datasets:
        ups = {source_system}
        for name in found.reads:
            if name in keys:
                ups.add(keys[name])
            else:
                summary.problems.append(f"{found.name} reads {name}, which no harvest has found")
        wanted[keys[found.name]] = ups - {keys[found.name]}
    current = upstream_of(session, [k for k in wanted if k in existing])
    adds = []
    for down, ups in wanted.items():
        have = {e["upstream"]: e for e in current.get(down, []) if e["upstream"] in owned}
        for up, edge in have.items():
            if up not in ups:
                plan.current_edges[(up, down)] = edge
                plan.edges.append(EdgeStep("end", up, down, "harvest"))
        adds += [EdgeStep("add", up, down, "harvest") for up in sorted(ups - set(have))]
    ended = [(e.upstream, e.downstream) for e in plan.edges]
    refused = dict(graph.refused_edges([(e.upstream, e.downstream) for e in adds], ended))
    for step in adds:
        cycle = refused.get((step.upstream, step.downstream))
        if cycle:
            summary.problems.append("not recorded, it would be circular: " + " → ".join(cycle))
        else:
            plan.edges.append(step)
    # execute_plan finds the ids of upstream ends itself; downstream ends are
    # the plan's existing assets (or its new ones).
    downstream = sorted({e.downstream for e in plan.edges} & existing)
    plan.existing = _loaded(session, Asset, Asset.key, downstream)
    summary.edges_added = sum(1 for e in plan.edges if e.action == "add")
    summary.edges_ended = len(ended)


def _column_lineage(
    writer: Writer, source_system: str, reading: Reading, keys: dict[str, str], summary: Summary
) -> None:
    outcome = Outcome()
    for found in reading.datasets:
        if found.column_lineage is None:
            continue
        inputs = [
            ColumnInput(
                field=c.column,
                namespace=source_system,
                name=c.table,
                input_field=c.source_column,
                type="DIRECT",
                subtype=c.subtype,
            )
            for c in found.column_lineage
        ]
        facts = DatasetFacts(source_system, found.name, column_lineage=inputs)
        set_column_lineage(writer, keys[found.name], facts, outcome)
    summary.column_lineage = outcome.column_lineage

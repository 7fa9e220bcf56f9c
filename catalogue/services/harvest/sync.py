"""Bringing the catalogue in step with what a reader found, in one transaction.

Writes go through the existing services: new assets through ``bulk`` (as
``apply`` creates them), changes through ``assets.update_validated`` (a change
of columns is logged as ``asset.schema_change``), retirement as
``asset.retire``, edges through ``apply.execute_plan``, column lineage through
``openlineage.set_column_lineage``. What the harvest owns is described in this
package's docstring; nothing else is compared or written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from catalogue.harvest_models import HarvestedAsset, HarvestReview
from catalogue.models import Asset
from catalogue.openlineage_models import LineageName
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
from catalogue.services.harvest.found import FoundDataset, Previous, Reading
from catalogue.services.harvest.personal import personal_reason
from catalogue.services.openlineage import set_column_lineage
from catalogue.services.openlineage_facts import ColumnInput, DatasetFacts, Outcome
from catalogue.services.openlineage_names import KEY_MAX, digest, suggested_key
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


def _keys(writer: Writer, source_system: str, names: Iterable[str]) -> dict[str, str]:
    """The asset key of each object name, made once and remembered (LineageName),
    by the rule of ``openlineage_names.key_for``, for all new names at once."""
    session = writer.session
    known = dict(
        session.execute(
            select(LineageName.name, LineageName.asset_key).where(
                LineageName.kind == "dataset", LineageName.namespace == source_system
            )
        ).all()
    )
    new = [n for n in dict.fromkeys(names) if n not in known]
    wanted = {n: suggested_key(source_system, n) for n in new}
    taken = _taken(session, sorted(set(wanted.values())))
    for name, key in wanted.items():
        node = digest("dataset", source_system, name)
        if key in taken:
            key = f"{key[: KEY_MAX - 13].rstrip('-._')}-{node[:12]}"
        taken.add(key)
        known[name] = key
        session.add(
            LineageName(
                digest=node,
                kind="dataset",
                namespace=source_system,
                name=name,
                asset_key=key,
                created_at=writer.now,
            )
        )
    return known


def _taken(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` an asset or a remembered name already has."""
    taken: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        taken.update(session.scalars(select(Asset.key).where(Asset.key.in_(chunk))))
        taken.update(
            session.scalars(select(LineageName.asset_key).where(LineageName.asset_key.in_(chunk)))
        )
    return taken


def previous_views(session: Session, source_system: str) -> Previous:
    """What the last harvest of this source knew of its views and tables (to
    skip parsing an unchanged view, and reading an unchanged table again).
    An asset someone changed since that harvest is left out, so it is read and
    compared in full: the harvest's fields come back if a person changed them."""
    rows = session.execute(
        select(HarvestedAsset.name, HarvestedAsset.fingerprint, HarvestedAsset.reads)
        .join(Asset, Asset.key == HarvestedAsset.asset_key)
        .where(
            HarvestedAsset.source_system == source_system,
            HarvestedAsset.fingerprint.is_not(None),
            Asset.updated_at <= HarvestedAsset.last_harvested_at,
        )
    )
    return {name: (fingerprint or "", tuple(reads or ())) for name, fingerprint, reads in rows}


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
    keys = _keys(writer, source_system, [d.name for d in reading.datasets])
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
    _remember(session, writer, source_system, reading, keys)
    _flag(session, writer, reading, keys, summary)
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


def _remember(
    session: Session, writer: Writer, source_system: str, reading: Reading, keys: dict[str, str]
) -> None:
    """Which object each asset is, and that this harvest saw it now. What an
    earlier harvest remembered is read as plain rows (an unchanged source of
    thousands of tables loads no objects), and only what differs is written."""
    found = {keys[d.name]: d for d in reading.datasets}
    held: dict[str, tuple] = {}
    wanted = list(found)
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(HarvestedAsset.asset_key, HarvestedAsset.object_type,
                   HarvestedAsset.source_system, HarvestedAsset.size_bytes,
                   HarvestedAsset.fingerprint)
            .where(HarvestedAsset.asset_key.in_(wanted[start : start + CHUNK]))
        )  # fmt: skip
        held.update((row[0], tuple(row[1:])) for row in rows)
    for key, dataset in found.items():
        reads = list(dataset.reads) if dataset.fingerprint else None
        if key not in held:
            session.add(
                HarvestedAsset(
                    asset_key=key,
                    source_system=source_system,
                    name=dataset.name,
                    object_type=dataset.object_type,
                    size_bytes=dataset.size,
                    fingerprint=dataset.fingerprint,
                    reads=reads,
                    first_harvested_at=writer.now,
                    last_harvested_at=writer.now,
                )
            )
            continue
        now = (dataset.object_type, source_system, dataset.size, dataset.fingerprint)
        if held[key] != now:
            session.execute(
                update(HarvestedAsset)
                .where(HarvestedAsset.asset_key == key)
                .values(object_type=now[0], source_system=now[1], size_bytes=now[2],
                        fingerprint=now[3], reads=reads)
            )  # fmt: skip
    seen = [k for k in found if k in held]
    for start in range(0, len(seen), CHUNK):
        session.execute(
            update(HarvestedAsset)
            .where(HarvestedAsset.asset_key.in_(seen[start : start + CHUNK]))
            .values(last_harvested_at=writer.now)
        )


def _flag(
    session: Session, writer: Writer, reading: Reading, keys: dict[str, str], summary: Summary
) -> None:
    """Flag for review each column that may hold personal data and is not yet
    flagged; drop flags of columns that are gone."""
    found = {keys[d.name]: d for d in reading.datasets if d.columns is not None}
    held: dict[str, dict[str, HarvestReview]] = {}
    for start in range(0, len(found), CHUNK):
        chunk = list(found)[start : start + CHUNK]
        for row in session.scalars(select(HarvestReview).where(HarvestReview.asset_key.in_(chunk))):
            held.setdefault(row.asset_key, {})[row.column] = row
    for key, dataset in found.items():
        names = {c["name"] for c in dataset.columns or []}
        flags = held.get(key, {})
        for column in dataset.columns or []:
            reason = personal_reason(column["name"], column.get("description"))
            if reason and column["name"] not in flags:
                session.add(
                    HarvestReview(
                        asset_key=key, column=column["name"], reason=reason, flagged_at=writer.now
                    )
                )
                summary.flagged.append((key, column["name"], reason))
        gone = [row.id for name, row in flags.items() if name not in names]
        if gone:
            session.execute(delete(HarvestReview).where(HarvestReview.id.in_(gone)))

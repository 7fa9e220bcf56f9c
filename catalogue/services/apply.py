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
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.errors import Invalid, Problem
from catalogue.models import Asset, Edge
from catalogue.schemas import ASSET_FIELDS, load_asset
from catalogue.services import assets as asset_service
from catalogue.services import bulk
from catalogue.services.access import Principal, can_read, can_write
from catalogue.services.apply_edges import plan_edges
from catalogue.services.apply_plan import (
    KEPT_UNLESS_STATED,
    AssetStep,
    EdgeStep,
    Plan,
    Upstream,
    lowers_protection,
    parse_upstream,
    states_only_what_is_stored,
)
from catalogue.services.catalogue_file import SourceRecord
from catalogue.services.changes import Writer
from catalogue.services.context import Reader
from catalogue.services.edges import iso_record
from catalogue.services.record_stream import records_by_key
from catalogue.services.record_types import AssetRecord
from catalogue.services.records import Resolver
from catalogue.services.source_systems import source_system_problems

__all__ = [
    "AssetStep",
    "EdgeStep",
    "Plan",
    "Upstream",
    "execute_plan",
    "lowers_protection",
    "plan_apply",
]

Progress = Callable[[int], None]
CHUNK = 500


def _existing(session: Session, keys: Sequence[str]) -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found.update({a.key: a for a in session.scalars(select(Asset).where(Asset.key.in_(chunk)))})
    return found


def _validate(
    records: Sequence[SourceRecord], kinds: list[str], stored: Stored, replace: bool
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
        current = None if replace or key is None else stored.record(key)
        # A record that states only what is stored changes nothing: no schema pass.
        same = current is not None and states_only_what_is_stored(data, current, kinds)
        whole = None if same else _load_whole(data, kinds, stored, replace)
        try:
            # Only what the record states; defaults are filled for new assets alone.
            if same or whole is not None:
                values = whole or {"key": key}
            else:
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
        stated = {} if same else values
        step = AssetStep(
            record.source, values["key"], "create", stated, upstream=upstream, data=data
        )
        step.whole = whole
        steps.append(step)
    return steps, problems


def _load_whole(
    data: dict[str, Any], kinds: list[str], stored: Stored, replace: bool
) -> dict[str, Any] | None:
    """The record loaded whole, with defaults, if it will have to be (a new asset,
    or any under ``replace``) and is valid: one marshmallow pass instead of a
    partial one and then a whole one (#21). None otherwise; the partial load then
    finds a record's problems exactly as it always did."""
    raw_key = data.get("key")
    if not isinstance(raw_key, str) or (not replace and stored.has(raw_key.strip())):
        return None
    try:
        values = load_asset(data, kinds)
    except Invalid:
        return None
    return values if replace or not stored.has(values["key"]) else None


class Stored:
    """The stored records of the assets a file names, by key, read as plain rows
    in batches (reading mapped objects, each with its tags, people and columns,
    was most of re-applying an unchanged register: #21)."""

    def __init__(self, session: Session, keys: Iterable[str]) -> None:
        self.session = session
        self.read: set[str] = set()
        self.found: dict[str, tuple[int, AssetRecord]] = {}
        self.fetch(keys)

    def fetch(self, keys: Iterable[str]) -> None:
        wanted = set(keys) - self.read
        self.found.update(records_by_key(self.session, wanted))
        self.read |= wanted

    def has(self, key: str) -> bool:
        return key in self.found

    def record(self, key: str) -> AssetRecord | None:
        found = self.found.get(key)
        return found[1] if found else None


def _whole_record(
    step: AssetStep, kinds: list[str], current: AssetRecord | None, replace: bool
) -> list[Problem]:
    """Fill ``step.values`` with defaults where the record must state the whole
    asset: a new asset, or any asset under ``replace`` (whose protective marking
    and status stay as they are unless the record states them)."""
    if current is not None and not replace:
        return []
    if step.whole is not None:
        values = step.whole
    else:
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
    records = list(records)
    stored = Stored(session, _stated_keys(records))
    steps, problems = _validate(records, kinds, stored, replace)
    stored.fetch(s.key for s in steps)
    plan = Plan(assets=steps)
    plan.ids = {s.key: stored.found[s.key][0] for s in steps if stored.has(s.key)}
    for step in steps:
        record = stored.record(step.key)
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
    plan.existing = _existing(session, [s.key for s in steps if s.action == "update"])
    problems.extend(plan_edges(reader, plan))
    created = [s.key for s in steps if s.values.get("kind") == "source_system"]
    stated = [(s.key, s.values, s.source) for s in steps]
    problems.extend(source_system_problems(reader, stated, created))
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise Invalid(f"nothing was applied: {len(problems)} {noun} found", problems)
    return plan


def _stated_keys(records: Iterable[SourceRecord]) -> list[str]:
    """The keys the records state, as a valid one will be read (blanks trimmed)."""
    keys = (r.data.get("key") for r in records if isinstance(r.data, dict))
    return [k.strip() for k in keys if isinstance(k, str)]


def _may_apply(principal: Principal, record: AssetRecord | None, values: dict[str, Any]) -> bool:
    if record is None:
        return can_write(principal, values)
    merged = {**record, **asset_service.as_record_values(values)}
    return (
        can_read(principal, record)
        and can_write(principal, record)
        and (can_write(principal, merged))
    )


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
    ids.update(plan.ids)
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

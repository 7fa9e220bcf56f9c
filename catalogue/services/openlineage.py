"""Lineage from the tools councils already run: OpenLineage events (and dbt
manifests, which the importer turns into the same facts) become assets, edges
and column lineage, through the asset and edge services like any other write.

Decisions a reader should know:

- **Keys.** A dataset or job named by ``namespace`` + ``name`` gets a key the
  first time the name is seen, and keeps it (``openlineage_names``); the
  asset's ``location`` is ``namespace/name``.
- **A dataset namespace is a source system** (the database or store the
  datasets live in): a ``source_system`` asset keyed from the namespace alone,
  the ``source_system`` of each dataset in it, and an edge ``system → dataset``
  so "what breaks if this database goes down" is ``lineage downstream``. A job's
  namespace is the scheduler's, not a store: no system. A dataset the caller
  may not change keeps what it had.
- **Freshness.** A COMPLETE run's outputs were last updated on the event's
  (UTC) date; an older run's COMPLETE never moves that date back.
- **Who.** Stewards and admins post events; viewers and auditors are refused
  (Forbidden) before anything is read, even when the event would change nothing.
- **Jobs are ``pipeline`` assets**, and lineage is ``input → job → output``,
  valid from the event time (the Writer's ``now``).
- **A COMPLETE run states the job's whole lineage**: everything the run's
  events named (``lineage_runs`` keeps it: a START often lists datasets its
  COMPLETE leaves out). So do a JobEvent and a dbt import. Edges between the
  job and fed datasets it no longer names are ended at that time; other events
  only add. An older statement never reopens or ends what a newer one made, so
  events may arrive late or twice: re-delivering one changes nothing.
- **Facets.** ``schema`` of an output (or of a DatasetEvent) sets the columns,
  keeping each column's description and personal flag that the facet does not
  give; an input's schema only fills columns when there are none (an input
  facet lists the columns a job read, not the table). ``documentation`` and
  ``ownership`` fill the description and owner only when they are empty: a
  steward's words win. ``columnLineage`` replaces the output's column lineage
  (read back by ``column_lineage``).
- New assets are ``internal`` and ``OFFICIAL``, in the acting steward's
  department, until a steward says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from catalogue.errors import Forbidden
from catalogue.models import Asset
from catalogue.openlineage_models import ColumnLineage
from catalogue.services import assets, run_health
from catalogue.services.access import Principal, can_write
from catalogue.services.changes import Writer
from catalogue.services.openlineage_edges import link, link_system, record_run, unlink_others
from catalogue.services.openlineage_facts import DatasetFacts, JobFacts, LineageFacts, Outcome
from catalogue.services.openlineage_names import digest, key_for
from catalogue.services.record_types import ColumnRecord
from catalogue.services.records import asset_record

COLUMN_LINEAGE_ACTION = "column_lineage.set"


# -- assets ----------------------------------------------------------------------
def merge_columns(current: list[ColumnRecord], given: list[dict[str, Any]]) -> list[ColumnRecord]:
    """The given columns, in their order, keeping what the catalogue knew of each
    (description when the feed gives none, and always the personal flag)."""
    known = {c["name"]: c for c in current}
    merged: list[ColumnRecord] = []
    for column in given:
        old: Mapping[str, Any] = known.get(column["name"]) or {}
        merged.append(
            {
                "name": column["name"],
                "type": column.get("type") or old.get("type"),
                "description": column.get("description") or old.get("description"),
                "personal": bool(old.get("personal", False)),
            }
        )
    return merged


def _new_record(writer: Writer, key: str, kind: str, facts: DatasetFacts | JobFacts) -> dict:
    record: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "title": (facts.name.strip() or key)[:500],  # a blank name is still a name
        "description": facts.description or "",
        "location": f"{facts.namespace}/{facts.name}"[:2000],
        "source_system": getattr(facts, "system", None),
        "department": writer.principal.department,
        "owner": facts.owner[:200] if facts.owner else None,
    }
    updated_on = getattr(facts, "updated_on", None)
    if updated_on:
        record["last_updated"] = updated_on.isoformat()
    columns = getattr(facts, "columns", None)
    if columns:
        record["columns"] = merge_columns([], columns)
    return record


def _changes(writer: Writer, asset: Asset, facts: DatasetFacts | JobFacts) -> dict[str, Any]:
    record = asset_record(asset)
    changes: dict[str, Any] = {}
    if facts.description and not record["description"]:
        changes["description"] = facts.description
    if facts.owner and not record["owner"] and not record["owner_email"]:
        changes["owner"] = facts.owner[:200]
    system = getattr(facts, "system", None)
    if system and record["source_system"] in (None, "", facts.namespace):
        changes["source_system"] = system  # before #14 the namespace's text was kept
    ran = getattr(facts, "updated_on", None)
    if ran and (not record["last_updated"] or ran.isoformat() > record["last_updated"]):
        changes["last_updated"] = ran.isoformat()
    columns = getattr(facts, "columns", None)
    authoritative = getattr(facts, "authoritative", False)
    if columns and (not record["columns"] or (authoritative and writer.now >= asset.updated_at)):
        merged = merge_columns(record["columns"], columns)
        if merged != record["columns"]:
            changes["columns"] = merged
    return changes


def upsert(writer: Writer, kind: str, facts: DatasetFacts | JobFacts, outcome: Outcome) -> str:
    """Register the asset a dataset or job is, or fill in what the facts add.

    Raises Forbidden when the principal may not register it, or may not change
    a dataset it writes; an input it may not change is left as it is.
    """
    key, _ = key_for(
        writer, "job" if kind == "pipeline" else "dataset", facts.namespace, facts.name
    )
    asset = assets.find(writer.session, key)
    if asset is None:
        assets.register(writer, _new_record(writer, key, kind, facts))
        outcome.created.append(key)
        return key
    changes = _changes(writer, asset, facts)
    if not changes:
        return key
    optional = kind == "dataset" and not getattr(facts, "authoritative", False)
    if optional and not can_write(writer.principal, asset_record(asset)):
        outcome.warnings.append(f"{key}: not yours to change, so left as it was")
        return key
    before = asset.version
    if assets.update(writer, key, changes)["version"] != before:
        outcome.updated.append(key)
    return key


# -- source systems ---------------------------------------------------------------
def register_system(writer: Writer, dataset: DatasetFacts) -> bool:
    """Register the ``source_system`` asset a dataset's namespace is, unless it
    is; True if it was registered."""
    key, namespace = str(dataset.system), dataset.namespace
    if assets.find(writer.session, key) is None:
        record = {
            "key": key,
            "kind": "source_system",
            "title": (namespace.strip() or key)[:500],
            "description": f"Where the datasets OpenLineage names in `{namespace}` live.",
            "department": writer.principal.department,
        }
        if namespace.startswith(("http://", "https://")):
            record["location"] = namespace[:2000]
        assets.register(writer, record)
        return True
    return False


def place(writer: Writer, facts: Iterable[DatasetFacts]) -> None:
    """Name the source system of each dataset (see the module docstring); the
    systems are registered after the datasets, so ``created`` lists those first."""
    for dataset in facts:
        dataset.system, _ = key_for(writer, "system", dataset.namespace, "")


def may_post(principal: Principal) -> None:
    """Raises Forbidden unless ``principal`` may send lineage (stewards, admins)."""
    if principal.role not in ("steward", "admin"):
        raise Forbidden("only stewards and admins may send lineage events")


# -- column lineage ---------------------------------------------------------------
def _column_rows(output_key: str, facts: DatasetFacts, now: datetime) -> list[ColumnLineage]:
    """The rows of an output's column lineage, in a stable order."""
    ns, name = facts.namespace, facts.name
    return [
        ColumnLineage(
            output_key=output_key,
            output_namespace=ns,
            output_name=name,
            output_field=c.field[:500],
            output_digest=digest(ns, name, c.field),
            input_namespace=c.namespace,
            input_name=c.name,
            input_field=c.input_field[:500],
            input_digest=digest(c.namespace, c.name, c.input_field),
            transformation_type=c.type,
            transformation_subtype=c.subtype,
            description=c.description,
            masking=c.masking,
            recorded_at=now,
        )
        for c in sorted(set(facts.column_lineage or []), key=repr)
    ]


def column_summary(rows: Iterable[ColumnLineage]) -> dict[str, list[dict[str, Any]]]:
    """Column lineage of one output by output column, as the change log keeps it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.output_field, []).append(
            {"namespace": r.input_namespace, "name": r.input_name, "field": r.input_field}
            | {"type": r.transformation_type, "subtype": r.transformation_subtype}
            | {"description": r.description, "masking": bool(r.masking)}
        )
    return out


def set_column_lineage(writer: Writer, key: str, facts: DatasetFacts, outcome: Outcome) -> None:
    """Replace an output's column lineage with a newer facet's; logged. An older
    facet than the one held, or the same one again, changes nothing."""
    session = writer.session
    held = list(
        session.scalars(
            select(ColumnLineage).where(ColumnLineage.output_key == key).order_by(ColumnLineage.id)
        )
    )
    if any(r.recorded_at > writer.now for r in held):
        return
    rows = _column_rows(key, facts, writer.now)
    before, after = column_summary(held), column_summary(rows)
    if before == after:
        return
    session.execute(delete(ColumnLineage).where(ColumnLineage.output_key == key))
    session.add_all(rows)
    writer.log(COLUMN_LINEAGE_ACTION, key, {"column_lineage": before}, {"column_lineage": after})
    outcome.column_lineage.append(key)


# -- the use case ------------------------------------------------------------------
def apply_facts(
    writer: Writer,
    facts: LineageFacts,
    outcome: Outcome | None = None,
) -> Outcome:
    """Turn one event's (or dbt node's) facts into assets, edges and column
    lineage at ``writer.now``, adding to ``outcome``. Applying the same facts
    again changes nothing.

    Raises Forbidden (may not register or change), NotFound / Invalid (an asset
    the principal cannot see), as the asset and edge services do.
    """
    may_post(writer.principal)
    outcome = outcome if outcome is not None else Outcome()
    place(writer, [*facts.datasets, *facts.inputs, *facts.outputs])
    if facts.event_type == "COMPLETE":
        for output in facts.outputs:
            output.updated_on = writer.now.astimezone(UTC).date()
    named = [*facts.datasets, *facts.inputs, *facts.outputs]
    # A dataset's source_system names a source system asset (#13): register it first.
    new_systems = [d.system for d in named if d.system and register_system(writer, d)]
    described = [upsert(writer, "dataset", d, outcome) for d in facts.datasets]
    for key, dataset in zip(described, facts.datasets, strict=True):
        if dataset.column_lineage is not None:
            set_column_lineage(writer, key, dataset, outcome)
    inputs = [upsert(writer, "dataset", d, outcome) for d in facts.inputs]
    outputs = [upsert(writer, "dataset", d, outcome) for d in facts.outputs]
    outcome.created.extend(dict.fromkeys(new_systems))
    for key, dataset in zip([*described, *inputs, *outputs], named, strict=True):
        if dataset.system:
            link_system(writer, dataset.system, key, outcome)
    if facts.job is not None:
        job = upsert(writer, "pipeline", facts.job, outcome)
        for key in dict.fromkeys(inputs):
            link(writer, key, job, outcome)
        for key in dict.fromkeys(outputs):
            link(writer, job, key, outcome)
        if facts.run_id is not None:
            health_before = run_health.last_finished(writer.session, job)
            run = record_run(writer, facts.run_id, job, facts.event_type, inputs, outputs)
            run_health.log_health_change(writer, job, health_before)
            if facts.event_type == "COMPLETE":
                wanted = set(run.inputs), set(run.outputs)
                unlink_others(writer, job, *wanted, run.started_at, outcome)
        elif facts.replace:
            unlink_others(writer, job, set(inputs), set(outputs), writer.now, outcome)
    for key, dataset in zip(outputs, facts.outputs, strict=True):
        if dataset.column_lineage is not None:
            set_column_lineage(writer, key, dataset, outcome)
    return outcome

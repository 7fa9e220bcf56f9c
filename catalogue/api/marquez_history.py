"""What Marquez's web UI reads of the past (#19): the OpenLineage events as
they were received, a run's facets, a dataset's versions, the tags in use and
the dashboard's counts. One data function per resource, each under the
catalogue's permissions; ``catalogue.api.marquez_routes`` serves them.

An event whose job the caller may not see is left out. An event they may see
is shown without the datasets they may not see: gone from its ``inputs`` and
``outputs``, and from the column lineage facets of the rest.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.api import marquez_shapes as shapes
from catalogue.api.marquez_reads import Member, find, members
from catalogue.errors import NotFound
from catalogue.http import catalogue
from catalogue.models import Asset, Tag, asset_tags
from catalogue.openlineage_models import LineageRun
from catalogue.services import assets, lineage_events, run_health
from catalogue.services.access import Principal
from catalogue.services.as_of import records_as_of
from catalogue.services.lineage_events import Kept
from catalogue.services.openlineage_names import lookup_key
from catalogue.services.sight import Sight

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


# -- events ----------------------------------------------------------------------------
def _hidden_names(session: Session, sight: Sight, body: dict[str, Any]) -> set[tuple[str, str]]:
    """(namespace, name) of each dataset the event names that the caller may not see."""
    named = [*(body.get("inputs") or []), *(body.get("outputs") or [])]
    for output in body.get("outputs") or []:
        facet = ((output.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}
        named += [i for spec in facet.values() for i in spec.get("inputFields") or []]
    hidden = set()
    for d in named:
        if not isinstance(d, dict) or "namespace" not in d:
            continue
        key = lookup_key(session, "dataset", d["namespace"], d.get("name", ""))
        if key is not None and not sight.visible(key):
            hidden.add((d["namespace"], d.get("name", "")))
    return hidden


def shown_event(body: dict[str, Any], hidden: set[tuple[str, str]]) -> dict[str, Any]:
    """The event without the datasets in ``hidden``: out of its inputs and outputs,
    and out of the column lineage of the outputs left."""
    event = copy.deepcopy(body)

    def seen(d: Any) -> bool:
        return not isinstance(d, dict) or (d.get("namespace"), d.get("name")) not in hidden

    for part in ("inputs", "outputs"):
        if isinstance(event.get(part), list):
            event[part] = [d for d in event[part] if seen(d)]
    for output in event.get("outputs") or []:
        facet = ((output.get("facets") or {}).get("columnLineage") or {}).get("fields") or {}
        for spec in facet.values():
            if isinstance(spec.get("inputFields"), list):
                spec["inputFields"] = [i for i in spec["inputFields"] if seen(i)]
    return event


def _visible_events(session: Session, sight: Sight, before: Any, after: Any) -> list[Kept]:
    kept = lineage_events.run_events(session, before, after)
    return [e for e in kept if e.job_key is None or sight.visible(e.job_key)]


def events(
    principal: Principal,
    before: datetime | None,
    after: datetime | None,
    limit: int,
    offset: int,
    ascending: bool,
) -> dict[str, Any]:
    """The run events received between ``after`` and ``before``, as received,
    oldest or newest first, a page at a time."""
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        shown = _visible_events(session, sight, before, after)
        if not ascending:
            shown.reverse()
        chosen = lineage_events.bodies(session, [e.id for e in shown[offset : offset + limit]])
        page = [shown_event(body, _hidden_names(session, sight, body)) for body in chosen]
    return {"events": page, "totalCount": len(shown)}


# -- runs --------------------------------------------------------------------------------
def run_facets(principal: Principal, run_id: str, part: str) -> dict[str, Any]:
    """A run's ``run`` or ``job`` facets, merged over its events (a later one
    replacing an earlier one of the same name). NotFound for an unknown run and
    for a run of a job the caller may not see, in the same words."""
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        run = session.scalar(select(LineageRun).where(LineageRun.run_id == run_id))
        if run is None or not sight.visible(run.job_key):
            raise NotFound(f"no run {run_id[:100]!r} in the catalogue")
        facets = lineage_events.merged_facets(lineage_events.of_run(session, run_id), part)
    return {"runId": run_id, "facets": facets}


# -- dataset versions --------------------------------------------------------------------
def _writes(session: Session, key: str) -> list[LineageRun]:
    """The COMPLETE runs that wrote ``key``, newest first: each made a version."""
    jobs = run_health.writers_of(session, key)
    query = (
        select(LineageRun)
        .where(LineageRun.job_key.in_(jobs), LineageRun.state == "COMPLETE")
        .order_by(LineageRun.state_at.desc(), LineageRun.id.desc())
    )
    return [run for run in session.scalars(query) if key in run.outputs]


def dataset_versions(
    principal: Principal, ns: str, name: str, limit: int, offset: int
) -> dict[str, Any]:
    """A dataset's versions, newest first: one per successful run that wrote it,
    each with the record (its columns) as it stood when that run finished."""
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        key = find(session, sight, "dataset", ns, name)
        writes = _writes(session, key)
        now = assets.get(reader, key)
        versions = []
        for run in writes[offset : offset + limit]:
            record = records_as_of(session, [key], run.state_at).get(key) or now
            by = run if sight.visible(run.job_key) else None
            versions.append(_version(record, (ns, name), run, by))
    return {"versions": versions, "totalCount": len(writes)}


def _version(
    record: Mapping[str, Any], name: tuple[str, str], run: LineageRun, by: LineageRun | None
) -> dict[str, Any]:
    """A ``DatasetVersion``: its id is derived from the dataset and the run, so
    it is the same every time it is read; ``createdByRun`` only for a job the
    caller may see."""
    ns, dataset = name
    version = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ns}:{dataset}:{run.run_id}"))
    shaped = shapes.dataset(record, ("dataset", ns, dataset), run)
    return shapes.present(
        {
            "id": {"namespace": ns, "name": dataset, "version": version},
            "type": shaped["type"],
            "name": dataset,
            "physicalName": dataset,
            "createdAt": shapes.iso(run.state_at),
            "version": version,
            "namespace": ns,
            "sourceName": ns,
            "fields": shaped["fields"],
            "description": record.get("description") or "",
            "createdByRun": shapes.run(by) if by is not None else None,
            "facets": shaped["facets"],
        }
    )


# -- tags ----------------------------------------------------------------------------------
def tags(principal: Principal) -> dict[str, Any]:
    """Every tag on a dataset or job the caller may see, by name."""
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        shown = {m.key for m in members(session, sight)}
        pairs = session.execute(
            select(Asset.key, Tag.name)
            .join(asset_tags, asset_tags.c.asset_id == Asset.id)
            .join(Tag, Tag.id == asset_tags.c.tag_id)
        ).all()
    used: dict[str, int] = {}
    for key, tag in cast("Iterable[tuple[str, str]]", pairs):
        if key in shown:
            used[tag] = used.get(tag, 0) + 1
    return {"tags": [{"name": t, "description": _used_on(n)} for t, n in sorted(used.items())]}


def _used_on(count: int) -> str:
    return f"on {count} dataset or job" if count == 1 else f"on {count} datasets and jobs"


# -- the dashboard's counts ----------------------------------------------------------------
def intervals(period: str, zone: str | None, now: datetime) -> tuple[list[datetime], timedelta]:
    """The starts of Marquez's intervals: the last 24 hours (UTC) by the hour, the
    current one last; or the last 7 days in ``zone``, today last."""
    if period == "DAY":
        top = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return [top - HOUR * n for n in range(23, -1, -1)], HOUR
    local = now.astimezone(ZoneInfo(zone or "UTC"))
    today = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return [(today - DAY * n).astimezone(UTC) for n in range(6, -1, -1)], DAY


def _metric_times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    times = ("startInterval", "endInterval")
    return [r | {t: shapes.iso(r[t]) for t in times} for r in rows]


def lineage_metrics(principal: Principal, period: str, zone: str | None) -> list[dict[str, Any]]:
    """Run events the caller may see, by type, in each interval (``LineageMetric``)."""
    starts, width = intervals(period, zone, datetime.now(UTC))
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        kept = _visible_events(session, sight, starts[-1] + width, starts[0])
        times = [(e.event_type, e.event_time) for e in kept]
    return _metric_times(lineage_events.counts_by_interval(times, starts, width))


def interval_metrics(
    principal: Principal, asset: str, period: str, zone: str | None
) -> list[dict[str, Any]]:
    """How many jobs, datasets or sources (a dataset's namespace, its
    ``sourceName``) the caller may see had been created by the end of each
    interval (``IntervalMetric``)."""
    starts, width = intervals(period, zone, datetime.now(UTC))
    with catalogue().reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        found = members(session, sight)
    created = _created(found, asset)
    rows = [{"startInterval": s, "endInterval": s + width} for s in starts]
    return _metric_times(
        [r | {"count": sum(1 for at in created if at < r["endInterval"])} for r in rows]
    )


def _utc(member: Member) -> Member:
    return Member(member.key, member.name, member.created_at.replace(tzinfo=UTC))


def _created(found: list[Member], asset: str) -> list[datetime]:
    found = [m if m.created_at.tzinfo else _utc(m) for m in found]
    if asset == "jobs":
        return [m.created_at for m in found if m.name[0] == "job"]
    datasets = [m for m in found if m.name[0] == "dataset"]
    if asset == "datasets":
        return [m.created_at for m in datasets]
    first: dict[str, datetime] = {}
    for m in datasets:
        first[m.name[1]] = min(first.get(m.name[1], m.created_at), m.created_at)
    return list(first.values())

"""OpenLineage events as they were received (#19): kept whole, so Marquez's
``/events/lineage`` answers with the events themselves and its dashboard can
count them by type and hour.

An event is kept in the transaction that applies it, with the asset keys of its
job and of the datasets it names, so a reader can leave out what its caller may
not see without parsing names again. The same event delivered twice is kept
once (by the SHA-256 of its canonical JSON). Events are kept as runs are: the
catalogue prunes neither.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.openlineage_models import LineageEvent
from catalogue.services.openlineage_names import lookup_key

KINDS = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")


def event_digest(body: dict[str, Any]) -> str:
    """SHA-256 of the event's canonical JSON: the same event sent again, with its
    keys in another order, has the same digest."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _datasets(body: dict[str, Any]) -> list[dict[str, Any]]:
    named = [*(body.get("inputs") or []), *(body.get("outputs") or [])]
    if isinstance(body.get("dataset"), dict):
        named.append(body["dataset"])
    return [d for d in named if isinstance(d, dict)]


def keep(session: Session, body: dict[str, Any], event_time: datetime) -> bool:
    """Keep ``body``, an event already applied in this transaction (so the
    names it uses have keys). Returns False when the same event was kept before."""
    found = event_digest(body)
    if session.scalar(select(LineageEvent.id).where(LineageEvent.digest == found)):
        return False
    job = body.get("job") if isinstance(body.get("job"), dict) else None
    job_key = lookup_key(session, "job", job["namespace"], job["name"]) if job else None
    keys = [lookup_key(session, "dataset", d["namespace"], d["name"]) for d in _datasets(body)]
    run: dict[str, Any] = body["run"] if isinstance(body.get("run"), dict) else {}
    session.add(
        LineageEvent(
            digest=found,
            run_id=str(run["runId"]) if run.get("runId") else None,
            event_type=body.get("eventType") if "run" in body else None,
            event_time=event_time,
            job_key=job_key,
            dataset_keys=sorted({k for k in keys if k is not None}),
            received_at=datetime.now(UTC),
            body=body,
        )
    )
    return True


@dataclass(frozen=True)
class Kept:
    """What a reader needs to choose kept events: not their bodies."""

    id: int
    job_key: str | None
    event_type: str | None
    event_time: datetime


def run_events(
    session: Session, before: datetime | None = None, after: datetime | None = None
) -> list[Kept]:
    """The kept run events (those with a run) between ``after`` and ``before``
    inclusive, oldest first; the caller leaves out what may not be seen and
    reads the bodies of the page it shows (:func:`bodies`)."""
    columns = (LineageEvent.id, LineageEvent.job_key, LineageEvent.event_type)
    query = select(*columns, LineageEvent.event_time).where(LineageEvent.run_id.is_not(None))
    if before is not None:
        query = query.where(LineageEvent.event_time <= before)
    if after is not None:
        query = query.where(LineageEvent.event_time >= after)
    rows = session.execute(query.order_by(LineageEvent.event_time, LineageEvent.id)).all()
    return [Kept(*row) for row in cast("Iterable[tuple[Any, ...]]", rows)]


def bodies(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The bodies of the kept events ``ids``, in that order."""
    query = select(LineageEvent.id, LineageEvent.body).where(LineageEvent.id.in_(ids))
    found = dict(cast("Iterable[tuple[int, dict[str, Any]]]", session.execute(query).all()))
    return [found[i] for i in ids]


def of_run(session: Session, run_id: str) -> list[LineageEvent]:
    """A run's kept events, oldest first."""
    query = select(LineageEvent).where(LineageEvent.run_id == run_id)
    return list(session.scalars(query.order_by(LineageEvent.event_time, LineageEvent.id)))


def merged_facets(events: Sequence[LineageEvent], part: str) -> dict[str, Any]:
    """The ``run`` or ``job`` facets a run's events reported, a later event's
    facet replacing an earlier one of the same name (as Marquez merges them)."""
    facets: dict[str, Any] = {}
    for event in events:
        node = event.body.get(part)
        if isinstance(node, dict) and isinstance(node.get("facets"), dict):
            facets.update(node["facets"])
    return facets


def counts_by_interval(
    times: Iterable[tuple[str | None, datetime]], starts: Sequence[datetime], width: Any
) -> list[dict[str, Any]]:
    """Events of each type in each interval ``[start, start + width)``: the
    ``fail``, ``start``, ``complete`` and ``abort`` of Marquez's ``LineageMetric``."""
    rows = [
        {"startInterval": s, "endInterval": s + width, "fail": 0, "start": 0}
        | {"complete": 0, "abort": 0}
        for s in starts
    ]
    names = {"FAIL": "fail", "START": "start", "COMPLETE": "complete", "ABORT": "abort"}
    for kind, at in times:
        for row in rows:
            if kind in names and row["startInterval"] <= at < row["endInterval"]:
                row[names[kind]] += 1
    return rows

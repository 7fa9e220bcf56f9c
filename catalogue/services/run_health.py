"""Pipeline run health (#19): an OpenLineage FAIL or ABORT run marks the job's
outputs, and everything downstream of them, *at risk* until a later run of
that job completes.

A job's health is its latest finished run (COMPLETE, FAIL or ABORT, by the
time the events give). When that changes between healthy and failing, the
OpenLineage service logs ``run.fail`` or ``run.recover`` in the change log, so
the notification worker tells watchers like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from catalogue.models import Asset, Edge
from catalogue.openlineage_models import LineageRun
from catalogue.services.changes import Writer
from catalogue.services.context import Reader
from catalogue.services.record_types import LastWrite, RunRecord
from lineage import LineageGraph

FINISHED = ("COMPLETE", "FAIL", "ABORT")
FAILED = ("FAIL", "ABORT")
RUN_FAIL, RUN_RECOVER = "run.fail", "run.recover"
WRITE_BATCH = 50  # runs read at a time when looking for a dataset's last write


@dataclass(frozen=True)
class Risk:
    """Why an asset is at risk: the failing job, its run, and the output it reaches through."""

    job: str
    run_id: str
    state: str
    since: datetime
    output: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "run_id": self.run_id,
            "state": self.state,
            "since": self.since.isoformat(),
            "output": self.output,
        }


def last_finished(session: Session, job: str) -> LineageRun | None:
    return session.scalar(
        select(LineageRun)
        .where(LineageRun.job_key == job, LineageRun.state.in_(FINISHED))
        .order_by(LineageRun.state_at.desc(), LineageRun.id.desc())
        .limit(1)
    )


def failing_runs(session: Session) -> list[LineageRun]:
    """The latest finished run of each job whose latest finished run failed."""
    return list(session.scalars(_FAILING))


# Built once, not per call: every asset page asks this twice (#21).
_LATEST = (
    select(LineageRun.job_key, func.max(LineageRun.state_at).label("at"))
    .where(LineageRun.state.in_(FINISHED))
    .group_by(LineageRun.job_key)
    .subquery()
)
_FAILING = (
    select(LineageRun)
    .join(
        _LATEST, and_(LineageRun.job_key == _LATEST.c.job_key, LineageRun.state_at == _LATEST.c.at)
    )
    .where(LineageRun.state.in_(FAILED))
    .order_by(LineageRun.job_key)
)


def outputs_of(run: LineageRun, graph: LineageGraph) -> list[str]:
    """What the failed run would have written: the outputs its events named,
    else what the job feeds now."""
    if run.outputs:
        return list(run.outputs)
    return graph.successors(run.job_key) if graph.has(run.job_key) else []


def at_risk(reader: Reader) -> dict[str, Risk]:
    """Every asset at risk now, with the first reason found (outputs before what
    lies downstream of them)."""
    risks: dict[str, Risk] = {}
    failing = failing_runs(reader.session)
    if not failing:  # the usual case: no need to catch the graph up
        return risks
    graph = reader.graph
    for run in failing:
        for output in outputs_of(run, graph):
            reason = Risk(run.job_key, run.run_id, run.state or "FAIL", run.state_at, output)
            risks.setdefault(output, reason)
            below = graph.downstream(output) if graph.has(output) else []
            for hop in below:
                risks.setdefault(hop.key, reason)
    return risks


def mark_hits(reader: Reader, hits: list[dict[str, Any]]) -> None:
    """Add ``at_risk`` to each search hit (a dict with ``key``), as the API and CLI show it."""
    risky = at_risk(reader) if hits else {}
    for hit in hits:
        hit["at_risk"] = hit["key"] in risky


def sentence(key: str, risk: Risk, name: Any = str) -> str:
    """At risk, in words, for a page, a trace or a search result."""
    where = "it is an output" if risk.output == key else f"it is fed by {name(risk.output)}"
    return (
        f"at risk: the last run of {name(risk.job)} ended {risk.state} on "
        f"{risk.since:%Y-%m-%d %H:%M} UTC and {where}; it stays at risk until a run completes"
    )


def log_health_change(writer: Writer, job: str, before: LineageRun | None) -> None:
    """After a run event is recorded: log ``run.fail`` when the job goes from
    healthy to failing, ``run.recover`` when a completed run ends its failure."""
    after = last_finished(writer.session, job)
    if after is None:
        return
    was_failing = before is not None and before.state in FAILED
    is_failing = after.state in FAILED
    if was_failing == is_failing:
        return
    snapshot = {"run_id": after.run_id, "state": after.state, "outputs": list(after.outputs)}
    old = {"state": before.state, "run_id": before.run_id} if before is not None else None
    writer.log(RUN_FAIL if is_failing else RUN_RECOVER, job, old, snapshot)


def runs_of(session: Session, job: str, limit: int = 10, offset: int = 0) -> list[LineageRun]:
    """A job's runs, newest first."""
    return list(
        session.scalars(
            select(LineageRun)
            .where(LineageRun.job_key == job)
            .order_by(LineageRun.started_at.desc(), LineageRun.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def run_history(session: Session, job: str, limit: int = 10) -> list[RunRecord]:
    """A job's latest runs, newest first: state, start, last event, what they named."""
    return [
        {
            "run_id": r.run_id,
            "state": r.state,
            "started_at": r.started_at,
            "state_at": r.state_at,
            "inputs": list(r.inputs),
            "outputs": list(r.outputs),
        }
        for r in runs_of(session, job, limit)
    ]


def writers_of(session: Session, key: str) -> list[str]:
    """The pipelines that have ever fed ``key``, ended feeds included: a job that
    no longer writes a dataset may still have written it last."""
    return list(session.scalars(_WRITERS, {"key": key}))


# Built once: an aliased Asset set up afresh for every asset page cost it more
# than the query itself (#21).
_UPSTREAM, _DOWNSTREAM = aliased(Asset), aliased(Asset)
_WRITERS = (
    select(_UPSTREAM.key)
    .join(Edge, Edge.upstream_id == _UPSTREAM.id)
    .join(_DOWNSTREAM, Edge.downstream_id == _DOWNSTREAM.id)
    .where(_DOWNSTREAM.key == bindparam("key"), _UPSTREAM.kind == "pipeline")
    .distinct()
)


def last_successful_write(
    session: Session, key: str, by: datetime | None = None
) -> LineageRun | None:
    """The latest COMPLETE run that named ``key`` among its outputs (finished by
    ``by`` if given), or None.

    Runs are read newest first from the jobs that have fed it (a batch at a time,
    by the index on job and time), so the answer is usually in the first batch."""
    jobs = writers_of(session, key)
    if not jobs:
        return None
    query = (
        select(LineageRun)
        .where(LineageRun.job_key.in_(jobs), LineageRun.state == "COMPLETE")
        .order_by(LineageRun.state_at.desc(), LineageRun.id.desc())
    )
    if by is not None:
        query = query.where(LineageRun.state_at <= by)
    offset = 0
    while batch := list(session.scalars(query.limit(WRITE_BATCH).offset(offset))):
        found = next((run for run in batch if key in run.outputs), None)
        if found is not None:
            return found
        offset += WRITE_BATCH
    return None


def last_write_record(session: Session, key: str) -> LastWrite | None:
    """:func:`last_successful_write` as the API record and the page show it."""
    run = last_successful_write(session, key)
    if run is None:
        return None
    return {"at": run.state_at.isoformat(), "job": run.job_key, "run_id": run.run_id}

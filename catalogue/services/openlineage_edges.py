"""The job's lineage from OpenLineage facts: ``input → job → output`` edges and
``source system → dataset`` edges added at the Writer's time, the job's edges to
datasets a COMPLETE run no longer names ended, and the runs (``lineage_runs``)
whose events together state that lineage. See ``catalogue.services.openlineage``
for the decisions; ``apply_facts`` there is the one caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from catalogue.models import Asset, Edge
from catalogue.openlineage_models import LineageRun
from catalogue.services import assets, edges
from catalogue.services.access import can_write
from catalogue.services.changes import Writer
from catalogue.services.openlineage_facts import Outcome
from catalogue.services.openlineage_names import names_for
from catalogue.services.records import asset_record


def _pair_edges(session: Session, upstream: str, downstream: str) -> list[Edge]:
    up, down = aliased(Asset), aliased(Asset)
    return list(
        session.scalars(
            select(Edge)
            .join(up, Edge.upstream_id == up.id)
            .join(down, Edge.downstream_id == down.id)
            .where(up.key == upstream, down.key == downstream)
        ).unique()
    )


def link(writer: Writer, upstream: str, downstream: str, outcome: Outcome) -> None:
    """Add ``upstream → downstream`` from the Writer's time, unless the catalogue
    already holds that fact then or later, or it would close a cycle (a warning)."""
    for edge in _pair_edges(writer.session, upstream, downstream):
        if edge.valid_to is None or edge.valid_to > writer.now:
            return
    cycle = edges.find_cycle(
        writer.graph, upstream, downstream, writer.edges_added, writer.edges_ended
    )
    if cycle:
        outcome.warnings.append("not recorded, it would be circular: " + " → ".join(cycle))
        return
    edges.add_edge(writer, upstream, downstream)
    outcome.edges_added += 1


def link_system(writer: Writer, system: str, dataset: str, outcome: Outcome) -> None:
    """``system → dataset``, when the dataset is the principal's to change (an
    input of another department's keeps its lineage as its steward left it)."""
    asset = assets.find(writer.session, dataset)
    if asset is not None and can_write(writer.principal, asset_record(asset)):
        link(writer, system, dataset, outcome)


def _current_job_edges(session: Session, job: str) -> list[Edge]:
    """Current edges into and out of the job asset ``job``."""
    asset = assets.get_asset(session, job)
    query = select(Edge).where(
        (Edge.upstream_id == asset.id) | (Edge.downstream_id == asset.id),
        Edge.valid_to.is_(None),
    )
    return list(session.scalars(query).unique())


def unlink_others(
    writer: Writer, job: str, inputs: set[str], outputs: set[str], since: datetime, outcome: Outcome
) -> None:
    """End the job's edges to fed datasets it no longer lists, if they began before
    ``since`` (an older statement never ends what a newer one made). A statement
    that names no dataset at all says nothing about lineage: nothing is ended."""
    if not inputs and not outputs:
        return
    current = _current_job_edges(writer.session, job)
    others = {e.upstream.key if e.downstream.key == job else e.downstream.key for e in current}
    fed = names_for(writer.session, others)
    for edge in current:
        up, down = edge.upstream.key, edge.downstream.key
        other, wanted = (up, inputs) if down == job else (down, outputs)
        if other in wanted or other not in fed or edge.valid_from >= since:
            continue
        edges.end_edge(writer, up, down)
        outcome.edges_ended += 1


def record_run(
    writer: Writer, run_id: str, job: str, state: str | None, inputs: list[str], outputs: list[str]
) -> LineageRun:
    """Remember what this run's events have named so far (and its latest state)."""
    session = writer.session
    run = session.scalar(select(LineageRun).where(LineageRun.run_id == run_id))
    if run is None:
        run = LineageRun(
            run_id=run_id,
            job_key=job,
            started_at=writer.now,
            state=state,
            state_at=writer.now,
            inputs=[],
            outputs=[],
        )
        session.add(run)
    run.started_at = min(run.started_at, writer.now)
    if writer.now >= run.state_at and state:
        run.state, run.state_at = state, writer.now
    if not set(inputs) <= set(run.inputs):
        run.inputs = sorted({*run.inputs, *inputs})
    if not set(outputs) <= set(run.outputs):
        run.outputs = sorted({*run.outputs, *outputs})
    return run

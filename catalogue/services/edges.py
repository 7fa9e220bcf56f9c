"""Use cases on lineage edges: add (with the cycle rule), end, list.

Ending an edge keeps it with its end time, so the graph as it stood on any date
can be rebuilt for an audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from catalogue.errors import Conflict, Invalid, LineageCycle, NotFound, Problem
from catalogue.models import Asset, Edge
from catalogue.services.access import Principal, require_read, require_write
from catalogue.services.changes import Writer
from catalogue.services.record_types import EdgeRecord, TimedEdge
from catalogue.services.records import asset_record, edge_record
from lineage import LineageGraph


def _asset(session: Session, key: str, role: str, principal: Principal) -> Asset:
    """The asset an edge names; one the caller may not see is as unknown as a missing one."""
    asset = session.scalar(select(Asset).where(Asset.key == key))
    if asset is None or not _visible(principal, asset):
        raise Invalid(
            f"the {role} asset {key!r} is not in the catalogue",
            [Problem(f"no asset with key {key!r}", field=role, key=key)],
        )
    return asset


def _visible(principal: Principal, asset: Asset) -> bool:
    try:
        require_read(principal, asset_record(asset), asset.key)
    except NotFound:
        return False
    return True


def current_edge(session: Session, upstream: str, downstream: str) -> Edge | None:
    up, down = aliased(Asset), aliased(Asset)
    return session.scalar(
        select(Edge)
        .join(up, Edge.upstream_id == up.id)
        .join(down, Edge.downstream_id == down.id)
        .where(up.key == upstream, down.key == downstream, Edge.valid_to.is_(None))
    )


def find_cycle(
    graph: LineageGraph,
    upstream: str,
    downstream: str,
    added: Iterable[tuple[str, str]] = (),
    ended: Iterable[tuple[str, str]] = (),
) -> list[str] | None:
    """The cycle that ``upstream → downstream`` would close, after this transaction's
    ``added`` and ``ended`` edges, or None."""
    refused = graph.refused_edges([*added, (upstream, downstream)], ended)
    return refused[-1][1] if refused and refused[-1][0] == (upstream, downstream) else None


def add_edge(
    writer: Writer,
    upstream: str,
    downstream: str,
    via: str | None = None,
    description: str | None = None,
) -> EdgeRecord:
    """Record that ``upstream`` feeds ``downstream``; the cycle rule reads the
    lineage as this transaction found it (``writer.graph``).

    Raises Invalid naming an unknown key, LineageCycle showing the cycle, or
    Conflict when the edge is already current or an asset it names is retired.
    """
    session = writer.session
    up = _asset(session, upstream, "upstream", writer.principal)
    down = _asset(session, downstream, "downstream", writer.principal)
    require_write(writer.principal, asset_record(down), downstream)
    via_asset = _asset(session, via, "via", writer.principal) if via else None
    for asset in (up, down, via_asset):
        if asset is not None and asset.status == "retired":
            raise Conflict(
                f"{asset.key!r} is retired: no new lineage may start, end or run through it"
            )
    if current_edge(session, upstream, downstream) is not None:
        raise Conflict(f"{upstream!r} already feeds {downstream!r}")
    cycle = find_cycle(writer.graph, upstream, downstream, writer.edges_added, writer.edges_ended)
    if cycle:
        raise LineageCycle(cycle)
    edge = Edge(
        upstream=up, downstream=down, via=via_asset, description=description, valid_from=writer.now
    )
    session.add(edge)
    session.flush()
    record = edge_record(edge)
    writer.edges_added.append((upstream, downstream))
    writer.log("edge.add", downstream, None, record)
    return record


def end_edge(writer: Writer, upstream: str, downstream: str) -> EdgeRecord:
    """End the current edge; it stays in the history. Raises NotFound if none is current."""
    edge = current_edge(writer.session, upstream, downstream)
    if edge is None or not _visible(writer.principal, edge.upstream):
        raise NotFound(f"{upstream!r} does not currently feed {downstream!r}")
    require_write(writer.principal, asset_record(edge.downstream), downstream)
    before = edge_record(edge)
    edge.valid_to = writer.now
    writer.session.flush()
    writer.edges_ended.append((upstream, downstream))
    writer.log("edge.end", downstream, before, edge_record(edge))
    return edge_record(edge)


EDGE_FIELDS = ("id", "upstream", "downstream", "via", "description", "valid_from", "valid_to")


def _edge_records(
    session: Session, current_only: bool, downstream: list[str] | None = None
) -> list[TimedEdge]:
    """Edge records from one joined query on the connection (no ORM rows: the
    lineage view loads 300,000 of these). Times are timezone-aware datetimes."""
    query, down = _edge_query()
    if current_only:
        query = query.where(Edge.valid_to.is_(None))
    if downstream is None:
        rows = list(session.connection().execute(query))
    else:
        rows = []
        for start in range(0, len(downstream), 500):
            chunk = query.where(down.key.in_(downstream[start : start + 500]))
            rows.extend(session.connection().execute(chunk))
        rows.sort(key=lambda row: row[0])
    return [cast("TimedEdge", dict(zip(EDGE_FIELDS, row, strict=True))) for row in rows]


def _edge_query() -> tuple[Any, Any]:
    """Every edge record as (id, upstream, downstream, via, description,
    valid_from, valid_to), in id order; and the downstream asset's alias."""
    up, down, via = aliased(Asset), aliased(Asset), aliased(Asset)
    query = (
        select(Edge.id, up.key, down.key, via.key, Edge.description, Edge.valid_from, Edge.valid_to)
        .join(up, Edge.upstream_id == up.id)
        .join(down, Edge.downstream_id == down.id)
        .outerjoin(via, Edge.via_id == via.id)
        .order_by(Edge.id)
    )
    return query, down


def upstream_of(session: Session, keys: Iterable[str] | None = None) -> dict[str, list[TimedEdge]]:
    """Current edge records by downstream key (all, or for ``keys``), oldest first."""
    out: dict[str, list[TimedEdge]] = {}
    for edge in _edge_records(session, True, None if keys is None else list(keys)):
        out.setdefault(edge["downstream"], []).append(edge)
    return out


def all_edges(session: Session) -> list[TimedEdge]:
    """Every edge ever recorded, current or ended, in the order they were made."""
    return _edge_records(session, False)


def iso_record(edge: TimedEdge) -> EdgeRecord:
    """An edge record with ISO 8601 times, as the change log stores it."""
    return {
        "id": edge["id"],
        "upstream": edge["upstream"],
        "downstream": edge["downstream"],
        "via": edge["via"],
        "description": edge["description"],
        "valid_from": edge["valid_from"].isoformat(),
        "valid_to": edge["valid_to"].isoformat() if edge["valid_to"] else None,
    }

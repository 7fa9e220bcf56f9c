"""Reading the lineage graph's assets and edges from the database in bulk.

A graph load at 250,000 assets reads 750,000 edge records. They are read as
plain numbers (the edge's id, its ends' and via's asset row ids, its validity
in microseconds) into columns (``lineage.frozen.EdgeColumns``), without joining
the assets table three times per edge or making a Python object per edge: the
graph maps asset row ids to its own node ids itself (#21). Imported when a
graph is first loaded: it brings in the lineage package.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session, aliased

from catalogue.models import Asset, Department, Edge, Person
from catalogue.services.views import NODE_FIELDS
from lineage.frozen import ALWAYS, EdgeColumns
from lineage.packed import OPEN_END, micros
from lineage.records import parse_time

_OWNER, _STEWARD = aliased(Person), aliased(Person)
#: Every asset's row id and node attributes, in one query (built once, at import).
_NODES = (
    select(
        Asset.id,
        Asset.key,
        Asset.kind,
        Asset.title,
        Department.name,
        _OWNER.name,
        _OWNER.email,
        _STEWARD.name,
        _STEWARD.email,
        Asset.classification,
        Asset.access,
        Asset.personal_data,
        Asset.special_category,
        Asset.status,
        Asset.update_frequency,
        Asset.last_updated,
        Asset.created_at,
    )
    .outerjoin(Department, Asset.department_id == Department.id)
    .outerjoin(_OWNER, Asset.owner_id == _OWNER.id)
    .outerjoin(_STEWARD, Asset.steward_id == _STEWARD.id)
)
#: Every edge record as numbers (and its description), in id order. Read through
#: the driver as it is (``exec_driver_sql``): no per-value type processing.
_EDGES = select(
    Edge.id,
    Edge.upstream_id,
    Edge.downstream_id,
    func.coalesce(Edge.via_id, -1),
    Edge.description,
    Edge.valid_from,
    Edge.valid_to,
).order_by(Edge.id)
_BATCH = 50_000


def graph_nodes(session: Session) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each asset's row id and node attributes (the graph's snapshot of it)."""
    for asset_id, *row in session.execute(_NODES):
        values = dict(zip(NODE_FIELDS, row, strict=True))
        values["personal_data"] = bool(values["personal_data"])
        values["special_category"] = bool(values["special_category"])
        for name in ("last_updated", "created_at"):
            if values[name] is not None:
                values[name] = values[name].isoformat()
        yield asset_id, values


def graph_edge_columns(session: Session) -> EdgeColumns:
    """Every edge record, current or ended, as columns naming assets by row id."""
    connection: Connection = session.connection()
    sql = str(_EDGES.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    columns = EdgeColumns(
        array("q"), array("q"), array("q"), array("q"), [], array("q"), array("q")
    )
    times = _Times()
    for batch in connection.exec_driver_sql(sql).partitions(_BATCH):
        rows = cast("list[tuple[int, int, int, int, str | None, Any, Any]]", batch)
        ids, ups, downs, vias, descriptions, starts, ends = zip(*rows, strict=True)
        columns.ids.extend(ids)
        columns.ups.extend(ups)
        columns.downs.extend(downs)
        columns.vias.extend(vias)
        columns.descriptions.extend(descriptions)
        columns.valid_from.extend(map(times.start, starts))
        columns.valid_to.extend(map(times.end, ends))
    return columns


class _Times:
    """Database timestamps as microseconds since 1970 UTC, each distinct value
    worked out once: the edges one `catalogue apply` or harvest adds share the
    moment of their transaction. The driver hands over what the column holds:
    a datetime (PostgreSQL) or the ISO text SQLAlchemy stored (SQLite), both UTC."""

    def __init__(self) -> None:
        self._seen: dict[str | datetime, int] = {}

    def _micros(self, value: str | datetime) -> int:
        found = self._seen.get(value)
        if found is None:
            found = self._seen[value] = micros(parse_time(value))
        return found

    def start(self, value: str | datetime | None) -> int:
        return ALWAYS if value is None else self._micros(value)

    def end(self, value: str | datetime | None) -> int:
        return OPEN_END if value is None else self._micros(value)

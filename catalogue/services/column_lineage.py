"""Reading column lineage: which input columns feed a column, as OpenLineage
names columns (dataset ``namespace`` + ``name`` + ``field``). What a feed says
is written by ``catalogue.services.openlineage.set_column_lineage``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import ColumnLineage
from catalogue.services.openlineage_names import digest, lookup_key


@dataclass(frozen=True)
class ColumnNode:
    """A column of a dataset, named as OpenLineage names it."""

    namespace: str
    name: str
    field: str

    @property
    def digest(self) -> str:
        return digest(self.namespace, self.name, self.field)


@dataclass(frozen=True)
class ColumnEdge:
    """``input`` feeds ``output``; the keys are the datasets' assets (None: no asset)."""

    output: ColumnNode
    input: ColumnNode
    output_key: str
    input_key: str | None
    type: str | None
    subtype: str | None
    description: str | None
    masking: bool


def dataset_fields(session: Session, namespace: str, name: str) -> list[ColumnNode]:
    """The columns of a dataset that column lineage names (as output or input)."""
    outputs = session.scalars(
        select(ColumnLineage.output_field)
        .where(ColumnLineage.output_namespace == namespace, ColumnLineage.output_name == name)
        .distinct()
    )
    inputs = session.scalars(
        select(ColumnLineage.input_field)
        .where(ColumnLineage.input_namespace == namespace, ColumnLineage.input_name == name)
        .distinct()
    )
    return [ColumnNode(namespace, name, f) for f in sorted({*outputs, *inputs})]


def column_edges(
    session: Session, starts: list[ColumnNode], depth: int, downstream: bool = False
) -> list[ColumnEdge]:
    """Column lineage reachable from ``starts`` within ``depth`` hops, upstream
    (and downstream as well with ``downstream``), breadth first, each edge once."""
    found: dict[int, ColumnLineage] = {}
    for column, follow in (
        (ColumnLineage.output_digest, "input_digest"),
        *([(ColumnLineage.input_digest, "output_digest")] if downstream else []),
    ):
        seen = {n.digest for n in starts}
        frontier = set(seen)
        for _ in range(depth):
            rows = list(session.scalars(select(ColumnLineage).where(column.in_(frontier))))
            found.update((r.id, r) for r in rows)
            frontier = {getattr(r, follow) for r in rows} - seen
            seen |= frontier
            if not frontier:
                break
    rows = sorted(found.values(), key=lambda r: r.id)
    keys = {
        (r.input_namespace, r.input_name): lookup_key(
            session, "dataset", r.input_namespace, r.input_name
        )
        for r in rows
    }
    return [
        ColumnEdge(
            output=ColumnNode(r.output_namespace, r.output_name, r.output_field),
            input=ColumnNode(r.input_namespace, r.input_name, r.input_field),
            output_key=r.output_key,
            input_key=keys[(r.input_namespace, r.input_name)],
            type=r.transformation_type,
            subtype=r.transformation_subtype,
            description=r.description,
            masking=bool(r.masking),
        )
        for r in rows
    ]

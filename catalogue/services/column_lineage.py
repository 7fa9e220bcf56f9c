"""Reading column lineage: which input columns feed a column, as OpenLineage
names columns (dataset ``namespace`` + ``name`` + ``field``), now or as it stood
on a date. What a feed (or a harvest) says is written by
``catalogue.services.openlineage.set_column_lineage``: the ``column_lineage``
table holds it now, and each ``column_lineage.set`` change holds an output's
whole column lineage from then on, so a past date replays those changes (the
way as-of lineage replays edges)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import ChangeLog
from catalogue.openlineage_models import ColumnLineage
from catalogue.services.openlineage import COLUMN_LINEAGE_ACTION
from catalogue.services.openlineage_names import digest, lookup_key, names_for


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


@dataclass(frozen=True)
class PastRow:
    """A row of the ``column_lineage`` table as it stood on a past date (its attribute
    names are the table's, so both are read by the same code)."""

    id: int
    output_key: str
    output_namespace: str
    output_name: str
    output_field: str
    output_digest: str
    input_namespace: str
    input_name: str
    input_field: str
    input_digest: str
    transformation_type: str | None
    transformation_subtype: str | None
    description: str | None
    masking: bool


class PastLineage:
    """Every output's column lineage as it stood at one moment, indexed by digest."""

    def __init__(self, rows: list[PastRow]) -> None:
        self.by_output: dict[str, list[PastRow]] = defaultdict(list)
        self.by_input: dict[str, list[PastRow]] = defaultdict(list)
        self.named: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in rows:
            self.by_output[row.output_digest].append(row)
            self.by_input[row.input_digest].append(row)
            self.named[(row.output_namespace, row.output_name)].add(row.output_field)
            self.named[(row.input_namespace, row.input_name)].add(row.input_field)

    def fields(self, namespace: str, name: str) -> set[str]:
        return self.named.get((namespace, name), set())

    def rows(self, by: str, digests: set[str]) -> list[PastRow]:
        index = self.by_output if by == "output_digest" else self.by_input
        return [r for d in digests for r in index.get(d, [])]


def past_lineage(session: Session, as_of: datetime) -> PastLineage:
    """Column lineage at ``as_of``: each output's latest ``column_lineage.set``
    by then. Read once per session and moment (a page or a trace asks often)."""
    cache: dict[datetime, PastLineage] = session.info.setdefault("past_column_lineage", {})
    if as_of in cache:
        return cache[as_of]
    latest: dict[str, dict[str, list[dict[str, Any]]]] = {}
    changes = session.execute(
        select(ChangeLog.asset_key, ChangeLog.after)
        .where(ChangeLog.action == COLUMN_LINEAGE_ACTION, ChangeLog.at <= as_of)
        .order_by(ChangeLog.seq)
    )
    for output_key, after in cast("Iterable[tuple[str, dict[str, Any] | None]]", changes):
        latest[output_key] = (after or {}).get("column_lineage") or {}
    names = names_for(session, list(latest))
    rows: list[PastRow] = []
    for output_key, fields in latest.items():
        _, namespace, name = names.get(output_key, ("dataset", "catalogue", output_key))
        for field, inputs in fields.items():
            for source in inputs:
                ns, src, src_field = source["namespace"], source["name"], source["field"]
                rows.append(
                    PastRow(
                        id=len(rows),
                        output_key=output_key,
                        output_namespace=namespace,
                        output_name=name,
                        output_field=field,
                        output_digest=digest(namespace, name, field),
                        input_namespace=ns,
                        input_name=src,
                        input_field=src_field,
                        input_digest=digest(ns, src, src_field),
                        transformation_type=source.get("type"),
                        transformation_subtype=source.get("subtype"),
                        description=source.get("description"),
                        masking=bool(source.get("masking")),
                    )
                )
    cache[as_of] = PastLineage(rows)
    return cache[as_of]


def dataset_fields(
    session: Session, namespace: str, name: str, as_of: datetime | None = None
) -> list[ColumnNode]:
    """The columns of a dataset that column lineage names (as output or input),
    now or at ``as_of``."""
    if as_of is not None:
        fields = past_lineage(session, as_of).fields(namespace, name)
        return [ColumnNode(namespace, name, f) for f in sorted(fields)]
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
    session: Session,
    starts: list[ColumnNode],
    depth: int,
    downstream: bool = False,
    as_of: datetime | None = None,
) -> list[ColumnEdge]:
    """Column lineage reachable from ``starts`` within ``depth`` hops, upstream
    (and downstream as well with ``downstream``), breadth first, each edge once;
    as it stands now, or as it stood at ``as_of``."""
    past = past_lineage(session, as_of) if as_of is not None else None

    def rows_where(by: str, digests: set[str]) -> list[Any]:
        if past is not None:
            return past.rows(by, digests)
        column = getattr(ColumnLineage, by)
        return list(session.scalars(select(ColumnLineage).where(column.in_(digests))))

    found: dict[int, Any] = {}
    for by, follow in (
        ("output_digest", "input_digest"),
        *([("input_digest", "output_digest")] if downstream else []),
    ):
        found.update(_walk(rows_where, by, follow, {n.digest for n in starts}, depth))
    return _edges(session, sorted(found.values(), key=lambda r: r.id))


def _walk(
    rows_where: Callable[[str, set[str]], list[Any]],
    by: str,
    follow: str,
    starts: set[str],
    depth: int,
) -> dict[int, Any]:
    """The lineage rows reachable from the column digests ``starts`` within
    ``depth`` hops, one way: rows whose ``by`` is reached, going on by ``follow``."""
    found: dict[int, Any] = {}
    seen = set(starts)
    frontier = set(seen)
    for _ in range(depth):
        rows = rows_where(by, frontier)
        found.update((r.id, r) for r in rows)
        frontier = {getattr(r, follow) for r in rows} - seen
        seen |= frontier
        if not frontier:
            break
    return found


def _edges(session: Session, rows: list[Any]) -> list[ColumnEdge]:
    """Column lineage rows as edges, each input dataset named by its asset key."""
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

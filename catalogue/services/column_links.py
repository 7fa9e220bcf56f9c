"""Column lineage as people read it: for each column of one asset, where it
comes from and what it feeds, now or as it stood on a date.

Now comes from the ``column_lineage`` table; a past date replays the
``column_lineage.set`` changes up to then (see ``column_lineage.past_lineage``).
Columns of assets the caller may not see are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalogue.services.column_lineage import column_edges, dataset_fields
from catalogue.services.openlineage_names import names_for

LINK_COLUMNS = ("column", "direction", "other_key", "other_dataset", "other_column", "how")


@dataclass(frozen=True)
class ColumnLink:
    """``column`` of the asset comes from (``up``) or feeds (``down``) another column."""

    column: str
    direction: str  # up | down
    other_key: str | None  # None: a dataset the catalogue has no asset for
    other_dataset: str
    other_column: str
    how: str | None  # IDENTITY | TRANSFORMATION | AGGREGATION | …

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def column_links(
    session: Session,
    key: str,
    visible: Callable[[str], bool],
    direction: str | None = None,
    column: str | None = None,
    as_of: datetime | None = None,
) -> list[ColumnLink]:
    """Each column's sources (``up``) and what it feeds (``down``), one hop, in
    column order. ``direction`` and ``column`` narrow it; ``as_of`` looks back."""
    name = names_for(session, [key]).get(key)
    if name is None:
        return []
    _, namespace, dataset = name
    links = _links(session, namespace, dataset, as_of)
    return sorted(
        (
            link
            for link in links
            if (direction is None or link.direction == direction)
            and (column is None or link.column == column)
            and (link.other_key is None or visible(link.other_key))
        ),
        key=lambda k: (k.column, k.direction, k.other_key or "", k.other_column),
    )


def _links(
    session: Session, namespace: str, dataset: str, as_of: datetime | None
) -> list[ColumnLink]:
    starts = dataset_fields(session, namespace, dataset, as_of)
    links = []
    for edge in column_edges(session, starts, depth=1, downstream=True, as_of=as_of):
        if (edge.output.namespace, edge.output.name) == (namespace, dataset):
            links.append(
                ColumnLink(
                    edge.output.field,
                    "up",
                    edge.input_key,
                    edge.input.name,
                    edge.input.field,
                    edge.subtype,
                )  # fmt: skip
            )
        if (edge.input.namespace, edge.input.name) == (namespace, dataset):
            links.append(
                ColumnLink(
                    edge.input.field,
                    "down",
                    edge.output_key,
                    edge.output.name,
                    edge.output.field,
                    edge.subtype,
                )  # fmt: skip
            )
    return links


def by_column(links: list[ColumnLink]) -> dict[str, dict[str, list[ColumnLink]]]:
    """Links grouped for a page: column → {"up": […], "down": […]}."""
    out: dict[str, dict[str, list[ColumnLink]]] = {}
    for link in links:
        out.setdefault(link.column, {"up": [], "down": []})[link.direction].append(link)
    return out


def column_paths(
    session: Session,
    key: str,
    visible: Callable[[str], bool],
    limit: int = 50,
    as_of: datetime | None = None,
) -> dict[str, list[str]]:
    """For an auditor's trace: by upstream asset key, the column paths from its
    columns into ``key``'s (``tenants.surname → rent_account.surname → …``), as
    column lineage stands now or stood at ``as_of``. A path through an asset the
    caller may not see is left out; at most ``limit`` paths per asset."""
    name = names_for(session, [key]).get(key)
    if name is None:
        return {}
    _, namespace, dataset = name
    starts = dataset_fields(session, namespace, dataset, as_of)
    feeds: dict[tuple[str, str, str], list[tuple[tuple[str, str, str], str | None]]] = {}
    for edge in column_edges(session, starts, depth=50, as_of=as_of):
        out = (edge.output.namespace, edge.output.name, edge.output.field)
        into = (edge.input.namespace, edge.input.name, edge.input.field)
        feeds.setdefault(out, []).append((into, edge.input_key))
    found: dict[str, list[str]] = {}

    def walk(node: tuple[str, str, str], path: list[str], seen: set) -> None:
        for into, into_key in feeds.get(node, []):
            if into in seen or (into_key is not None and not visible(into_key)):
                continue
            step = [f"{into_key or into[1]}.{into[2]}", *path]
            if into_key is not None and len(found.setdefault(into_key, [])) < limit:
                found[into_key].append(" → ".join(step))
            walk(into, step, seen | {into})

    for start in starts:
        walk((start.namespace, start.name, start.field), [f"{key}.{start.field}"], set())
    return found

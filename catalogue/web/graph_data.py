"""The lineage explorer's data: nodes and edges around one asset, as JSON for
the graph and as rows for the table beside it — one call, so the two agree.

What is shown is ``services.lineage_explorer.neighbourhood``: the rows of
``lineage.neighbours`` (the same as the API and the CLI's ``lineage
upstream|downstream``), with what the caller may not see as "An asset you cannot
see" placeholders, and the edges between them, a restricted node under an opaque
id (``restricted-N``). This module only dresses them for the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for

from catalogue.services import assets, lineage_explorer
from catalogue.services.access import Principal
from catalogue.services.column_links import ColumnLink, by_column, column_links
from catalogue.services.record_types import TraceRow
from catalogue.services.sight import Sight
from catalogue.store import Catalogue
from catalogue.web.presenters import is_sensitive, kind_label

DIRECTIONS = ("both", "upstream", "downstream")


@dataclass
class LineageView:
    """Around ``centre``: its record, the rows on each side and the graph elements."""

    centre: Mapping[str, Any]
    direction: str
    depth: int | None
    as_of: datetime | None
    upstream: list[TraceRow] = field(default_factory=list)
    downstream: list[TraceRow] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "centre": self.centre["key"],
            "direction": self.direction,
            "depth": self.depth,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "nodes": self.nodes,
            "edges": self.edges,
        }


def _node(
    row: Mapping[str, Any], node_id: str, side: str, as_of: datetime | None
) -> dict[str, Any]:
    """One node as the explorer draws it and its side panel describes it: what the
    caller may see of the asset, and where its page and column lineage are."""
    restricted = bool(row.get("restricted"))
    key = None if restricted else row.get("key")
    dated: dict[str, Any] = {"as_of": as_of.date().isoformat()} if as_of else {}
    return {
        "id": node_id,
        "key": key,
        "title": row.get("title") or key,
        "kind": None if restricted else row.get("kind"),
        "kind_label": "Restricted" if restricted else kind_label(row.get("kind")),
        "department": row.get("department"),
        "owner": None if restricted else row.get("owner"),
        "classification": None if restricted else row.get("classification"),
        "hops": row.get("hops", 0),
        "side": side,
        "restricted": restricted,
        "sensitive": False if restricted else is_sensitive(row),
        "url": url_for("web.lineage_explorer", key=key) if key else None,
        "page": url_for("web.asset", key=key) if key else None,
        "columns": url_for("web.lineage_columns", key=key, **dated) if key else None,
    }


def lineage_view(
    cat: Catalogue,
    principal: Principal,
    key: str,
    direction: str = "both",
    depth: int | None = 3,
    as_of: datetime | None = None,
) -> LineageView:
    """Nodes, edges and table rows around ``key``. Raises NotFound for a key the
    caller cannot see and Invalid for a depth below 1."""
    with cat.reading(principal) as reader:
        centre = assets.get(reader, key)
        around = lineage_explorer.neighbourhood(reader, key, direction, depth, as_of)
    view = LineageView(
        centre=centre,
        direction=direction,
        depth=depth,
        as_of=as_of,
        upstream=around.upstream,
        downstream=around.downstream,
        nodes=[_node({**centre, "hops": 0}, key, "centre", as_of)]
        + [_node(row, node_id, side, as_of) for node_id, side, row in around.nodes],
        edges=around.edges,
    )
    return view


def column_view(
    cat: Catalogue, principal: Principal, key: str, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """The explorer's side panel: for each column of ``key``, where it comes from
    (``up``) and what it feeds (``down``), one hop, as the asset page lists them.
    Columns of assets the caller may not see are left out; raises NotFound for a
    key the caller cannot see."""
    with cat.reading(principal) as reader:
        assets.get(reader, key)
        sight = Sight(reader)
        graph = sight.graph
        grouped = by_column(column_links(reader.session, key, sight.visible, as_of=as_of))

    def other(link: ColumnLink) -> dict[str, Any]:
        known = link.other_key
        return {
            "key": known,
            "title": (graph.node(known).get("title") or known) if known else link.other_dataset,
            "url": url_for("web.asset", key=known) if known else None,
            "column": link.other_column,
            "how": link.how,
        }

    return [
        {
            "column": name,
            "up": [other(x) for x in sides["up"]],
            "down": [other(x) for x in sides["down"]],
        }
        for name, sides in grouped.items()
    ]

"""The lineage explorer's data: nodes and edges around one asset, as JSON for
the graph and as rows for the table beside it — one call, so the two agree.

The rows are ``services.lineage.neighbours`` (the same call as the API and the
CLI's ``lineage upstream|downstream``), with what the caller may not see as
"An asset you cannot see" placeholders. The edges between the nodes those rows list
come from the same lineage graph, one hop at a time; a restricted node gets an
opaque id (``restricted-N``), never its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import url_for

from catalogue.services import assets, lineage
from catalogue.services.access import Principal
from catalogue.store import Catalogue
from catalogue.web.presenters import is_sensitive, kind_label
from lineage import LineageGraph

DIRECTIONS = ("both", "upstream", "downstream")


@dataclass
class LineageView:
    """Around ``centre``: its record, the rows on each side and the graph elements."""

    centre: dict[str, Any]
    direction: str
    depth: int | None
    as_of: datetime | None
    upstream: list[dict[str, Any]] = field(default_factory=list)
    downstream: list[dict[str, Any]] = field(default_factory=list)
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


def _node(row: dict[str, Any], node_id: str, side: str) -> dict[str, Any]:
    restricted = bool(row.get("restricted"))
    key = None if restricted else row.get("key")
    return {
        "id": node_id,
        "key": key,
        "title": row.get("title") or key,
        "kind": None if restricted else row.get("kind"),
        "kind_label": "Restricted" if restricted else kind_label(row.get("kind")),
        "department": row.get("department"),
        "hops": row.get("hops", 0),
        "side": side,
        "restricted": restricted,
        "sensitive": False if restricted else is_sensitive(row),
        "url": url_for("web.lineage_explorer", key=key) if key else None,
    }


def _side(
    graph: LineageGraph,
    rows: list[dict[str, Any]],
    start: str,
    upstream: bool,
    depth: int | None,
    as_of: datetime | None,
) -> list[str]:
    """The real keys of ``rows`` in order (the walk ``neighbours`` made), for
    joining them with edges; only used inside this module."""
    walk = graph.upstream if upstream else graph.downstream
    keys = [hop.key for hop in walk(start, depth=depth, as_of=as_of)]
    if len(keys) != len(rows) or any(
        r["key"] not in (None, k) for r, k in zip(rows, keys, strict=False)
    ):
        # The graph moved on between the two reads: trust the rows, drop hidden edges.
        return [r["key"] or f"\0hidden-{i}" for i, r in enumerate(rows)]
    return keys


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
    with cat.read() as session:
        centre = assets.get(session, key, principal)
        graph = cat.graph()
        view = LineageView(centre=centre, direction=direction, depth=depth, as_of=as_of)
        real: dict[str, str] = {key: key}  # real key -> node id
        nodes = [_node({**centre, "hops": 0}, key, "centre")]
        hidden = 0
        for side in ("upstream", "downstream"):
            if direction not in ("both", side):
                continue
            rows = lineage.neighbours(session, graph, key, side, principal, depth, as_of)
            setattr(view, side, rows)
            for row, real_key in zip(
                rows, _side(graph, rows, key, side == "upstream", depth, as_of), strict=True
            ):
                if real_key in real:
                    continue
                if row["key"] is None:
                    hidden += 1
                    node_id = f"restricted-{hidden}"
                else:
                    node_id = row["key"]
                real[real_key] = node_id
                nodes.append(_node(row, node_id, side))
    view.nodes = nodes
    view.edges = _edges(graph, real, as_of, lineage.Sight(graph, principal))
    return view


def _edges(
    graph: LineageGraph, real: dict[str, str], as_of: datetime | None, sight: lineage.Sight
) -> list[dict[str, Any]]:
    """Every "feeds" edge between two of the nodes shown, with opaque ids for
    restricted ones and pipelines named only when the caller may see them."""
    edges = []
    for real_key, node_id in real.items():
        try:
            parents = graph.upstream(real_key, depth=1, as_of=as_of)
        except KeyError:  # a placeholder for a row the graph no longer has
            continue
        for hop in parents:
            if hop.key in real:
                edges.append(
                    {
                        "id": f"{real[hop.key]}->{node_id}",
                        "source": real[hop.key],
                        "target": node_id,
                        "via": [v for v in hop.via if sight.visible(v)],
                    }
                )
    return sorted(edges, key=lambda e: e["id"])

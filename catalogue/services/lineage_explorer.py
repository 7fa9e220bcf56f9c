"""What the lineage explorer draws around one asset: the rows on each side, a
node per asset shown and the "feeds" edges between them, with restricted
assets as opaque nodes (``catalogue.web.graph_data`` turns it into JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalogue.services.context import Reader
from catalogue.services.lineage import side_rows
from catalogue.services.record_types import TraceRow
from catalogue.services.sight import Sight


@dataclass
class Neighbourhood:
    """Around one asset: the rows on each side (as ``neighbours`` gives them), one
    node per asset shown as ``(node id, side, row)``, and the "feeds" edges between
    them. A restricted asset's node id is opaque (``restricted-N``), never its key,
    and a pipeline on an edge is named only when the caller may see it."""

    upstream: list[TraceRow] = field(default_factory=list)
    downstream: list[TraceRow] = field(default_factory=list)
    nodes: list[tuple[str, str, TraceRow]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)


def neighbourhood(
    reader: Reader,
    key: str,
    direction: str = "both",
    depth: int | None = None,
    as_of: datetime | None = None,
) -> Neighbourhood:
    """What the lineage explorer draws around ``key`` (``direction``: both,
    upstream or downstream). Raises NotFound for a key the caller cannot see and
    Invalid for a depth below 1."""
    sight = Sight(reader)
    sight.require(key)
    graph = sight.graph
    found = Neighbourhood()
    ids: dict[str, str] = {key: key}  # real key -> node id
    hidden = 0
    for side in ("upstream", "downstream"):
        if direction not in ("both", side):
            continue
        hops, rows = side_rows(reader, sight, key, side, depth, as_of)
        setattr(found, side, rows)
        for hop, row in zip(hops, rows, strict=True):
            if hop.key in ids:
                continue
            if row["restricted"]:
                hidden += 1
                ids[hop.key] = f"restricted-{hidden}"
            else:
                ids[hop.key] = hop.key
            found.nodes.append((ids[hop.key], side, row))
    for real_key, node_id in ids.items():
        for hop in graph.upstream(real_key, depth=1, as_of=as_of):
            if hop.key in ids:
                via = [v for v in hop.via if sight.visible(v)]
                source = ids[hop.key]
                found.edges.append(
                    {"id": f"{source}->{node_id}", "source": source, "target": node_id, "via": via}
                )
    found.edges.sort(key=lambda e: e["id"])
    return found

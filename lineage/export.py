"""Writing a lineage graph out as JSON (node-link), GraphML or Graphviz DOT.

The graph picks the nodes and edges (as they stood at a moment); this module
only renders them, so every format shows the same content.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import networkx as nx

from lineage.records import EdgeRecord

Node = tuple[str, Mapping[str, Any]]

_DOT_SHAPES = {
    "source_system": "cylinder",
    "dataset": "box",
    "pipeline": "cds",
    "report": "note",
}


def render(fmt: str, nodes: Sequence[Node], edges: Sequence[EdgeRecord]) -> str:
    """Render ``nodes`` (key, attributes) and ``edges`` in format ``fmt``.

    Where several edge records join the same pair, the one with the lowest id
    is written (a simple graph has one edge per pair).

    Raises:
        ValueError: ``fmt`` is not one of ``EXPORT_FORMATS``; the message names them.
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        allowed = ", ".join(EXPORT_FORMATS)
        raise ValueError(f"unknown export format {fmt!r}: choose one of {allowed}")
    return renderer(nodes, _one_per_pair(edges))


def _one_per_pair(edges: Sequence[EdgeRecord]) -> list[EdgeRecord]:
    chosen: dict[tuple[str, str], EdgeRecord] = {}
    for edge in sorted(edges, key=lambda e: e.id):
        chosen.setdefault((edge.upstream, edge.downstream), edge)
    return sorted(chosen.values(), key=lambda e: (e.upstream, e.downstream))


def _to_json(nodes: Sequence[Node], edges: Sequence[EdgeRecord]) -> str:
    """NetworkX node-link JSON; edges are listed under ``links``."""
    graph = nx.DiGraph(name="lineage")
    graph.add_nodes_from((key, dict(attrs)) for key, attrs in nodes)
    for edge in edges:
        graph.add_edge(edge.upstream, edge.downstream, **_edge_attrs(edge))
    data = nx.node_link_data(graph, edges="links")
    # default=str: snapshots are JSON already, but a caller may hand us dates.
    return json.dumps(data, ensure_ascii=False, default=str)


def _to_graphml(nodes: Sequence[Node], edges: Sequence[EdgeRecord]) -> str:
    """GraphML; lists and dicts become JSON strings and None values are left out,
    as GraphML attributes are scalars."""
    graph = nx.DiGraph()
    graph.add_nodes_from((key, _scalars(attrs)) for key, attrs in nodes)
    for edge in edges:
        graph.add_edge(edge.upstream, edge.downstream, **_scalars(_edge_attrs(edge)))
    return "\n".join(nx.generate_graphml(graph))


def _to_dot(nodes: Sequence[Node], edges: Sequence[EdgeRecord]) -> str:
    """Graphviz DOT, every id and label quoted; retired assets drawn dashed."""
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"]
    for key, attrs in nodes:
        options = {"label": attrs.get("title") or key}
        if attrs.get("kind") in _DOT_SHAPES:
            options["shape"] = _DOT_SHAPES[attrs["kind"]]
        if attrs.get("status") == "retired":
            options["style"] = "dashed"
        lines.append(f"  {_quote(key)} [{_dot_options(options)}];")
    for edge in edges:
        options = {"label": edge.via} if edge.via else {}
        suffix = f" [{_dot_options(options)}]" if options else ""
        lines.append(f"  {_quote(edge.upstream)} -> {_quote(edge.downstream)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edge_attrs(edge: EdgeRecord) -> dict[str, Any]:
    record = edge.as_dict()
    del record["upstream"], record["downstream"]
    return record


def _scalars(attrs: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, bool | int | float | str):
            flat[name] = value
        else:
            flat[name] = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return flat


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _dot_options(options: Mapping[str, str]) -> str:
    return ", ".join(f"{name}={_quote(value)}" for name, value in options.items())


_RENDERERS: dict[str, Callable[[Sequence[Node], Sequence[EdgeRecord]], str]] = {
    "dot": _to_dot,
    "graphml": _to_graphml,
    "json": _to_json,
}

#: The formats ``LineageGraph.export`` accepts.
EXPORT_FORMATS: tuple[str, ...] = tuple(sorted(_RENDERERS))

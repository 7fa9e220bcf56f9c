"""A worker forked after the graph is built shares it: tracing through the
compact graph makes little of it private, where tracing through the NetworkX
graph copies the pages of every node and edge it reads (#21).

Memory pages, not time: read from ``/proc/self/smaps_rollup`` of a forked
child, as ``catalogue serve``'s workers are forked from gunicorn's master.
Whatever the child allocates is private too, so the walk is kept to traces
(reading every asset's snapshot would allocate as much as it copies).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generate import generate
from benchmarks.graph_stores import private_growth_mb
from lineage import LineageGraph
from lineage.store import LineageStore

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/proc/self/smaps_rollup").exists(),
    reason="reads Linux's /proc/self/smaps_rollup",
)


def council(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Asset snapshots and edge records of a generated council catalogue."""
    assets, edges = [], []
    for record in generate(n):
        upstream = record.pop("upstream", [])
        assets.append(record | {"created_at": "2024-01-01T00:00:00Z"})
        for feed in upstream:
            up, via = (feed["key"], feed["via"]) if isinstance(feed, dict) else (feed, None)
            edge = {"id": len(edges) + 1, "upstream": up, "downstream": record["key"]}
            edges.append(edge | {"via": via, "valid_from": "2024-01-01T00:00:00Z"})
    return assets, edges


def trace_reports(graph: LineageGraph, reports: list[str]) -> None:
    """Each report's upstream trace, and one hop down from everything in it."""
    for key in reports:
        for hop in graph.upstream(key):
            graph.downstream(hop.key, depth=1)


def growth_tracing(graph: LineageGraph, reports: list[str]) -> float:
    """MB a forked child makes private tracing through ``graph`` (then dropped)."""
    return private_growth_mb(lambda: trace_reports(graph, reports))


def test_a_forked_worker_tracing_through_the_compact_graph_keeps_it_shared() -> None:
    assets, edges = council(6000)
    reports = [a["key"] for a in assets if a["kind"] == "report"][:200]
    copied = growth_tracing(LineageGraph.build(assets, edges, 1, store=LineageStore()), reports)
    kept_shared = growth_tracing(LineageGraph.build(assets, edges, 1), reports)
    assert copied > 4  # the NetworkX graph is copied page by page as it is read
    assert kept_shared < copied / 3

"""The no-cycles rule for a batch of lineage changes.

A file applied at once may add thousands of edges; checking each one by a walk
of the whole graph would cost edges × graph. Instead the changed graph is
checked once for being acyclic (linear time); only when it is not are the added
edges replayed one by one to name each edge that closes a cycle, and the cycle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

Pair = tuple[str, str]


def refused_edges(
    current: Iterable[Pair], added: Sequence[Pair], ended: Iterable[Pair] = ()
) -> list[tuple[Pair, list[str]]]:
    """Each added ``(upstream, downstream)`` that would close a cycle, with the cycle
    as keys starting and ending at ``upstream`` (e.g. ``['a', 'b', 'c', 'a']``).

    Edges are taken in order; a refused edge is left out when checking later ones.
    Empty when the changed graph has no cycle.
    """
    graph = nx.DiGraph(current)
    graph.remove_edges_from(list(ended))
    trial = graph.copy()
    trial.add_edges_from(added)
    if nx.is_directed_acyclic_graph(trial):
        return []
    refused: list[tuple[Pair, list[str]]] = []
    for upstream, downstream in added:
        if upstream == downstream:
            refused.append(((upstream, downstream), [upstream, upstream]))
            continue
        if downstream in graph and upstream in graph and nx.has_path(graph, downstream, upstream):
            path = nx.shortest_path(graph, downstream, upstream)
            refused.append(((upstream, downstream), [upstream, *path]))
            continue
        graph.add_edge(upstream, downstream)
    return refused

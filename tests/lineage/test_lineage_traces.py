"""Traces over the hand-drawn graph in conftest.py: upstream, downstream, paths,
impact, roots and cycle checks, as they stand now (current edges only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lineage import Hop, LineageGraph

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar


def keys_and_hops(hops: list[Hop]) -> list[tuple[str, int]]:
    return [(hop.key, hop.hops) for hop in hops]


def test_upstream_of_the_dashboard_lists_every_feed_nearest_first(graph: LineageGraph) -> None:
    assert graph.upstream("arrears-dashboard") == [
        Hop("arrears-model", 1, "arrears-dashboard"),
        Hop("rent-accounts", 1, "arrears-dashboard", via=("dashboard-feed",)),
        Hop("arrears-etl", 2, "arrears-model"),
        Hop("northgate", 2, "rent-accounts", via=("northgate-extract",)),
        Hop("care-flags", 3, "arrears-etl"),
        Hop("postcodes", 3, "arrears-etl"),
        Hop("mosaic", 4, "care-flags"),
    ]


def test_upstream_depth_stops_the_trace(graph: LineageGraph) -> None:
    assert keys_and_hops(graph.upstream("arrears-dashboard", depth=1)) == [
        ("arrears-model", 1),
        ("rent-accounts", 1),
    ]
    assert keys_and_hops(graph.upstream("arrears-dashboard", depth=2))[-1] == ("northgate", 2)
    assert graph.upstream("arrears-dashboard", depth=0) == []


def test_a_source_system_has_nothing_upstream(graph: LineageGraph) -> None:
    assert graph.upstream("northgate") == []


def test_downstream_of_northgate_reaches_both_reports(graph: LineageGraph) -> None:
    assert keys_and_hops(graph.downstream("northgate")) == [
        ("rent-accounts", 1),
        ("arrears-dashboard", 2),
        ("arrears-etl", 2),
        ("arrears-model", 3),
        ("open-summary", 4),
    ]
    assert graph.downstream("northgate")[1].parent == "rent-accounts"


def test_ended_edges_do_not_count_now(graph: LineageGraph) -> None:
    # postcodes -> open-summary ended in June; the summary is now 3 hops away.
    assert ("open-summary", 3) in keys_and_hops(graph.downstream("postcodes"))
    assert ("postcodes", 1) not in keys_and_hops(graph.upstream("open-summary"))


def test_paths_lists_every_route_shortest_first(graph: LineageGraph) -> None:
    assert graph.paths("northgate", "arrears-dashboard") == [
        ["northgate", "rent-accounts", "arrears-dashboard"],
        ["northgate", "rent-accounts", "arrears-etl", "arrears-model", "arrears-dashboard"],
    ]
    assert graph.paths("northgate", "arrears-dashboard", limit=1) == [
        ["northgate", "rent-accounts", "arrears-dashboard"]
    ]


def test_paths_of_equal_length_come_in_key_order(
    assets: list[dict[str, Any]], edges: list[dict[str, Any]], make_edge: Callable[..., Any]
) -> None:
    # A second route from Northgate into the ETL, as long as the first.
    graph = LineageGraph.build(assets, [*edges, make_edge(11, "northgate", "care-flags")], seq=1)
    assert graph.paths("northgate", "arrears-model") == [
        ["northgate", "care-flags", "arrears-etl", "arrears-model"],
        ["northgate", "rent-accounts", "arrears-etl", "arrears-model"],
    ]


def test_paths_is_empty_against_the_flow_or_to_itself(graph: LineageGraph) -> None:
    assert graph.paths("arrears-dashboard", "northgate") == []
    assert graph.paths("mosaic", "rent-accounts") == []
    assert graph.paths("northgate", "northgate") == []


def test_impact_lists_the_reports_downstream(graph: LineageGraph) -> None:
    assert keys_and_hops(graph.impact("northgate")) == [
        ("arrears-dashboard", 2),
        ("open-summary", 4),
    ]
    assert keys_and_hops(graph.impact("postcodes")) == [
        ("arrears-dashboard", 3),
        ("open-summary", 3),
    ]
    assert graph.impact("arrears-dashboard") == []


def test_roots_are_source_systems_and_unfed_assets(graph: LineageGraph) -> None:
    # postcodes is a dataset, but nothing feeds it: it is where the trail starts.
    assert graph.roots("arrears-dashboard") == ["mosaic", "northgate", "postcodes"]
    assert graph.roots("care-flags") == ["mosaic"]
    assert graph.roots("northgate") == []


@pytest.mark.parametrize(
    ("upstream", "downstream", "cycle"),
    [
        # arrears-dashboard is fed (via rent-accounts) by northgate.
        (
            "arrears-dashboard",
            "northgate",
            ["arrears-dashboard", "northgate", "rent-accounts", "arrears-dashboard"],
        ),
        # a three-asset cycle
        (
            "arrears-model",
            "rent-accounts",
            ["arrears-model", "rent-accounts", "arrears-etl", "arrears-model"],
        ),
        ("postcodes", "postcodes", ["postcodes", "postcodes"]),
        # the ended postcodes -> open-summary edge is not the shortest way back
        (
            "open-summary",
            "postcodes",
            ["open-summary", "postcodes", "arrears-etl", "arrears-model", "open-summary"],
        ),
    ],
)
def test_cycle_if_added_names_the_cycle(
    graph: LineageGraph, upstream: str, downstream: str, cycle: list[str]
) -> None:
    assert graph.cycle_if_added(upstream, downstream) == cycle


@pytest.mark.parametrize(
    ("upstream", "downstream"),
    [
        ("postcodes", "arrears-dashboard"),  # a shortcut, not a loop
        ("mosaic", "open-summary"),
        ("brand-new-asset", "northgate"),  # unknown keys close no cycle
    ],
)
def test_cycle_if_added_is_none_when_no_cycle(
    graph: LineageGraph, upstream: str, downstream: str
) -> None:
    assert graph.cycle_if_added(upstream, downstream) is None


def test_unknown_keys_and_bad_depths_raise(graph: LineageGraph) -> None:
    with pytest.raises(KeyError):
        graph.upstream("no-such-asset")
    with pytest.raises(KeyError):
        graph.paths("northgate", "no-such-asset")
    with pytest.raises(KeyError):
        graph.node("no-such-asset")
    with pytest.raises(ValueError, match="depth"):
        graph.downstream("northgate", depth=-1)


def test_nodes_and_counts(graph: LineageGraph) -> None:
    assert len(graph) == 9
    assert graph.edge_count() == 9  # ten records, one of them ended
    assert graph.applied_seq == 42
    assert graph.has("mosaic") and not graph.has("civica")
    assert graph.node("northgate")["title"] == "Northgate Housing"


def test_node_returns_a_copy(graph: LineageGraph) -> None:
    graph.node("northgate")["title"] = "Changed by a caller"
    assert graph.node("northgate")["title"] == "Northgate Housing"

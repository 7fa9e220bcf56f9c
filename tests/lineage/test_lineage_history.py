"""The graph as it stood on a date: edge intervals and asset creation times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from lineage import Hop, LineageGraph

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

BEFORE_JUNE = "2024-05-31T23:59:59Z"
JUNE = "2024-06-01T00:00:00Z"  # postcodes -> open-summary ends, arrears-model -> it starts


def keys(hops: list[Hop]) -> list[str]:
    return [hop.key for hop in hops]


def test_before_the_switch_the_summary_was_fed_by_postcodes(graph: LineageGraph) -> None:
    assert graph.upstream("open-summary", as_of=BEFORE_JUNE) == [
        Hop("postcodes", 1, "open-summary")
    ]
    assert keys(graph.downstream("arrears-model", as_of=BEFORE_JUNE)) == ["arrears-dashboard"]


def test_from_the_switch_the_summary_is_fed_by_the_model(graph: LineageGraph) -> None:
    at_switch = graph.upstream("open-summary", as_of=JUNE)  # valid_from counts, valid_to not
    assert at_switch[0] == Hop("arrears-model", 1, "open-summary")
    assert "postcodes" in keys(at_switch)  # still upstream, now three hops away
    assert at_switch == graph.upstream("open-summary")


def test_paths_and_impact_follow_the_date(graph: LineageGraph) -> None:
    assert graph.paths("postcodes", "open-summary", as_of=BEFORE_JUNE) == [
        ["postcodes", "open-summary"]
    ]
    assert graph.paths("postcodes", "open-summary", as_of=JUNE) == [
        ["postcodes", "arrears-etl", "arrears-model", "open-summary"]
    ]
    assert keys(graph.impact("northgate", as_of=BEFORE_JUNE)) == ["arrears-dashboard"]


def test_an_asset_created_later_is_absent(graph: LineageGraph) -> None:
    february = "2024-02-01T00:00:00Z"
    assert graph.upstream("arrears-dashboard", as_of=february) == []
    assert keys(graph.downstream("rent-accounts", as_of=february)) == [
        "arrears-etl",
        "arrears-model",
    ]
    assert graph.impact("northgate", as_of=february) == []
    assert graph.edge_count(as_of=february) == 7
    assert graph.edge_count(as_of=BEFORE_JUNE) == 9


def test_naive_datetimes_are_utc(graph: LineageGraph) -> None:
    naive = datetime(2024, 5, 31, 23, 59, 59)
    aware = datetime(2024, 5, 31, 23, 59, 59, tzinfo=UTC)
    assert graph.upstream("open-summary", as_of=naive) == [Hop("postcodes", 1, "open-summary")]
    assert graph.upstream("open-summary", as_of=naive) == graph.upstream(
        "open-summary", as_of=aware
    )


def test_an_edge_valid_before_its_node_was_created_waits_for_the_node(
    make_snapshot: Callable[..., dict[str, Any]], make_edge: Callable[..., dict[str, Any]]
) -> None:
    legacy = make_snapshot("legacy-system", "source_system", "Legacy")
    del legacy["created_at"]  # no creation time: it has always existed
    graph = LineageGraph.build(
        [legacy, make_snapshot("new-report", "report", "New", created_at="2024-03-01T00:00:00Z")],
        [make_edge(1, "legacy-system", "new-report", valid_from="2000-01-01T00:00:00Z")],
        seq=1,
    )
    assert graph.downstream("legacy-system", as_of="2024-02-01T00:00:00Z") == []
    assert keys(graph.downstream("legacy-system", as_of="2024-04-01T00:00:00Z")) == ["new-report"]
    assert graph.upstream("new-report", as_of="2024-04-01T00:00:00Z") == [
        Hop("legacy-system", 1, "new-report")
    ]


def test_a_pair_ended_and_added_again_keeps_both_intervals(
    make_snapshot: Callable[..., dict[str, Any]], make_edge: Callable[..., dict[str, Any]]
) -> None:
    graph = LineageGraph.build(
        [make_snapshot("a", "dataset", "A"), make_snapshot("b", "report", "B")],
        [
            make_edge(1, "a", "b", valid_from="2024-01-01T00:00:00Z", valid_to="2024-03-01T00:00Z"),
            make_edge(2, "a", "b", via="second-feed", valid_from="2024-05-01T00:00:00+00:00"),
        ],
        seq=1,
    )
    reached = {
        month: keys(graph.downstream("a", as_of=f"2024-{month:02d}-15T00:00:00Z"))
        for month in range(1, 7)
    }
    assert reached == {1: ["b"], 2: ["b"], 3: [], 4: [], 5: ["b"], 6: ["b"]}
    assert graph.downstream("a") == [Hop("b", 1, "a", via=("second-feed",))]
    assert graph.edge_count() == 1
    assert graph.edge_count(as_of="2024-04-01T00:00:00Z") == 0


def test_parallel_records_keep_a_pair_connected_until_both_end(
    make_snapshot: Callable[..., dict[str, Any]], make_edge: Callable[..., dict[str, Any]]
) -> None:
    first, second = make_edge(1, "a", "b", via="job-1"), make_edge(2, "a", "b", via="job-2")
    graph = LineageGraph.build(
        [make_snapshot("a", "dataset", "A"), make_snapshot("b", "report", "B")], [], seq=0
    )
    for seq, record in enumerate([first, second], start=1):
        graph.apply({"seq": seq, "action": "edge.add", "key": "b", "after": record})
    assert graph.downstream("a") == [Hop("b", 1, "a", via=("job-1", "job-2"))]

    ended = "2024-02-01T00:00:00Z"
    graph.apply({"seq": 3, "action": "edge.end", "key": "b", "after": {**first, "valid_to": ended}})
    assert graph.downstream("a") == [Hop("b", 1, "a", via=("job-2",))]
    graph.apply(
        {"seq": 4, "action": "edge.end", "key": "b", "after": {**second, "valid_to": ended}}
    )
    assert graph.downstream("a") == []
    assert graph.edge_count() == 0

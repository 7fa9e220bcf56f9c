"""Keeping the graph in step with the change log: apply, idempotence, signatures."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from lineage import Hop, LineageGraph

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

Factory = Callable[..., dict[str, Any]]


def change(seq: int, action: str, key: str, after: dict[str, Any], before: Any = None) -> dict:
    return {
        "seq": seq,
        "action": action,
        "key": key,
        "actor": "steward@council.example",
        "time": "2024-07-01T12:00:00Z",
        "before": before,
        "after": after,
    }


@pytest.fixture
def log(make_snapshot: Factory, make_edge: Factory) -> list[dict[str, Any]]:
    """A short change log: two assets, an edge, a re-kind, an end, a retirement."""
    civica = make_snapshot("civica", "source_system", "Civica Revenues")
    tax = make_snapshot("council-tax", "dataset", "Council tax accounts")
    tax_report = {**tax, "kind": "report", "title": "Council tax return", "version": 2}
    feed = make_edge(1, "civica", "council-tax", via="nightly", valid_from="2024-07-01T12:00Z")
    ended = {**feed, "valid_to": "2024-08-01T00:00:00Z"}
    retired = {**civica, "status": "retired", "version": 2}
    return [
        change(1, "asset.create", "civica", civica),
        change(2, "asset.create", "council-tax", tax),
        change(3, "edge.add", "council-tax", feed),
        change(4, "asset.update", "council-tax", tax_report, before=tax),
        change(5, "edge.end", "council-tax", ended, before=feed),
        change(6, "asset.retire", "civica", retired, before=civica),
    ]


def replay(entries: list[dict[str, Any]]) -> LineageGraph:
    graph = LineageGraph()
    for entry in entries:
        graph.apply(entry)
    return graph


def test_an_empty_graph() -> None:
    graph = LineageGraph.build([], [], seq=0)
    assert len(graph) == 0 and graph.applied_seq == 0 and graph.edge_count() == 0
    assert graph.signature() == LineageGraph().signature()


def test_changes_appear_as_they_are_applied(log: list[dict[str, Any]]) -> None:
    graph = replay(log[:3])
    assert graph.applied_seq == 3
    assert graph.upstream("council-tax") == [Hop("civica", 1, "council-tax", via=("nightly",))]
    assert graph.impact("civica") == []  # a dataset, not yet a report

    graph.apply(log[3])
    assert [hop.key for hop in graph.impact("civica")] == ["council-tax"]

    graph.apply(log[4])
    assert graph.upstream("council-tax") == []
    assert graph.edge_count() == 0
    assert [h.key for h in graph.upstream("council-tax", as_of="2024-07-15T00:00Z")] == ["civica"]

    graph.apply(log[5])
    assert graph.has("civica") and graph.node("civica")["status"] == "retired"
    assert len(graph) == 2
    assert graph.applied_seq == 6


def test_replaying_the_log_builds_what_build_builds(log: list[dict[str, Any]]) -> None:
    final_assets = [log[5]["after"], log[3]["after"]]
    built = LineageGraph.build(final_assets, [log[4]["after"]], seq=6)
    assert replay(log).signature() == built.signature()


def test_applying_a_change_twice_changes_nothing(log: list[dict[str, Any]]) -> None:
    graph = replay(log)
    before = graph.signature()
    for entry in log:
        graph.apply(entry)
    assert graph.signature() == before
    assert graph.applied_seq == 6


def test_an_older_seq_is_ignored(log: list[dict[str, Any]]) -> None:
    graph = replay(log)
    before = graph.signature()
    stale = change(2, "asset.update", "council-tax", {**log[3]["after"], "title": "Stale"})
    graph.apply(stale)
    assert graph.signature() == before
    assert graph.node("council-tax")["title"] == "Council tax return"


def test_an_edge_re_added_under_the_same_id_is_idempotent(log: list[dict[str, Any]]) -> None:
    # A view that crashed after applying seq 3 but before saving its position
    # sees the same edge again under a new seq: nothing doubles up.
    graph = replay(log[:3])
    graph.apply({**log[2], "seq": 7})
    assert graph.edge_count() == 1
    assert graph.upstream("council-tax") == [Hop("civica", 1, "council-tax", via=("nightly",))]


def test_unknown_actions_only_advance_the_position(log: list[dict[str, Any]]) -> None:
    graph = replay(log)
    before = graph.signature()
    graph.apply({"seq": 9, "action": "person.update", "key": "j.smith", "after": {"x": 1}})
    assert graph.signature() == before
    assert graph.applied_seq == 9


def test_a_malformed_change_raises_and_leaves_the_position(
    log: list[dict[str, Any]], make_edge: Factory
) -> None:
    graph = replay(log)
    broken = make_edge(2, "civica", "council-tax", valid_from="yesterday")
    with pytest.raises(ValueError):
        graph.apply(change(7, "edge.add", "council-tax", broken))
    assert graph.applied_seq == 6


def test_signature_ignores_build_order_but_not_content(
    assets: list[dict[str, Any]], edges: list[dict[str, Any]]
) -> None:
    shuffled_assets, shuffled_edges = assets[:], edges[:]
    random.Random(7).shuffle(shuffled_assets)
    random.Random(7).shuffle(shuffled_edges)
    reference = LineageGraph.build(assets, edges, seq=42).signature()
    assert LineageGraph.build(shuffled_assets, shuffled_edges, seq=1).signature() == reference
    # "Z" and "+00:00" are the same moment
    same_times = [{**e, "valid_from": e["valid_from"].replace("Z", "+00:00")} for e in edges]
    assert LineageGraph.build(assets, same_times, seq=42).signature() == reference

    reopened = [{**e, "valid_to": None} for e in edges]  # the ended edge back on
    assert LineageGraph.build(assets, reopened, seq=42).signature() != reference
    retitled = [{**assets[0], "title": "Northgate"}, *assets[1:]]
    assert LineageGraph.build(retitled, edges, seq=42).signature() != reference
    hash(reference)  # usable as a dict key or in a set

"""Property: a graph kept in step change by change equals one built from the
final records, whatever the operations and however often changes are re-fed.

A small model catalogue turns random operations into change-log entries the way
the service layer would (new snapshot dicts, edges ended rather than deleted,
no edge that would close a cycle), and tracks the final assets and edges.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage import LineageGraph
from lineage.compact import CompactStore

START = datetime(2024, 1, 1, tzinfo=UTC)
KINDS = ("dataset", "report", "source_system", "pipeline")
CLASSIFICATIONS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")
UPDATES = {
    "kind": KINDS,
    "personal_data": (False, True),
    "classification": CLASSIFICATIONS,
}

index = st.integers(min_value=0, max_value=50)
add_edge = st.tuples(st.just("add_edge"), index, index)
# A few assets to start with, then operations weighted towards edges, which is
# where the interesting states (history, parallel records, refused cycles) are.
operations = st.builds(
    lambda kinds, ops: [("create", kind) for kind in kinds] + ops,
    st.lists(st.sampled_from(KINDS), min_size=2, max_size=8),
    st.lists(
        st.one_of(
            st.tuples(st.just("create"), st.sampled_from(KINDS)),
            st.tuples(st.just("update"), index, st.sampled_from(sorted(UPDATES)), index),
            st.tuples(st.just("retire"), index),
            add_edge,
            add_edge,
            add_edge,
            st.tuples(st.just("end_edge"), index),
        ),
        min_size=10,
        max_size=60,
    ),
)


def moment(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@dataclass
class ModelCatalogue:
    """What the database would hold, and the change log it would have written."""

    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: dict[int, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    # (entries written before it, upstream, downstream, would cycle) per attempted edge
    attempts: list[tuple[int, str, str, bool]] = field(default_factory=list)

    @property
    def now(self) -> str:
        return moment(len(self.log) + 1)

    def write(self, action: str, key: str, before: Any, after: dict[str, Any]) -> None:
        seq = len(self.log) + 1
        self.log.append(
            {"seq": seq, "action": action, "key": key, "actor": "test", "time": moment(seq)}
            | {"before": before, "after": after}
        )

    def pick(self, keys: list[Any], i: int) -> Any:
        return sorted(keys)[i % len(keys)]

    def current_graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.assets)
        graph.add_edges_from(
            (e["upstream"], e["downstream"]) for e in self.edges.values() if e["valid_to"] is None
        )
        return graph

    def run(self, operation: tuple[Any, ...]) -> None:
        name, *args = operation
        if name == "create":
            self.create(*args)
        elif self.assets:
            getattr(self, name)(*args)

    def create(self, kind: str) -> None:
        key = f"asset-{len(self.assets)}"
        now = self.now
        after = {"key": key, "kind": kind, "title": key.title(), "tags": [], "columns": []}
        after |= {"personal_data": False, "classification": "OFFICIAL", "access": "internal"}
        after |= {"status": "active", "version": 1, "created_at": now, "updated_at": now}
        self.assets[key] = after
        self.write("asset.create", key, None, after)

    def update(self, i: int, name: str, j: int) -> None:
        key = self.pick(list(self.assets), i)
        before = self.assets[key]
        choices = UPDATES[name]
        after = before | {name: choices[j % len(choices)], "version": before["version"] + 1}
        after["updated_at"] = self.now
        self.assets[key] = after
        self.write("asset.update", key, before, after)

    def retire(self, i: int) -> None:
        key = self.pick(list(self.assets), i)
        before = self.assets[key]
        after = before | {"status": "retired", "version": before["version"] + 1}
        self.assets[key] = after
        self.write("asset.retire", key, before, after)

    def add_edge(self, i: int, j: int) -> None:
        # j counts on from i, so small draws give distinct ends and some self-edges.
        upstream, downstream = (
            self.pick(list(self.assets), i),
            self.pick(list(self.assets), i + j + 1),
        )
        graph = self.current_graph()
        cycle = upstream == downstream or nx.has_path(graph, downstream, upstream)
        self.attempts.append((len(self.log), upstream, downstream, cycle))
        if cycle:
            return  # the service refuses it
        record = {"id": len(self.edges) + 1, "upstream": upstream, "downstream": downstream}
        record |= {"via": "job" if i % 2 else None, "description": None}
        record |= {"valid_from": self.now, "valid_to": None}
        self.edges[record["id"]] = record
        self.write("edge.add", downstream, None, record)

    def end_edge(self, i: int) -> None:
        current = [n for n, e in self.edges.items() if e["valid_to"] is None]
        if not current:
            return
        before = self.edges[self.pick(current, i)]
        after = before | {"valid_to": self.now}
        self.edges[after["id"]] = after
        self.write("edge.end", after["downstream"], before, after)

    def graph_at(self, when: datetime) -> nx.DiGraph:
        """The model's own idea of the graph at ``when``, for comparison."""
        graph = nx.DiGraph()
        graph.add_nodes_from(k for k, a in self.assets.items() if _time(a["created_at"]) <= when)
        for e in self.edges.values():
            ended = e["valid_to"] is not None and _time(e["valid_to"]) <= when
            if _time(e["valid_from"]) <= when and not ended:
                graph.add_edge(e["upstream"], e["downstream"])
        return graph

    def built(self, store: CompactStore | None = None) -> LineageGraph:
        return LineageGraph.build(
            reversed(list(self.assets.values())),
            reversed(list(self.edges.values())),
            len(self.log),
            store,
        )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def model_of(ops: list[tuple[Any, ...]]) -> ModelCatalogue:
    model = ModelCatalogue()
    for operation in ops:
        model.run(operation)
    return model


def assert_cycle_answer(
    graph: LineageGraph, upstream: str, downstream: str, expected: bool
) -> None:
    """The graph agrees with the model about a cycle, and a cycle it names is real."""
    cycle = graph.cycle_if_added(upstream, downstream)
    assert (cycle is not None) == expected
    if cycle is not None:
        assert cycle[0] == cycle[-1] == upstream and cycle[1] == downstream
        for a, b in zip(cycle[1:], cycle[2:], strict=False):
            assert b in {hop.key for hop in graph.downstream(a, depth=1)}


@settings(max_examples=150, deadline=None)
@given(operations)
def test_applying_the_log_equals_building_from_the_final_records(
    ops: list[tuple[Any, ...]],
) -> None:
    model = model_of(ops)
    attempted: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for position, upstream, downstream, cycle in model.attempts:
        attempted[position].append((upstream, downstream, cycle))
    graph = LineageGraph()
    for position in range(len(model.log) + 1):
        # Each attempted edge is checked against the graph as it stood then.
        for upstream, downstream, cycle in attempted[position]:
            assert_cycle_answer(graph, upstream, downstream, cycle)
        if position < len(model.log):
            graph.apply(model.log[position])

    built = model.built()
    assert graph.signature() == built.signature()
    assert graph.applied_seq == built.applied_seq == len(model.log)
    assert len(graph) == len(model.assets)

    truth = model.current_graph()
    assert graph.edge_count() == truth.number_of_edges()
    for key in model.assets:
        assert {h.key for h in graph.upstream(key)} == nx.ancestors(truth, key)
        assert graph.upstream(key) == built.upstream(key)
        assert graph.downstream(key) == built.downstream(key)


@settings(max_examples=100, deadline=None)
@given(operations, st.data())
def test_history_answers_match_the_model_at_every_moment(
    ops: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    model = model_of(ops)
    graph = LineageGraph()
    for entry in model.log:
        graph.apply(entry)
    minutes = data.draw(st.lists(st.integers(0, len(model.log) + 1), max_size=5))
    for when in (START + timedelta(minutes=m, seconds=s) for m in minutes for s in (0, 30)):
        truth = model.graph_at(when)
        for key in model.assets:
            traced = {h.key for h in graph.upstream(key, as_of=when)}
            expected = nx.ancestors(truth, key) if key in truth else set()
            assert traced == expected
        assert graph.edge_count(as_of=when) == truth.number_of_edges()


@settings(max_examples=100, deadline=None)
@given(operations, st.data())
def test_refeeding_changes_changes_nothing(ops: list[tuple[Any, ...]], data: st.DataObject) -> None:
    model = model_of(ops)
    graph = LineageGraph()
    for position, entry in enumerate(model.log):
        graph.apply(entry)
        graph.apply(entry)  # the same entry twice in a row
        earlier = data.draw(st.lists(st.integers(0, position), max_size=3))
        for again in earlier:
            graph.apply(model.log[again])  # an old seq, seen again
    assert graph.signature() == model.built().signature()
    assert graph.applied_seq == len(model.log)

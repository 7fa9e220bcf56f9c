"""Property: the compact graph (flat arrays built once, changes in an overlay)
answers every lineage question exactly as the NetworkX graph does.

A generated catalogue's change log is split at a random point: the compact
graph is built in bulk from the records as they stood there (its frozen base)
and the rest of the log is applied to it (its overlay); the NetworkX graph
applies the whole log. Then both are asked the same questions: traces up and
down (now, as of moments in the log, depth-limited), roots, impact, paths,
cycles, inherited sensitivity and mismatches, export, and every node.
"""

from __future__ import annotations

from array import array
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage import LineageGraph
from lineage.compact import CompactStore
from lineage.frozen import ALWAYS, EdgeColumns
from lineage.packed import OPEN_END, micros
from lineage.records import parse_time
from lineage.store import LineageStore
from tests.lineage.test_lineage_properties import START, model_of, operations


def reference_and_compact(
    ops: list[tuple[Any, ...]], split: int, rebase_after: int | None = None
) -> tuple[LineageGraph, LineageGraph, list[str], int]:
    """The NetworkX graph fed the whole log, the compact one built from the first
    ``split`` operations' records then fed the rest (its overlay folded into a
    new base every ``rebase_after`` records); every key; log length."""
    model = model_of(ops)
    early = model_of(ops[:split])
    reference = LineageGraph(store=LineageStore())
    for entry in model.log:
        reference.apply(entry)
    compact = early.built(CompactStore(rebase_after))
    for entry in model.log[len(early.log) :]:
        compact.apply(entry)
    keys = sorted(set(model.assets) | {"job", "never-heard-of"})  # "job": a via, not a node
    return reference, compact, keys, len(model.log)


def traces(graph: LineageGraph, key: str, as_of: Any) -> Any:
    """Every per-key answer, or the error for a key no asset or edge names."""
    try:
        return (
            graph.upstream(key, as_of=as_of),
            graph.downstream(key, as_of=as_of),
            graph.upstream(key, depth=1, as_of=as_of),
            graph.downstream(key, depth=2, as_of=as_of),
            graph.roots(key, as_of=as_of),
            graph.impact(key, as_of=as_of),
            graph.inherited(key, as_of=as_of),
        )
    except KeyError as error:
        return repr(error)


@settings(max_examples=120, deadline=None)
@given(operations, st.data())
def test_compact_graph_answers_as_the_networkx_graph(
    ops: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(ops)), label="operations in the frozen base")
    reference, compact, keys, entries = reference_and_compact(ops, split)
    assert_same_answers(reference, compact, keys, entries, data)


@settings(max_examples=80, deadline=None)
@given(operations, st.data())
def test_compact_graph_rebased_midway_answers_as_the_networkx_graph(
    ops: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """The overlay folded into a new base every few changes (#21), so answers
    come from bases rebuilt in memory, with and without an overlay on top."""
    split = data.draw(st.integers(0, len(ops)), label="operations in the frozen base")
    rebase_after = data.draw(st.integers(1, 4), label="rebase after this many records")
    reference, compact, keys, entries = reference_and_compact(ops, split, rebase_after)
    assert compact._store.overlay_size() < rebase_after  # type: ignore[union-attr]
    later = model_of(ops).log[len(model_of(ops[:split]).log) :]
    records = {(e["action"][:5], e["after"].get("key", e["after"].get("id"))) for e in later}
    assert (compact.rebases > 0) == (len(records) >= rebase_after)
    assert_same_answers(reference, compact, keys, entries, data)


def assert_same_answers(
    reference: LineageGraph,
    compact: LineageGraph,
    keys: list[str],
    entries: int,
    data: st.DataObject,
) -> None:
    """Every question of the module doc, asked of both graphs."""
    assert compact.signature() == reference.signature()
    assert compact.applied_seq == reference.applied_seq
    assert len(compact) == len(reference)
    assert compact.asset_keys() == reference.asset_keys()
    minutes = data.draw(st.lists(st.integers(0, entries + 1), max_size=3), label="minutes")
    moments = [None] + [START + timedelta(minutes=m, seconds=30) for m in minutes]
    for as_of in moments:
        assert compact.edge_count(as_of) == reference.edge_count(as_of)
        assert compact.mismatches(as_of) == reference.mismatches(as_of)
        assert compact.export("json", as_of) == reference.export("json", as_of)
        for key in keys:
            assert traces(compact, key, as_of) == traces(reference, key, as_of)
    for key in keys:
        assert compact.has(key) == reference.has(key)
        if reference.has(key):
            assert compact.node(key) == reference.node(key)
        assert sorted(compact.successors(key)) == sorted(reference.successors(key))
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(keys)), max_size=6))
    for a, b in pairs:
        assert compact.cycle_if_added(a, b) == reference.cycle_if_added(a, b)
        if reference.has(a) and reference.has(b):
            assert compact.paths(a, b) == reference.paths(a, b)
            for as_of in moments[1:]:
                assert compact.paths(a, b, as_of) == reference.paths(a, b, as_of)
    assert compact.refused_edges(pairs) == reference.refused_edges(pairs)


def test_keys_and_snapshots_of_any_text_survive_the_packing() -> None:
    """Keys outside ASCII, values marshal cannot pack (a datetime) and a
    missing ``created_at`` come back as they went in."""
    when = datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    assets = [
        {"key": "école-repairs", "kind": "dataset", "title": "Réparations"},
        {"key": "大阪-feed", "kind": "report", "reviewed": when, "created_at": "2024-01-01"},
    ]
    edges = [
        {
            "id": 7,
            "upstream": "école-repairs",
            "downstream": "大阪-feed",
            "via": "",
            "description": "nightly — ünïcode",
            "valid_from": "2024-02-01T10:00:00.000001+01:00",
            "valid_to": None,
        }
    ]
    reference = LineageGraph.build(assets, edges, 3, store=LineageStore())
    compact = LineageGraph.build(assets, edges, 3)
    assert compact.signature() == reference.signature()
    assert compact.node("大阪-feed")["reviewed"] == when
    assert [h.key for h in compact.upstream("大阪-feed")] == ["école-repairs"]
    assert compact.upstream("大阪-feed", as_of="2024-02-01T09:00:00.000001Z")[0].via == ()
    assert compact.upstream("大阪-feed", as_of="2024-02-01T09:00:00Z") == []
    assert compact.export("graphml") == reference.export("graphml")


def test_a_walk_is_not_broken_by_a_catch_up_in_another_thread() -> None:
    """A web worker's threads share one graph: a request walking a key's edges
    while another request's catch-up adds edges to that key must answer, not fail
    with "dictionary changed size during iteration" (a 500 for the user)."""
    import sys
    import threading

    from lineage.records import EdgeRecord

    store = CompactStore()
    store.put_asset({"key": "report", "created_at": START.isoformat()})
    failures: list[BaseException] = []
    done = threading.Event()

    def catch_up() -> None:
        for i in range(20_000):
            store.put_edge(EdgeRecord(i, f"source-{i}", "report", None, None, START, None))
        done.set()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as CPython allows
    writer = threading.Thread(target=catch_up)
    try:
        writer.start()
        while not done.is_set():
            try:
                list(store.neighbours("report", True, None))
            except RuntimeError as error:
                failures.append(error)
                break
    finally:
        writer.join()
        sys.setswitchinterval(switch)
    assert not failures, failures
    assert len(list(store.neighbours("report", True, None))) == 20_000


@settings(max_examples=80, deadline=None)
@given(operations, st.data())
def test_a_graph_built_from_numbered_columns_answers_as_one_built_from_records(
    ops: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """A load from the database hands the base numbered assets and edge columns
    (#21): it answers as the base built from the same snapshots and records,
    then with the rest of the log applied on top of both."""
    split = data.draw(st.integers(0, len(ops)), label="operations in the frozen base")
    model, early = model_of(ops), model_of(ops[:split])
    job = {"key": "job", "kind": "pipeline", "title": "Job", "created_at": START.isoformat()}
    assets = [*early.assets.values(), job]  # in the database every via is an asset
    numbers = data.draw(st.permutations(range(1, 3 * len(assets) + 1)), label="asset row ids")
    number_of = {a["key"]: n for a, n in zip(assets, numbers, strict=False)}
    records = sorted(early.edges.values(), key=lambda e: e["id"])

    def micros_of(value: Any, missing: int) -> int:
        return missing if value is None else micros(parse_time(value))

    columns = EdgeColumns(
        array("q", (e["id"] for e in records)),
        array("q", (number_of[e["upstream"]] for e in records)),
        array("q", (number_of[e["downstream"]] for e in records)),
        array("q", (number_of[e["via"]] if e["via"] else -1 for e in records)),
        [e["description"] for e in records],
        array("q", (micros_of(e["valid_from"], ALWAYS) for e in records)),
        array("q", (micros_of(e["valid_to"], OPEN_END) for e in records)),
    )
    seq = len(early.log)
    from_records = LineageGraph.build(assets, records, seq)
    numbered = LineageGraph.build_numbered(((number_of[a["key"]], a) for a in assets), columns, seq)
    for entry in model.log[seq:]:
        from_records.apply(entry)
        numbered.apply(entry)
    keys = sorted(set(model.assets) | {"job", "never-heard-of"})
    assert numbered.signature() == from_records.signature()
    assert_same_answers(from_records, numbered, keys, len(model.log), data)


def test_an_edge_naming_a_number_no_asset_has_is_refused() -> None:
    columns = EdgeColumns(
        array("q", [1]),
        array("q", [5]),
        array("q", [9]),
        array("q", [-1]),
        [None],
        array("q", [ALWAYS]),
        array("q", [OPEN_END]),
    )
    with pytest.raises(KeyError, match="asset number 9"):
        LineageGraph.build_numbered([(5, {"key": "a"})], columns, 1)

"""The compact lineage graph beside the NetworkX one it replaced (#21), on the
same catalogue in the same run: memory, load time, traces, and how much of the
graph a forked worker makes private by walking it.

``catalogue serve`` builds the graph in gunicorn's master and forks; a worker
shares the master's pages until it writes to them, and Python writes to every
object it reads (its reference count). ``private_growth_mb`` forks as gunicorn
does, walks the graph in the child the way traces and asset pages do, and
reads how much the child's private memory grew (``/proc/self/smaps_rollup``).
"""

from __future__ import annotations

import gc
import os
import random
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import summary_ms, timed
from catalogue.services.changes import latest_seq
from catalogue.services.edges import all_edges
from catalogue.services.graph_rows import graph_nodes
from catalogue.store import Catalogue
from lineage import LineageGraph
from lineage.compact import CompactStore
from lineage.store import LineageStore

STORES: dict[str, Callable[[], CompactStore | LineageStore]] = {
    "NetworkX (before)": LineageStore,
    "compact (now)": CompactStore,
}


def private_kb() -> int:
    """This process's private memory (clean + dirty), in kB."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name] = int(rest.split()[0])
    return fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)


def private_growth_mb(walk: Callable[[], None]) -> float:
    """MB by which a forked child's private memory grows while it runs ``walk``
    over what this process holds (frozen out of the collector, as the master is)."""
    gc.collect()
    gc.freeze()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: walk, report, and leave without cleaning up
        try:
            os.close(read)
            before = private_kb()
            walk()
            os.write(write, str(private_kb() - before).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        grown = pipe.read()
    os.waitpid(pid, 0)
    gc.unfreeze()
    return round(int(grown) / 1024, 1) if grown else float("nan")


def build(catalogue: Catalogue, store: Callable[[], CompactStore | LineageStore]) -> LineageGraph:
    with catalogue.read() as session:
        head = latest_seq(session)
        nodes = (values for _, values in graph_nodes(session))
        return LineageGraph.build(nodes, all_edges(session), head, store=store())


def compare(catalogue: Catalogue, traces: int) -> dict[str, dict[str, Any]]:
    """Per store: graph memory (tracemalloc), load seconds, upstream trace of
    reports (p50/p95), and a forked worker's private growth over a walk."""
    return {name: measure(catalogue, store, traces) for name, store in STORES.items()}


def measure(
    catalogue: Catalogue, store: Callable[[], CompactStore | LineageStore], traces: int
) -> dict[str, Any]:
    gc.collect()
    tracemalloc.start()
    probe = build(catalogue, store)
    memory_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del probe
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    graph = build(catalogue, store)
    load_s, load_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    reports = [k for k in graph.asset_keys() if k.startswith("report-")]
    sample = random.Random(3).choices(reports, k=traces)
    it = iter(sample)
    trace_ms = timed(lambda: graph.upstream(next(it)), traces)
    it = iter(sample)
    cpu = time.process_time()
    for _ in range(traces):
        graph.upstream(next(it))
    trace_cpu_ms = (time.process_time() - cpu) * 1000 / traces
    return {
        "graph_memory_mb": round(memory_mb, 1),
        "graph_load_s": round(load_s, 2),
        "graph_load_cpu_s": round(load_cpu_s, 2),
        "trace_graph_ms": summary_ms(trace_ms),
        "trace_cpu_mean_ms": round(trace_cpu_ms, 3),
        "worker_private_growth_mb": private_growth_mb(lambda: walk(graph, sample)),
    }


def walk(graph: LineageGraph, reports: list[str]) -> None:
    """What a worker does between requests: traces up and down, each asset read."""
    for key in reports:
        for hop in graph.upstream(key):
            graph.node(hop.key)
            graph.downstream(hop.key, depth=1)
    for key in graph.asset_keys():
        graph.node(key)


def rows(results: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """One row per measure, the stores side by side."""
    measures = {
        "graph memory (tracemalloc)": lambda r: f"{r['graph_memory_mb']} MB",
        "graph load from database, wall / CPU of this process": lambda r: (
            f"{r['graph_load_s']} / {r['graph_load_cpu_s']} s"
        ),
        "upstream trace, p50 / p95": lambda r: "{p50_ms} / {p95_ms} ms".format(
            **r["trace_graph_ms"]
        ),
        "upstream trace, mean CPU time": lambda r: f"{r['trace_cpu_mean_ms']} ms",
        "forked worker's private growth over a walk": lambda r: (
            f"{r['worker_private_growth_mb']} MB"
        ),
    }
    return [
        {"measure": measure, **{name: show(r) for name, r in results.items()}}
        for measure, show in measures.items()
    ]


def overlay_and_rebase(catalogue: Catalogue, records: int, traces: int) -> dict[str, Any]:
    """The compact graph with ``records`` changes in its overlay (half asset
    updates, half new edges into reports), then folded into a new base: CPU
    time of the fold, and mean CPU time of a trace and of a change's apply
    before and after it (#21)."""
    graph = build(catalogue, lambda: CompactStore(rebase_after=records + 10**6))
    keys = graph.asset_keys()
    reports = [k for k in keys if k.startswith("report-")]
    rng = random.Random(5)
    seq = graph.applied_seq
    record_id = max((e.id for e in graph._store.records()), default=0)

    def change(i: int) -> dict[str, Any]:
        nonlocal seq, record_id
        seq += 1
        if i % 2:
            after: dict[str, Any] = dict(graph.node(rng.choice(keys)), title=f"Changed {i}")
            return {"seq": seq, "action": "asset.update", "after": after}
        record_id += 1
        edge = {"id": record_id, "upstream": rng.choice(keys), "downstream": rng.choice(reports)}
        return {"seq": seq, "action": "edge.add", "after": edge | {"valid_from": "2020-01-01"}}

    for i in range(records):
        graph.apply(change(i))
    sample = rng.choices(reports, k=traces)

    def cpu_ms(work: Callable[[], Any], times: int) -> float:
        started = time.process_time()
        for _ in range(times):
            work()
        return round((time.process_time() - started) * 1000 / times, 3)

    it = iter(sample)
    before = {"trace": cpu_ms(lambda: graph.upstream(next(it)), traces)}
    before["apply"] = cpu_ms(lambda: (graph.apply(change(1)), len(graph)), 50)
    started = time.process_time()
    graph._store = graph._store.rebased()  # what LineageGraph.apply does at the limit
    rebase_s = time.process_time() - started
    it = iter(sample)
    after = {"trace": cpu_ms(lambda: graph.upstream(next(it)), traces)}
    after["apply"] = cpu_ms(lambda: (graph.apply(change(1)), len(graph)), 50)
    return {
        "records": records,
        "rebase_cpu_s": round(rebase_s, 2),
        "before": before,
        "after": after,
    }

"""Lineage at scale: 100,000 assets and 300,000 edges.

Measures loading the graph from the database, applying one change, and the
upstream trace of reports, with the same trace done by a recursive SQL query
(CTE) on the same database printed beside it, and the auditor's trace as of a
past date (the catalogue as loaded) beside the same traces now. Targets: load
≤ 5 s, apply ≤ 5 ms, trace p95 ≤ 10 ms (at 250,000 assets / 750,000 edges too),
as-of trace p95 ≤ 10 ms and ≤ 2× the trace now. Then the compact graph beside
the NetworkX one it replaced (``benchmarks.graph_stores``): memory, load,
traces and what a forked worker makes private by walking it.

    python -m benchmarks.bench_lineage [--assets 100000] [--database-url URL] [--keep]
        [--no-store-comparison]

``--no-store-comparison`` leaves out the stores side by side and the overlay's
fold (both in memory, the same on either backend: `make bench` runs them once,
on SQLite).

``--database-url`` names a PostgreSQL server: the benchmark makes its own
database there and drops it afterwards (``--keep`` leaves it, and the SQLite
file, for the HTTP benchmark of the same run to reuse).
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from datetime import UTC, datetime

from sqlalchemy import select, text

from benchmarks import catalogues, graph_stores
from benchmarks.catalogues import ADMIN
from benchmarks.common import WORK, print_table, save, summary_ms, timed
from catalogue.models import Asset
from catalogue.services import edges
from catalogue.services.changes import writing
from catalogue.services.lineage import trace
from catalogue.services.views import Views
from catalogue.store import Catalogue
from lineage.compact import REBASE_AT_LEAST, REBASE_SHARE

CTE = text("""
WITH RECURSIVE up(id) AS (
    SELECT upstream_id FROM edges WHERE downstream_id = :start AND valid_to IS NULL
    UNION
    SELECT e.upstream_id FROM edges e JOIN up ON e.downstream_id = up.id
    WHERE e.valid_to IS NULL
)
SELECT a.key FROM up JOIN assets a ON a.id = up.id
""")


def bench(
    assets: int, server_url: str | None, traces: int, keep: bool = False, stores: bool = True
) -> dict:
    built = catalogues.build(assets, server_url)
    try:
        result = measure(built, traces, stores)
    except BaseException:
        built.discard()
        raise
    if keep:
        built.keep()
    else:
        built.discard()
    return result


def measure(built: catalogues.BenchCatalogue, traces: int, stores: bool = True) -> dict:
    catalogue = Catalogue(built.settings)
    setup_s, edge_count = built.setup_s, built.edges

    # Memory first, in a build of its own: tracemalloc slows allocation several
    # times over, so the timed load below runs without it.
    gc.collect()
    tracemalloc.start()
    probe = Views(catalogue.sessions, str(WORK / "unused-index"))
    probe.graph()  # held by ``probe`` while memory is read
    graph_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    del probe
    gc.collect()
    started = time.perf_counter()
    views = catalogue.views  # the graph the service calls below read (the index unused)
    graph = views.graph()
    load_s = time.perf_counter() - started

    reports = [k for k in graph.asset_keys() if k.startswith("report-")]
    rng = random.Random(3)
    sample = [rng.choice(reports) for _ in range(traces)]
    with catalogue.read() as session:
        ids = dict(session.execute(select(Asset.key, Asset.id)).all())
    it = iter(sample)
    graph_ms = timed(lambda: graph.upstream(next(it)), traces)
    it = iter(sample)
    with catalogue.reading(ADMIN) as reader:
        cte_ms = timed(lambda: reader.session.execute(CTE, {"start": ids[next(it)]}).all(), traces)
        it = iter(sample[: traces // 4])
        service_ms = timed(lambda: trace(reader, next(it)), traces // 4)
    # The same answer both ways, or the comparison means nothing.
    with catalogue.read() as session:
        probe = sample[0]
        by_sql = {r[0] for r in session.execute(CTE, {"start": ids[probe]})}
    assert by_sql == {h.key for h in graph.upstream(probe)}, "graph and CTE disagree"

    # A moment to trace back to: the catalogue as loaded, before the changes below.
    loaded_at = datetime.now(UTC)
    apply_ms = []
    for i in range(20):  # one new edge at a time: commit, then the view catches up
        up, down = f"source-system-{i:06d}", reports[i]
        with writing(catalogue.sessions, ADMIN, views_of=lambda: views) as writer:
            edges.add_edge(writer, up, down)
        started = time.perf_counter()
        views.graph()
        apply_ms.append((time.perf_counter() - started) * 1000)
    change = {
        "seq": graph.applied_seq + 1,
        "action": "asset.update",
        "key": reports[0],
        "actor": "bench",
        "time": "2026-11-25T00:00:00+00:00",
        "before": None,
        "after": dict(graph.node(reports[0]), title="Changed"),
    }
    pure_apply_ms = timed(lambda: graph.apply(change), 1)[0]
    # The auditor's trace as of a past date beside the same traces now, the
    # graph caught up on both (the changes above are after that date).
    graph = views.graph()
    quarter = sample[: traces // 4]
    with catalogue.reading(ADMIN) as reader:
        it = iter(quarter)
        cpu = time.process_time()
        now_ms = timed(lambda: trace(reader, next(it)), len(quarter))
        now_cpu_ms = (time.process_time() - cpu) * 1000 / len(quarter)
        it = iter(quarter)
        cpu = time.process_time()
        as_of_ms = timed(lambda: trace(reader, next(it), as_of=loaded_at), len(quarter))
        as_of_cpu_ms = (time.process_time() - cpu) * 1000 / len(quarter)
    compared = rebase = None
    if stores:
        compared = graph_stores.compare(catalogue, traces)
        limit = max(REBASE_AT_LEAST, edge_count // REBASE_SHARE)  # the store's own limit
        rebase = graph_stores.overlay_and_rebase(catalogue, limit, traces)
    catalogue.close()
    return {
        "backend": built.backend,
        "assets": built.assets,
        "edges": edge_count,
        "setup_bulk_load_s": round(setup_s, 1),
        "graph_load_s": round(load_s, 2),
        "graph_memory_mb": round(graph_mb, 1),
        "apply_one_change_ms": summary_ms(apply_ms),
        "graph_apply_only_ms": round(pure_apply_ms, 3),
        "trace_graph_ms": summary_ms(graph_ms),
        "trace_cte_ms": summary_ms(cte_ms),
        "trace_service_ms": summary_ms(service_ms),
        "trace_service_now_ms": summary_ms(now_ms),
        "trace_service_as_of_ms": summary_ms(as_of_ms),
        # CPU time of this process, steadier than the wall clock on a shared machine.
        "trace_service_now_cpu_mean_ms": round(now_cpu_ms, 3),
        "trace_service_as_of_cpu_mean_ms": round(as_of_cpu_ms, 3),
        "reports_traced": traces,
        "stores": compared,
        "overlay_rebase": rebase,
    }


def as_of_ratio(result: dict) -> float:
    """The auditor's trace as of a past date over the same trace now, at p95."""
    now = result["trace_service_now_ms"]["p95_ms"]
    return round(result["trace_service_as_of_ms"]["p95_ms"] / now, 2) if now else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--traces", type=int, default=400)
    parser.add_argument("--keep", action="store_true", help="keep the catalogue for bench_http")
    parser.add_argument(
        "--no-store-comparison",
        dest="stores",
        action="store_false",
        help="leave out the NetworkX store beside the compact one, and the overlay's fold",
    )
    args = parser.parse_args()
    result = bench(args.assets, args.database_url, args.traces, args.keep, args.stores)
    rows = [
        {
            "measure": "graph load from database",
            "value": f"{result['graph_load_s']} s",
            "target": "≤ 5 s",
        },
        {
            "measure": "memory of the loaded graph",
            "value": f"{result['graph_memory_mb']} MB",
            "target": "",
        },
        {
            "measure": "apply one change (catch-up incl. SQL), p95",
            "value": f"{result['apply_one_change_ms']['p95_ms']} ms",
            "target": "≤ 5 ms",
        },
        {
            "measure": "graph.apply of one change",
            "value": f"{result['graph_apply_only_ms']} ms",
            "target": "≤ 5 ms",
        },
        {
            "measure": "upstream trace, graph, p50 / p95",
            "value": "{p50_ms} / {p95_ms} ms".format(**result["trace_graph_ms"]),
            "target": "p95 ≤ 10 ms",
        },
        {
            "measure": "upstream trace, recursive CTE, p50 / p95",
            "value": "{p50_ms} / {p95_ms} ms".format(**result["trace_cte_ms"]),
            "target": "baseline",
        },
        {
            "measure": "auditor's trace (service: rows, owners, inheritance), p95",
            "value": f"{result['trace_service_ms']['p95_ms']} ms",
            "target": "",
        },
        {
            "measure": "auditor's trace as of a past date (service), p50 / p95",
            "value": "{p50_ms} / {p95_ms} ms".format(**result["trace_service_as_of_ms"]),
            "target": "p95 ≤ 10 ms",
        },
        {
            "measure": "  the same traces now, p50 / p95; as of ÷ now at p95",
            "value": "{p50_ms} / {p95_ms} ms".format(**result["trace_service_now_ms"])
            + f"; {as_of_ratio(result)}×",
            "target": "≤ 2×",
        },
        {
            "measure": "  CPU time a trace, mean: as of / now",
            "value": f"{result['trace_service_as_of_cpu_mean_ms']} / "
            f"{result['trace_service_now_cpu_mean_ms']} ms",
            "target": "",
        },
    ]
    print_table(
        f"Lineage, {result['assets']:,} assets / {result['edges']:,} edges ({result['backend']})",
        rows,
    )
    # 100,000 keeps its old name (the HTTP benchmark and the summary read it).
    size = "" if result["assets"] == 100_000 else f"-{result['assets']}"
    save(f"lineage-{result['backend']}{size}", result)
    if result["stores"] is None:
        return
    print_table(
        f"The graph's store, before and after (#21), {result['assets']:,} assets",
        graph_stores.rows(result["stores"]),
    )
    rebase = result["overlay_rebase"]
    print_table(
        f"The compact graph's overlay at its limit ({rebase['records']:,} records), "
        "folded into a new base in memory: CPU time",
        [
            {
                "measure": measure,
                "overlay": f"{rebase['before'][name]} ms",
                "after the fold": f"{rebase['after'][name]} ms",
            }
            for measure, name in (("upstream trace, mean", "trace"), ("apply a change", "apply"))
        ]
        + [
            {
                "measure": "the fold itself",
                "overlay": "",
                "after the fold": f"{rebase['rebase_cpu_s']} s",
            }
        ],
    )


if __name__ == "__main__":
    main()

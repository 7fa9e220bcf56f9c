"""Lineage at scale: 100,000 assets and 300,000 edges.

Measures loading the graph from the database, applying one change, and the
upstream trace of reports, with the same trace done by a recursive SQL query
(CTE) on the same database printed beside it. Targets: load ≤ 5 s, apply ≤ 5 ms,
trace p95 ≤ 10 ms.

    python -m benchmarks.bench_lineage [--assets 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc

from sqlalchemy import select, text

from benchmarks.common import WORK, print_table, save, scratch_env, summary_ms, timed
from benchmarks.generate import generate
from catalogue.config import load_settings
from catalogue.migrate import upgrade
from catalogue.models import Asset
from catalogue.services import edges
from catalogue.services.access import operator
from catalogue.services.apply import execute_plan, plan_apply
from catalogue.services.catalogue_file import SourceRecord
from catalogue.services.changes import writing
from catalogue.services.lineage import trace
from catalogue.services.views import Views
from catalogue.store import Catalogue
from lineage import LineageGraph

ADMIN = operator("bench")
CTE = text("""
WITH RECURSIVE up(id) AS (
    SELECT upstream_id FROM edges WHERE downstream_id = :start AND valid_to IS NULL
    UNION
    SELECT e.upstream_id FROM edges e JOIN up ON e.downstream_id = up.id
    WHERE e.valid_to IS NULL
)
SELECT a.key FROM up JOIN assets a ON a.id = up.id
""")


def load_catalogue(catalogue: Catalogue, assets: int) -> tuple[float, int]:
    """Write a generated catalogue through the same plan-and-apply path as a file."""
    records = [SourceRecord(f"generated:{i}", r) for i, r in enumerate(generate(assets))]
    started = time.perf_counter()
    with writing(catalogue.sessions, ADMIN) as writer:
        plan = plan_apply(writer.session, records, LineageGraph(), ADMIN)
        execute_plan(writer, plan)
    return time.perf_counter() - started, plan.counts()["edges added"]


def bench(assets: int, database_url: str | None, traces: int) -> dict:
    env = scratch_env(f"lineage-{assets}", database_url)
    settings = load_settings(
        {"instance_path": env["CATALOGUE_INSTANCE_PATH"], "database_url": database_url or ""}
    )
    upgrade(settings.resolved_database_url)
    catalogue = Catalogue(settings)
    setup_s, edge_count = load_catalogue(catalogue, assets)

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
    views = Views(catalogue.sessions, str(WORK / "unused-index"))
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
    with catalogue.read() as session:
        cte_ms = timed(lambda: session.execute(CTE, {"start": ids[next(it)]}).all(), traces)
        it = iter(sample[: traces // 4])
        service_ms = timed(lambda: trace(session, graph, next(it), ADMIN), traces // 4)
    # The same answer both ways, or the comparison means nothing.
    with catalogue.read() as session:
        probe = sample[0]
        by_sql = {r[0] for r in session.execute(CTE, {"start": ids[probe]})}
    assert by_sql == {h.key for h in graph.upstream(probe)}, "graph and CTE disagree"

    apply_ms = []
    for i in range(20):  # one new edge at a time: commit, then the view catches up
        up, down = f"source-system-{i:06d}", reports[i]
        with writing(catalogue.sessions, ADMIN) as writer:
            edges.add_edge(writer, up, down, graph)
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
    catalogue.close()
    return {
        "backend": "postgresql" if database_url else "sqlite",
        "assets": assets,
        "edges": edge_count,
        "setup_apply_s": round(setup_s, 1),
        "graph_load_s": round(load_s, 2),
        "graph_memory_mb": round(graph_mb, 1),
        "apply_one_change_ms": summary_ms(apply_ms),
        "graph_apply_only_ms": round(pure_apply_ms, 3),
        "trace_graph_ms": summary_ms(graph_ms),
        "trace_cte_ms": summary_ms(cte_ms),
        "trace_service_ms": summary_ms(service_ms),
        "reports_traced": traces,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--traces", type=int, default=400)
    args = parser.parse_args()
    result = bench(args.assets, args.database_url, args.traces)
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
    ]
    print_table(
        f"Lineage, {result['assets']:,} assets / {result['edges']:,} edges ({result['backend']})",
        rows,
    )
    save(f"lineage-{result['backend']}", result)


if __name__ == "__main__":
    main()

"""The headline figures of a `make bench` run against their targets, read back
from the JSON files in benchmarks/results/ (so it shows what was measured, and
says what was not run).

    python -m benchmarks.summary
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from benchmarks.bench_lineage import as_of_ratio
from benchmarks.common import RESULTS, print_table

Row = dict[str, Any]


def _load(name: str) -> Any:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _row(
    measure: str,
    backend: str,
    value: float,
    unit: str,
    limit: float | None,
    at_least: bool = False,
) -> Row:
    """A summary row; the verdict compares ``value`` with ``limit`` (at most, or
    ``at_least``)."""
    verdict = ""
    if limit is not None:
        met = value >= limit if at_least else value <= limit
        verdict = "met" if met else "NOT met"
    sign = "≥" if at_least else "≤"
    target = "" if limit is None else f"{sign} {limit:g} {unit}".strip()
    return {
        "measure": measure,
        "backend": backend,
        "figure": f"{value:g} {unit}".strip(),
        "target": target,
        "verdict": verdict,
    }


def _apply_rows(data: Any) -> Iterator[Row]:
    for r in data["rows"]:
        limit = 10.0 if r["assets"] == 10_000 else None  # was 20 s before #21
        measure = f"apply {r['assets']:,} assets (command)"
        yield _row(measure, r["backend"], r["apply_s"], "s", limit)


def _demo_rows(data: Any) -> Iterator[Row]:
    for r in data["rows"]:
        yield _row("load the demo borough (command)", r["backend"], r["demo_s"], "s", r["target_s"])


def _lineage_rows(data: Any) -> Iterator[Row]:
    full = data["assets"] == 100_000
    traced = data["assets"] in (100_000, 250_000)  # trace target at both sizes (#21)
    n, b = f"{data['assets']:,}", data["backend"]
    yield _row(f"graph load, {n} assets", b, data["graph_load_s"], "s", 5 if full else None)
    p95 = data["apply_one_change_ms"]["p95_ms"]
    yield _row(f"one change caught up, p95, {n}", b, p95, "ms", 5 if full else None)
    p95 = data["trace_graph_ms"]["p95_ms"]
    yield _row(f"upstream trace (graph), p95, {n}", b, p95, "ms", 10 if traced else None)
    p95 = data["trace_cte_ms"]["p95_ms"]
    yield _row(f"same trace, recursive CTE, p95, {n}", b, p95, "ms", None)
    if "trace_service_as_of_ms" in data:
        p95 = data["trace_service_as_of_ms"]["p95_ms"]
        yield _row(
            f"auditor's trace as of a past date, p95, {n}", b, p95, "ms", 10 if full else None
        )
        ratio = as_of_ratio(data)
        yield _row(f"  as of ÷ the same trace now, p95, {n}", b, ratio, "×", 2 if full else None)
    # The memory target's "before": the NetworkX graph beside the compact one, measured
    # where the run compared them (once, on SQLite; the size is in the measure).
    for store, result in (data.get("stores") or {}).items():
        memory = result["graph_memory_mb"]
        yield _row(f"graph memory, {store} store, {n}", b, memory, "MB", None)
        growth = result["worker_private_growth_mb"]
        yield _row(f"  a forked worker's private growth, {store}, {n}", b, growth, "MB", None)


def _workers_rows(data: Any) -> Iterator[Row]:
    n, b, w = f"{data['assets']:,}", data["backend"], data["workers"]
    full, large = data["assets"] == 100_000, data["assets"] == 250_000
    command = f"`catalogue serve --workers {w}`"
    yield _row(f"{command} ready, {n}", b, data["ready_s"], "s", 20 if large else None)
    pss = max(m["pss_mb"] for m in data["worker_memory"])
    yield _row(f"each worker's memory (PSS), {n}", b, pss, "MB", 250 if full else None)
    rss = max(m["rss_mb"] for m in data["worker_memory"])
    yield _row(f"  its RSS, shared pages counted in full, {n}", b, rss, "MB", None)
    yield _row(
        f"sum of PSS, {w} workers + master, {n}",
        b,
        data["pss_sum_mb"],
        "MB",
        1200 if full else None,
    )


def _search_rows(data: Any) -> Iterator[Row]:
    full = data["assets"] >= 100_000
    large = data["assets"] >= 250_000
    n = f"{data['assets']:,} assets, {data['columns']:,} columns"
    yield _row(f"index build alone (in memory), {n}", "-", data["index_build_s"], "s", None)
    yield _row(
        f"search warm p95, {data['queries']} queries, {n}",
        "-",
        data["warm_p95_ms"],
        "ms",
        30 if full else None,
    )
    yield _row(
        f"search cold p95 / warm p95, {n}",
        "-",
        data["cold_over_warm_p95"],
        "×",
        2 if full else None,
    )
    for r in data["classes"][:-1]:
        limit = 2 if full else None
        yield _row(
            f"search {r['class']} p50 / lean FTS5 p50 (spelt), {n}",
            "-",
            r["warm/lean p50"],
            "×",
            limit,
        )
    yield _row(
        f"search p95 / full FTS5 p95, {n}",
        "-",
        data["warm_over_full_p95"],
        "×",
        1 if full else None,
    )
    if "warm_over_lean_p95" in data:  # the 250,000-asset target: ≤ 5× FTS5 on the same corpus
        ratio = data["warm_over_lean_p95"]
        yield _row(f"search p95 / lean FTS5 p95, {n}", "-", ratio, "×", 5 if large else None)


def _relevance_rows(data: Any) -> Iterator[Row]:
    n = f"{data['datasets']:,}"
    limit = data["target_p95_ms"]
    yield _row(f"staff queries, warm p95, {n} real", "-", data["warm_ms"]["p95_ms"], "ms", limit)
    yield _row(f"staff queries, cold p95, {n} real", "-", data["cold_ms"]["p95_ms"], "ms", None)


def _http_rows(data: Any) -> Iterator[Row]:
    for result in data["results"]:
        b, n = result["backend"], f"{result['assets']:,}"
        full = result["assets"] == 100_000
        for s in result["scenarios"]:
            limits = {
                "search page": data["target_search_p95_ms"],
                "search API": data["target_search_p95_ms"],
                "wide asset page": data.get("target_wide_p95_ms"),
            }
            limit = limits.get(s["scenario"]) if full else None
            measure = f"HTTP {s['scenario']}, {s['clients']} clients, p95, {n}"
            yield _row(measure, b, s["p95_ms"], "ms", limit)
        rates = {s["scenario"]: s["req_per_s"] for s in result["scenarios"]}
        if rates.get("Datasette search"):
            ratio = round(rates["search API"] / rates["Datasette search"], 2)
            measure = f"HTTP search API req/s / Datasette FTS5 req/s, {n}"
            yield _row(measure, b, ratio, "×", 1.5 if full else None, at_least=True)
        errors = sum(s["errors"] for s in result["scenarios"])
        yield _row(f"HTTP errors, all scenarios, {n}", b, errors, "", 0)
        rss = max((w["rss_mb"] for w in result["workers"]), default=0.0)
        yield _row(f"worker memory (RSS) after load, {n}", b, rss, "MB", None)
        rebuild = result["index_rebuild_s"]
        yield _row(f"catalogue index rebuild (command), {n}", b, rebuild, "s", 15 if full else None)


def _harvest_rows(data: Any) -> Iterator[Row]:
    full = data["tables"] == 2000 and data["views"] == 500
    n = f"{data['tables']:,} tables + {data['views']:,} views"
    for run in data["runs"]:
        limit = run["target_s"] if full and run["target_s"] != "-" else None
        yield _row(f"harvest, {run['run']}, {n}", "postgresql", run["seconds"], "s", limit)
    peak = max(run["peak_mb"] for run in data["runs"])
    yield _row(f"harvest peak memory, {n}", "postgresql", peak, "MB", None)


def _cli_start_rows(data: Any) -> Iterator[Row]:
    for r in data["rows"]:
        cpu = r["cpu_s (median)"]
        limit = data["target_cpu_s"] if r["target"] else None
        yield _row(f"{r['command']}, CPU, median", "sqlite", cpu, "s", limit)


def _notify_rows(data: Any) -> Iterator[Row]:
    full = data["changes"] >= 10_000 and data["watchers"] >= 1_000
    measure = f"notify fan-out, {data['changes']:,} changes to {data['watchers']:,} watchers"
    seconds = data["graph_build_s"] + data["fan_out_s"]
    yield _row(measure, data["backend"], round(seconds, 2), "s", 30 if full else None)
    yield _row("notify worker memory (peak RSS)", data["backend"], data["peak_rss_mb"], "MB", None)


SECTIONS: list[tuple[str, Callable[[Any], Iterator[Row]]]] = [
    ("apply", _apply_rows),
    ("demo", _demo_rows),
    ("lineage-sqlite", _lineage_rows),
    ("lineage-postgresql", _lineage_rows),
    ("lineage-sqlite-250000", _lineage_rows),
    ("workers-sqlite-100000", _workers_rows),
    ("workers-postgresql-100000", _workers_rows),
    ("workers-sqlite-250000", _workers_rows),
    ("search", _search_rows),
    ("search-250000", _search_rows),
    ("relevance", _relevance_rows),
    ("http", _http_rows),
    ("harvest", _harvest_rows),
    ("cli-start", _cli_start_rows),
    ("notify-sqlite", _notify_rows),
]


def print_summary(quick: bool = False, postgres: bool = True) -> list[Row]:
    """Print the summary table; returns its rows. Missing results are named."""
    rows: list[Row] = []
    missing = []
    for name, rows_of in SECTIONS:
        data = _load(name)
        if data is None:
            missing.append(name)
        else:
            rows += list(rows_of(data))
    title = "Summary: headline figures against targets"
    if quick:
        title += " (--quick: small sizes, so no verdicts on speed)"
    print_table(title, rows)
    if not postgres:
        print(
            "\nPostgreSQL rows were NOT run: set CATALOGUE_BENCH_POSTGRES_URL (or "
            "CATALOGUE_TEST_POSTGRES_URL) to a server where the role may create databases."
        )
    if missing:
        print(f"\nNo results from: {', '.join(missing)}")
    return rows


if __name__ == "__main__":
    print_summary()

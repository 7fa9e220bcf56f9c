"""Search at scale: the catalogue's index against SQLite FTS5 on the same corpus,
in the same run.

Builds the index from N generated assets (datasets carrying ``--columns``
columns each, so 250,000 assets × 20 columns is 5 million columns indexed), then
runs a mix of at least 200 distinct queries in six classes (benchmarks/
search_mix.py: word, typo, prefix, phrase, exact title, faceted):

- cold: each query the first time this process sees it, on an index opened and
  warmed as `catalogue serve`'s master does before forking its workers
  (SearchIndex.warm: the spelling dictionary, common words' bitmaps, facet
  tables; its cost is printed), so rarer words' bitmaps are built on first use,
  as in a worker just started;
- warm: the same queries again, ``--rounds`` times;
- against two FTS5 baselines: lean (top 20 by bm25 + count) and full (with the
  same six facets), each also *spelt*: with a spelling step of its own when it
  finds nothing (search_mix.fts_spelt), so a misspelt query is the same job on
  both sides. The ratios are taken against the spelt baselines; the figures
  without correction are printed beside them, and so is how many queries of each
  class found anything on each side.

Targets (issue #21): warm p95 ≤ 30 ms; cold p95 ≤ 2× warm p95; within 2× of
lean FTS5 at p50 in every class; ahead of full FTS5 (p95). The index build here
is the index alone, from records in memory; what a user runs, `catalogue index
rebuild` from the database, is measured by bench_http (and bench_rebuild).

Two aids for changing the search code: ``--keep`` reuses the index an earlier run
built for the same assets and columns (250,000 assets take minutes to index), and
``--digest`` prints one hash of every query's results (hits, scores, highlights,
facets and counts, on pages 1 and 2 and for a viewer of open assets only) and
writes each query's own hash to a file, so runs before and after a change can be
compared.

    python -m benchmarks.bench_search [--assets 100000] [--columns 4] [--rounds 3]
        [--keep] [--digest]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import WORK, print_table, save, summary_ms, timed
from benchmarks.generate import generate
from benchmarks.search_mix import (
    CLASSES,
    MixQuery,
    build_fts,
    fts_full,
    fts_lean,
    fts_spelt,
    query_mix,
)
from search import SearchIndex, SearchRequest, Visibility

#: Terms other benchmarks (bench_http) send as staff would.
QUERIES = [
    "council tax",
    "bins",
    "school places",
    "parking permits",
    "air quality",
    "budget monitoring",
    "street lighting",
    "potholes",
    "payroll",
    "recycling",
    "complaints",
    "licensing",
    "housing benefit",
    "trees",
    "library loans",
    "fly-tipping",
    "electric vehicle charging",
    "immunisation",
    "planning applications",
    "safeguarding",
]
P95_TARGET_MS = 30.0
COLD_RATIO_TARGET = 2.0
LEAN_P50_RATIO_TARGET = 2.0


def as_records(n: int, columns: int = 4) -> list[dict]:
    """``n`` generated asset records; each dataset gets ``columns`` columns."""
    now = datetime.now(UTC).isoformat()
    records = generate(n)
    for r in records:
        r.pop("upstream", None)
        r.setdefault("status", "active")
        r.update(version=1, created_at=now, updated_at=now)
        have = r.get("columns")
        if have and len(have) != columns:
            r["columns"] = [
                {**have[j % len(have)], "name": f"{have[j % len(have)]['name']}_{j}"}
                for j in range(columns)
            ]
    return records


def _request(query: MixQuery) -> SearchRequest:
    return SearchRequest(q=query.q, filters=query.filters)


ENGINES = ("cold", "warm", "lean", "full", "lean spelt", "full spelt", "cold cpu", "warm cpu")


def _search_ms(index: SearchIndex, query: MixQuery) -> tuple[float, float]:
    """(wall-clock, CPU) milliseconds of one search: on a busy machine the CPU
    time is what the code costs, the wall clock adds the waits for a core."""
    started, cpu = time.perf_counter(), time.process_time()
    index.search(_request(query))
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def measure(
    index: SearchIndex, db: Any, mix: list[MixQuery], rounds: int
) -> tuple[dict[str, dict], dict[str, dict[str, int]]]:
    """Milliseconds per query, by engine and class (cold first, then warm), and how
    many queries of each class found anything, by engine."""
    ms: dict[str, dict[str, list[float]]] = {e: {c: [] for c in CLASSES} for e in ENGINES}
    answered = {e: dict.fromkeys(CLASSES, 0) for e in ("catalogue", "FTS5", "FTS5 spelt")}
    for query in mix:  # the first time each query is asked
        wall, cpu = _search_ms(index, query)
        ms["cold"][query.kind].append(wall)
        ms["cold cpu"][query.kind].append(cpu)
    for query in mix:  # FTS5 once over, so both engines are warm
        answered["catalogue"][query.kind] += index.search(_request(query)).total > 0
        answered["FTS5"][query.kind] += bool(fts_full(db, query))
        answered["FTS5 spelt"][query.kind] += bool(fts_spelt(db, query, fts_full))
    for _ in range(rounds):
        for query in mix:
            wall, cpu = _search_ms(index, query)
            ms["warm"][query.kind].append(wall)
            ms["warm cpu"][query.kind].append(cpu)
            ms["lean"][query.kind] += timed(lambda q=query: fts_lean(db, q), 1)
            ms["full"][query.kind] += timed(lambda q=query: fts_full(db, q), 1)
            ms["lean spelt"][query.kind] += timed(lambda q=query: fts_spelt(db, q, fts_lean), 1)
            ms["full spelt"][query.kind] += timed(lambda q=query: fts_spelt(db, q, fts_full), 1)
    return ms, answered


#: The requests each query is asked as for --digest: the first page, the second,
#: and the first as a viewer who may see open assets only.
DIGEST_VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"page": 2},
    {"visibility": Visibility(access=frozenset({"open"}))},
)


def results_digest(index: SearchIndex, mix: list[MixQuery]) -> tuple[str, list[str]]:
    """(one hash of every query's results, a line per query: its hash and text)."""
    every, lines = hashlib.sha256(), []
    for query in mix:
        one = hashlib.sha256()
        for variant in DIGEST_VARIANTS:
            found = index.search(SearchRequest(q=query.q, filters=query.filters, **variant))
            one.update(repr(dataclasses.asdict(found)).encode())
        every.update(one.digest())
        lines.append(f"{one.hexdigest()[:16]} {query.kind}: {query.q} {query.filters}")
    return every.hexdigest()[:16], lines


def build_index(folder: Any, records: list[dict], columns: int, keep: bool) -> float | None:
    """Index `records` into `folder`; seconds taken, or None when `keep` found an
    index built there for the same assets and columns."""
    marker = folder / "bench-search.json"
    built_for = {"assets": len(records), "columns": columns}
    if keep and marker.exists() and json.loads(marker.read_text()) == built_for:
        return None
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    with SearchIndex(folder) as built:
        built.rebuild(records, 1)
    marker.write_text(json.dumps(built_for))
    return time.perf_counter() - started


def class_rows(ms: dict[str, dict], answered: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    rows = []
    for kind in (*CLASSES, "all"):

        def of(engine: str, kind: str = kind) -> dict[str, float]:
            values = ms[engine][kind] if kind != "all" else sum(ms[engine].values(), [])
            return summary_ms(values)

        def found(engine: str, kind: str = kind) -> int:
            return answered[engine][kind] if kind != "all" else sum(answered[engine].values())

        cold, warm = of("cold"), of("warm")
        cold_cpu, warm_cpu = of("cold cpu"), of("warm cpu")
        lean, full, lean_spelt, full_spelt = (
            of("lean"),
            of("full"),
            of("lean spelt"),
            of("full spelt"),
        )
        rows.append(
            {
                "class": kind,
                "cold p50": cold["p50_ms"],
                "cold p95": cold["p95_ms"],
                "warm p50": warm["p50_ms"],
                "warm p95": warm["p95_ms"],
                "lean FTS5 p50, no correction": lean["p50_ms"],
                "lean FTS5 p50": lean_spelt["p50_ms"],
                "lean FTS5 p95": lean_spelt["p95_ms"],
                "full FTS5 p95, no correction": full["p95_ms"],
                "full FTS5 p50": full_spelt["p50_ms"],
                "full FTS5 p95": full_spelt["p95_ms"],
                "warm/lean p50": round(warm["p50_ms"] / lean_spelt["p50_ms"], 2),
                "warm/full p95": round(warm["p95_ms"] / full_spelt["p95_ms"], 2),
                "warm/lean p95": round(warm["p95_ms"] / lean_spelt["p95_ms"], 2),
                "cold/warm p95": round(cold["p95_ms"] / warm["p95_ms"], 2),
                "CPU: cold / warm p95": f"{cold_cpu['p95_ms']:.2f} / {warm_cpu['p95_ms']:.2f}",
                "CPU: cold/warm p95": round(cold_cpu["p95_ms"] / warm_cpu["p95_ms"], 2),
                "found: catalogue / FTS5 spelt / FTS5": (
                    f"{found('catalogue')}/{found('FTS5 spelt')}/{found('FTS5')}"
                ),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=4, help="columns per dataset")
    parser.add_argument("--per-class", type=int, default=40, help="distinct queries per class")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--keep", action="store_true", help="reuse an index built for the same assets and columns"
    )
    parser.add_argument(
        "--digest", action="store_true", help="print a hash of every query's results"
    )
    args = parser.parse_args()
    records = as_records(args.assets, args.columns)
    columns = sum(len(r.get("columns", [])) for r in records)
    folder = WORK / f"search-{args.assets}"
    build_s = build_index(folder, records, args.columns, args.keep)
    mix = query_mix(records, args.per_class)
    db, fts_build_s = build_fts(records)
    del records
    with SearchIndex(folder) as index:
        started, cpu = time.perf_counter(), time.process_time()
        index.warm()  # as `catalogue serve`'s master before it forks workers
        warm_s, warm_cpu_s = time.perf_counter() - started, time.process_time() - cpu
        index.search(SearchRequest(q=""))  # opens the searcher: not a query's cost
        ms, answered = measure(index, db, mix, args.rounds)
        preloaded_mb = index.preloaded_bytes / 1e6
        digest = results_digest(index, mix) if args.digest else None
    rows = class_rows(ms, answered)
    every = rows[-1]
    result = {
        "assets": args.assets,
        "columns": columns,
        "queries": len(mix),
        "rounds": args.rounds,
        "index_build_s": None if build_s is None else round(build_s, 1),
        "warm_up_s": round(warm_s, 2),
        "warm_up_cpu_s": round(warm_cpu_s, 2),
        "preloaded_mb": round(preloaded_mb, 1),
        "fts5_build_s": round(fts_build_s, 1),
        "classes": rows,
        "warm_p95_ms": every["warm p95"],
        "cold_p95_ms": every["cold p95"],
        "cold_over_warm_p95": every["cold/warm p95"],
        "cold_over_warm_p95_cpu": every["CPU: cold/warm p95"],
        "worst_warm_over_lean_p50": max(r["warm/lean p50"] for r in rows[:-1]),
        "warm_over_full_p95": every["warm/full p95"],
        "warm_over_lean_p95": every["warm/lean p95"],
    }
    built = "kept from an earlier run" if build_s is None else f"built in {build_s:.1f} s"
    print_table(
        f"Search, {args.assets:,} assets, {columns:,} columns, {len(mix)} distinct queries "
        f"(cold once, warm ×{args.rounds}), milliseconds; index {built} "
        f"(index alone), FTS5 in {fts_build_s:.1f} s; warmed in {warm_s:.2f} s "
        f"({warm_cpu_s:.2f} s CPU, common words' bitmaps {preloaded_mb:.1f} MB)",
        rows,
    )
    print(
        f"targets: warm p95 ≤ {P95_TARGET_MS:g} ms; cold/warm p95 ≤ {COLD_RATIO_TARGET:g} "
        "(also given in CPU time, which a busy machine moves least); "
        f"warm/lean p50 ≤ {LEAN_P50_RATIO_TARGET:g} in every class; warm/full p95 < 1 "
        "(FTS5 with its spelling step; 'no correction' columns without it)"
    )
    if digest is not None:
        result["results_digest"] = digest[0]
        lines = WORK / f"search-{args.assets}-digest.txt"
        lines.write_text("\n".join(digest[1]) + "\n", encoding="utf-8")
        print(f"results digest {digest[0]} (each query's in {lines})")
    # 100,000 assets is make bench's step; any other size (--large's 250,000) keeps its own file
    save("search" if args.assets == 100_000 else f"search-{args.assets}", result)


if __name__ == "__main__":
    main()

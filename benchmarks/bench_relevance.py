"""Search on a real catalogue: the Scottish councils' 2,127 datasets, indexed as
`catalogue import ckan` maps them, and the relevance tests' staff queries (plain
and misspelt) timed first-time (cold) and repeated (warm). This was a timed
assertion in the test suite until #12; timing belongs here, where the machine
can be quiet, not in a shared test run.

    python -m benchmarks.bench_relevance [--repeat N]

The corpus is ../shared/data/catalogues/opendata-scotland.jsonl, or the file
named by CATALOGUE_BENCH_SCOTLAND.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, print_table, save, summary_ms, timed
from catalogue.importers.ckan import package_to_record, read_packages
from search import SearchIndex, SearchRequest
from tests.search.test_relevance_scotland import MISSPELT, OFFICER_QUERIES

#: p95 of a warm query, in ms: the target the test suite used to assert.
TARGET_P95_MS = 50.0
CORPUS = ROOT.parent / "shared" / "data" / "catalogues" / "opendata-scotland.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs of each query")
    args = parser.parse_args()
    corpus = Path(os.environ.get("CATALOGUE_BENCH_SCOTLAND") or CORPUS)
    if not corpus.exists():
        raise SystemExit(f"no corpus at {corpus}: set CATALOGUE_BENCH_SCOTLAND")
    records = [package_to_record(pkg) for _, pkg in read_packages(corpus)]
    queries = [q for q, _ in OFFICER_QUERIES] + [q for q, _, _ in MISSPELT]
    with tempfile.TemporaryDirectory() as folder:
        index = SearchIndex(Path(folder) / "index")
        started = time.perf_counter()
        index.rebuild(records, seq=len(records))
        indexed_s = time.perf_counter() - started
        cold = [t for q in queries for t in timed(lambda q=q: index.search(SearchRequest(q=q)), 1)]
        warm = [
            t
            for q in queries
            for t in timed(lambda q=q: index.search(SearchRequest(q=q)), args.repeat)
        ]
        index.close()
    rows = [
        {"queries": f"{len(queries)} first-time (cold)", **summary_ms(cold)},
        {"queries": f"{len(queries)} × {args.repeat} repeated (warm)", **summary_ms(warm)},
    ]
    print_table(
        f"Staff queries on the Scottish catalogue ({len(records):,} datasets, "
        f"indexed in {indexed_s:.2f} s); target: warm p95 ≤ {TARGET_P95_MS:g} ms",
        rows,
    )
    save(
        "relevance",
        {
            "datasets": len(records),
            "index_s": round(indexed_s, 3),
            "cold_ms": summary_ms(cold),
            "warm_ms": summary_ms(warm),
            "target_p95_ms": TARGET_P95_MS,
        },
    )


if __name__ == "__main__":
    main()

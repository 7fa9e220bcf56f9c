"""`make bench`: every benchmark, one after another, each printing its table and
writing JSON under benchmarks/results/, then one summary of the headline
figures against their targets.

    python -m benchmarks.run [--quick] [--large]   # --large: the 250,000-asset steps too

PostgreSQL rows run on the server named by CATALOGUE_BENCH_POSTGRES_URL (else
CATALOGUE_TEST_POSTGRES_URL): each benchmark makes its own databases there and
drops them. Without either variable only SQLite runs, and the summary says so.
The 100,000-asset catalogue the lineage benchmark builds on each backend is kept
for the HTTP benchmark, so it is built once per backend.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from benchmarks.catalogues import discard_kept, postgres_server_url
from benchmarks.common import RESULTS
from benchmarks.summary import print_summary

#: --quick: each size argument is replaced once (the harvest's 2,000 tables and
#: 500 views become 200 and 50; apply's 1,000 assets are 500).
QUICK = {
    "1000": "500",
    "10000": "2000",
    "100000": "5000",
    "250000": "8000",
    "10": "3",
    "2000": "200",
    "500": "50",
}


def steps(pg: str | None, large: bool = False) -> list[tuple[str, list[str]]]:
    """(name, argv) of each step; PostgreSQL runs only with a server."""
    on_pg = ["--database-url", pg] if pg else []
    out = [
        ("apply", ["benchmarks.bench_apply", "--assets", "1000", "10000", *on_pg]),
        ("demo", ["benchmarks.bench_demo", *on_pg]),
        ("lineage sqlite", ["benchmarks.bench_lineage", "--assets", "100000", "--keep"]),
    ]
    # Workers sharing memory (#21), and the edit form's pickers (#17), on the
    # catalogue the lineage step kept.
    out.append(("workers sqlite", ["benchmarks.bench_workers", "--assets", "100000"]))
    out.append(("pickers sqlite", ["benchmarks.bench_pickers", "--assets", "100000"]))
    if pg:
        lineage_pg = ["benchmarks.bench_lineage", "--assets", "100000", *on_pg, "--keep"]
        out.append(("lineage postgresql", lineage_pg))
        out.append(
            ("workers postgresql", ["benchmarks.bench_workers", "--assets", "100000", *on_pg])
        )
    if large:  # 250,000 assets / 750,000 edges (#21): trace p95, then a worker's start on it
        out.append(("lineage 250k", ["benchmarks.bench_lineage", "--assets", "250000", "--keep"]))
        out.append(
            ("workers 250k", ["benchmarks.bench_workers", "--assets", "250000", "--discard"])
        )
        # the search corpus: 250,000 assets with 5 million columns indexed (23 a
        # dataset: not every generated asset is a dataset; 20 gives 4.35 million)
        search_250k = ["--assets", "250000", "--columns", "23", "--rounds", "1"]
        out.append(("search 250k", ["benchmarks.bench_search", *search_250k]))
    out += [
        # 100,000 assets with 20 columns each (2M columns): the 250,000 with 5M
        # columns does not fit the run's time on this machine (docs/performance.md).
        ("search", ["benchmarks.bench_search", "--assets", "100000", "--columns", "20"]),
        ("relevance", ["benchmarks.bench_relevance"]),
        ("http", ["benchmarks.bench_http", "--assets", "100000", "--duration", "10", *on_pg]),
        # The 1,000-column page, one request at a time: record read before and after (#21).
        ("wide page", ["benchmarks.bench_wide_page", "--assets", "2000"]),
        # CKAN package_search from the index vs every package loaded (#12); the full
        # search takes seconds a request at 10,000, so not at 100,000.
        ("ckan", ["benchmarks.bench_ckan", "--assets", "1000", "10000", *on_pg]),
        ("cli start", ["benchmarks.bench_cli_start"]),
        ("notify", ["benchmarks.bench_notify", "--watchers", "1000", "--changes", "10000"]),
        ("grants", ["benchmarks.bench_grants", "--assets", "10000", "--requests", "20000"]),
    ]
    if pg:  # the wide page's statements and connections on PostgreSQL (#21)
        out.append(
            ("wide page postgresql", ["benchmarks.bench_wide_page", "--assets", "2000", *on_pg])
        )
    if pg:  # a harvest of a generated PostgreSQL source (#15): PostgreSQL only
        out.append(
            ("harvest", ["benchmarks.bench_harvest", "--tables", "2000", "--views", "500", *on_pg])
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--large",
        action="store_true",
        help="add the 250,000-asset steps (#21), beyond make bench's 20 minutes",
    )
    args = parser.parse_args()
    pg = postgres_server_url()
    for old in RESULTS.glob("*.json"):  # the summary reads only this run's results
        old.unlink()
    started_run = time.perf_counter()
    failed = []
    try:
        for name, argv in steps(pg, args.large):
            if args.quick:
                argv = [QUICK.get(a, a) for a in argv]
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", *argv])
            print(f"[{name}: {time.perf_counter() - started:.0f} s]", flush=True)
            if done.returncode != 0:
                failed.append(name)
    finally:
        discard_kept()
    print_summary(quick=args.quick, postgres=pg is not None)
    print(f"\n[make bench: {time.perf_counter() - started_run:.0f} s in all]")
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

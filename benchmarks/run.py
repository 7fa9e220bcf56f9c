"""`make bench`: every benchmark, one after another, each printing its table and
writing JSON under benchmarks/results/, then one summary of the headline
figures against their targets.

    python -m benchmarks.run [--quick] [--large]   # --large: the 250,000-asset steps too
    make bench [QUICK=1] [LARGE=1]                # the same, from make

PostgreSQL rows run on the server named by CATALOGUE_BENCH_POSTGRES_URL (else
CATALOGUE_TEST_POSTGRES_URL): each benchmark makes its own databases there and
drops them. Without either variable only SQLite runs, and the summary says so.
The 100,000-asset catalogue the lineage benchmark builds on each backend (in
bulk: benchmarks.bulk_load) is kept for the workers, pickers and HTTP steps, so
it is built once per backend. The NetworkX graph beside the compact one (the
memory target's "before") is measured once, on SQLite, at 100,000 assets. A
table of each step's seconds ends the run (#21: `make bench` in 20 minutes).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from typing import Any

from benchmarks.catalogues import discard_kept, postgres_server_url
from benchmarks.common import RESULTS, print_table, save
from benchmarks.summary import print_summary

#: --quick: each size argument is replaced once (the harvest's 2,000 tables and
#: 500 views become 200 and 50; apply's 1,000 assets are 500; 5 s of load are 2).
QUICK = {
    "5": "2",
    "1000": "500",
    "10000": "2000",
    "100000": "5000",
    "250000": "8000",
    "10": "3",
    "2000": "200",
    "500": "50",
}


CKAN = ["benchmarks.bench_ckan", "--assets", "1000", "10000", "--full-rounds", "1"]


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
    # 5 s of load per scenario: every worker has walked its graph and rendered
    # pages long before (10 s gave the same memory figures).
    workers = ["benchmarks.bench_workers", "--assets", "100000", "--duration", "5"]
    out.append(("workers sqlite", workers))
    out.append(("pickers sqlite", ["benchmarks.bench_pickers", "--assets", "100000"]))
    if pg:
        # The stores side by side are in memory, the same on either backend: once, above.
        lineage_pg = ["benchmarks.bench_lineage", "--assets", "100000", *on_pg, "--keep"]
        lineage_pg.append("--no-store-comparison")
        out.append(("lineage postgresql", lineage_pg))
        out.append(("workers postgresql", [*workers, *on_pg]))
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
        # Warm queries twice over (a cold pass first): over 400 timings a class.
        (
            "search",
            ["benchmarks.bench_search", "--assets", "100000", "--columns", "20", "--rounds", "2"],
        ),
        ("relevance", ["benchmarks.bench_relevance"]),
        # 5 s of load per scenario after 2 s of warm-up: hundreds of requests each.
        ("http", ["benchmarks.bench_http", "--assets", "100000", "--duration", "5", *on_pg]),
        # The 1,000-column page, one request at a time: record read before and after (#21).
        ("wide page", ["benchmarks.bench_wide_page", "--assets", "2000"]),
        # CKAN package_search from the index vs every package loaded (#12); the full
        # search takes seconds a request at 10,000, so not at 100,000, and is timed
        # once a request (its answer is read once more, to check the index's count).
        ("ckan", [*CKAN, *on_pg]),
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


def children_cpu() -> float:
    """CPU seconds, user and system, of the steps run so far and the processes
    they started (a step waits for its servers, so theirs are counted)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def step_row(name: str, seconds: float, cpu: float, returncode: int) -> dict[str, Any]:
    return {
        "step": name,
        "wall s": round(seconds, 1),
        "CPU s": round(cpu, 1),
        "outcome": "ok" if returncode == 0 else "FAILED",
    }


def print_steps(took: list[dict[str, Any]], started: float, quick: bool, large: bool) -> None:
    """The table of each step's time and the whole run's; saved as steps.json."""
    total = time.perf_counter() - started
    rows = [*took, step_row("make bench, in all", total, children_cpu(), 0)]
    print_table(
        "Each step's time: wall seconds, and CPU seconds of its processes (their "
        "servers' included; not PostgreSQL's)",
        rows,
    )
    save("steps", {"quick": quick, "large": large, "steps": rows})
    print(f"\n[make bench: {total:.0f} s in all]", flush=True)


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
    took: list[dict[str, Any]] = []
    try:
        for name, argv in steps(pg, args.large):
            if args.quick:
                argv = [QUICK.get(a, a) for a in argv]
            started, cpu = time.perf_counter(), children_cpu()
            done = subprocess.run([sys.executable, "-m", *argv])
            seconds = time.perf_counter() - started
            print(f"[{name}: {seconds:.0f} s]", flush=True)
            took.append(step_row(name, seconds, children_cpu() - cpu, done.returncode))
            if done.returncode != 0:
                failed.append(name)
    except KeyboardInterrupt:  # stopped (Ctrl-C): the steps' times so far, then stop
        print_steps(took, started_run, args.quick, args.large)
        raise
    finally:
        discard_kept()
    print_summary(quick=args.quick, postgres=pg is not None)
    print_steps(took, started_run, args.quick, args.large)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

"""`make bench`'s steps (#21: the whole run in 20 minutes): the NetworkX store is
compared with the compact one once, on SQLite, and the summary says at what
size; load durations shrink with --quick; make passes QUICK=1 on; the run ends
with a table of each step's seconds. No timing is asserted."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from benchmarks.run import QUICK, step_row, steps
from benchmarks.summary import _lineage_rows

ROOT = Path(__file__).resolve().parents[2]


def test_the_stores_are_compared_once_on_sqlite() -> None:
    on_pg = dict(steps("postgresql://server/db"))
    assert "--no-store-comparison" not in on_pg["lineage sqlite"]
    assert "--no-store-comparison" in on_pg["lineage postgresql"]
    assert on_pg["lineage sqlite"][on_pg["lineage sqlite"].index("--assets") + 1] == "100000"
    # every step that needs 100,000 assets on a backend asks for the same size (shared)
    for name in ("workers sqlite", "pickers sqlite", "workers postgresql", "http"):
        assert on_pg[name][on_pg[name].index("--assets") + 1] == "100000", name


def test_quick_shortens_every_load_duration() -> None:
    for name, argv in steps("postgresql://server/db", large=True):
        if "--duration" in argv:
            duration = argv[argv.index("--duration") + 1]
            assert float(QUICK.get(duration, duration)) <= 3, name


def test_the_summary_names_the_size_of_the_networkx_comparison() -> None:
    lineage = {
        "assets": 100_000,
        "backend": "sqlite",
        "graph_load_s": 4.0,
        "apply_one_change_ms": {"p95_ms": 1.0},
        "trace_graph_ms": {"p95_ms": 0.5},
        "trace_cte_ms": {"p95_ms": 4.0},
        "stores": {
            "NetworkX (before)": {"graph_memory_mb": 380.6, "worker_private_growth_mb": 202.6},
            "compact (now)": {"graph_memory_mb": 71.5, "worker_private_growth_mb": 20.3},
        },
    }
    rows = {r["measure"]: r for r in _lineage_rows(lineage)}
    assert rows["graph memory, NetworkX (before) store, 100,000"]["figure"] == "380.6 MB"
    assert rows["graph memory, compact (now) store, 100,000"]["figure"] == "71.5 MB"
    on_pg = {r["measure"] for r in _lineage_rows({**lineage, "stores": None})}
    assert not any("store" in m for m in on_pg)


def test_make_bench_passes_quick_and_large() -> None:
    def command(*args: str) -> str:
        # Run from `make test`, the enclosing make's flags would reach this one
        # and add "Leaving directory" lines: a make of its own, as a user types it.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        done = subprocess.run(
            ["make", "--no-print-directory", "-n", "bench", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    assert command().endswith("-m benchmarks.run")
    assert command("QUICK=1").endswith("-m benchmarks.run --quick")
    assert command("QUICK=1", "LARGE=1").endswith("-m benchmarks.run --quick --large")


def test_a_failed_step_is_marked_in_the_table_of_times() -> None:
    assert step_row("search", 61.04, 58.0, 0) == {
        "step": "search",
        "wall s": 61.0,
        "CPU s": 58.0,
        "outcome": "ok",
    }
    assert step_row("http", 3.0, 1.0, 1)["outcome"] == "FAILED"

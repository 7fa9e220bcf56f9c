"""The harvest benchmark works end to end on a tiny generated source: three
runs, the drift seen as changes and retirements; and `make bench` runs it.
No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks.bench_harvest import bench
from benchmarks.run import QUICK, steps
from benchmarks.summary import _harvest_rows
from tests.conftest import NO_POSTGRES, PG_URL, missing_service


@pytest.mark.slow
def test_the_harvest_benchmark_runs_first_no_op_and_drift() -> None:
    if not PG_URL:
        missing_service(NO_POSTGRES)
    result = bench(tables=40, views=12, columns=8, server=PG_URL, drift=0.1)
    first, no_op, drift = result["runs"]
    assert first["created"] == 40 + 12 + 1  # tables, views and the source system
    assert (no_op["changes"], no_op["unchanged"]) == (0, 52)
    assert drift["changed"] > 0 and drift["retired"] > 0


def test_make_bench_runs_the_harvest_on_postgresql_and_sums_it_up() -> None:
    """`make bench` harvests 2,000 tables and 500 views when PostgreSQL is there
    (200 and 50 with --quick), and its summary judges the first and no-op runs
    against their targets only at full size."""
    on_pg = dict(steps("postgresql://server/db"))
    assert on_pg["harvest"][:5] == [
        "benchmarks.bench_harvest",
        "--tables",
        "2000",
        "--views",
        "500",
    ]
    assert [QUICK.get(a, a) for a in on_pg["harvest"]][2:5] == ["200", "--views", "50"]
    assert "harvest" not in dict(steps(None))
    runs = [
        {"run": "first", "seconds": 50.0, "peak_mb": 290.0, "target_s": 60.0},
        {"run": "no-op", "seconds": 15.8, "peak_mb": 146.0, "target_s": 15.0},
        {"run": "1% drift", "seconds": 16.3, "peak_mb": 151.0, "target_s": "-"},
    ]
    full = list(_harvest_rows({"tables": 2000, "views": 500, "runs": runs}))
    assert [r["verdict"] for r in full] == ["met", "NOT met", "", ""]
    small = list(_harvest_rows({"tables": 200, "views": 50, "runs": runs}))
    assert [r["verdict"] for r in small] == ["", "", "", ""]

"""The harvest benchmark works end to end on a tiny generated source: three
runs, the drift seen as changes and retirements. No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks.bench_harvest import bench
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

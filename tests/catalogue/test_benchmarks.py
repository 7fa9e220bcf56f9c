"""The HTTP benchmark of `make bench` works end to end on a tiny catalogue: it
serves the catalogue with two workers, loads every scenario, reads the workers'
memory and cleans up. No timing is asserted (the machine is shared)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks import bench_ckan, bench_workers
from benchmarks.bench_datasette import datasette_installed
from benchmarks.bench_http import SCENARIOS, bench_backend
from tests.conftest import NO_POSTGRES, PG_URL, missing_service


def bench_databases() -> set[str]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database")).scalars()
            return {n for n in names if n.startswith("bench_catalogue_150_")}
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("on", ["sqlite", "postgres"])
def test_http_benchmark_loads_every_scenario_without_errors(on: str, tmp_path: Path) -> None:
    if on == "postgres" and not PG_URL:
        missing_service(NO_POSTGRES)
    server = PG_URL if on == "postgres" else None
    before = bench_databases() if server else set()

    result = bench_backend(150, server, duration=1.0, warmup=0.5, clients=4, work=tmp_path)

    rows = result["scenarios"]
    # On SQLite, Datasette serves FTS5 over the same assets under the same load.
    baseline = [] if server or not datasette_installed() else ["Datasette search"]
    assert [r["scenario"] for r in rows] == [*SCENARIOS, *baseline]
    assert "wide asset page" in SCENARIOS
    for row in rows:
        assert row["requests"] > 0, row
        assert row["errors"] == 0, (row, Path(result["server_log"]).read_text()[-2000:])
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert len(result["workers"]) == 2
    assert all(w["rss_mb"] > 0 for w in result["workers"])
    assert result["backend"] == ("postgresql" if server else "sqlite")
    if server:  # the database it made for itself is gone
        assert bench_databases() == before


@pytest.mark.slow
def test_workers_benchmark_reads_the_memory_of_every_worker(tmp_path: Path) -> None:
    """bench_workers (#21) serves a tiny catalogue with 4 workers as a user starts
    them, waits until every one has warmed up, and reads each one's memory."""
    result = bench_workers.bench(150, None, workers=4, duration=1.0, work=tmp_path)

    assert len(result["worker_memory"]) == 4
    for memory in result["worker_memory"]:
        # A worker's share of its pages is at most all of them, and its own at most that.
        assert 0 < memory["uss_mb"] <= memory["pss_mb"] <= memory["rss_mb"], memory
    assert result["pss_sum_mb"] > max(m["pss_mb"] for m in result["worker_memory"])
    assert result["ready_s"] > 0
    assert result["master_cpu_s"] > 0  # the master's start, its graph loader included
    assert result["load"]["trace"]["requests"] > 0 and result["load"]["trace"]["errors"] == 0
    rows = bench_workers.rows_for(result)
    assert [r["target"] for r in rows if r["target"]] == ["≤ 20 s at 250k", "≤ 250 MB", "≤ 1200 MB"]


def test_search_benchmark_mix_has_200_distinct_queries_every_baseline_answers() -> None:
    from benchmarks.generate import generate
    from benchmarks.search_mix import CLASSES, build_fts, fts_full, fts_lean, query_mix

    records = generate(1000)
    mix = query_mix(records)
    assert len(mix) >= 200
    assert len({(q.kind, q.q, str(q.filters)) for q in mix}) == len(mix)
    assert {q.kind for q in mix} == set(CLASSES)
    assert all(sum(q.kind == c for q in mix) >= 40 for c in CLASSES)
    db, _ = build_fts(records)
    found = {c: 0 for c in CLASSES}
    for query in mix:
        hits = fts_lean(db, query)
        assert fts_full(db, query) == hits
        found[query.kind] += bool(hits)
    # every class but typos finds something on FTS5 (it has no spelling help)
    assert all(found[c] for c in CLASSES if c != "typo"), found


def test_search_benchmark_fts5_spelling_step_answers_the_misspellings() -> None:
    from benchmarks.generate import generate
    from benchmarks.search_mix import MixQuery, build_fts, corrected, fts_lean, fts_spelt, query_mix

    records = generate(1000)
    db, _ = build_fts(records)
    typos = [q for q in query_mix(records) if q.kind == "typo"]
    plain = sum(bool(fts_lean(db, q)) for q in typos)
    spelt = sum(bool(fts_spelt(db, q, fts_lean)) for q in typos)
    # FTS5 alone finds almost none; with its spelling step, as many as the catalogue
    assert plain < len(typos) // 4 and spelt == len(typos), (plain, spelt)
    fixed = corrected(db, MixQuery("typo", "cuoncil tax"))
    assert fixed is not None and fixed.q == "council tax"
    assert corrected(db, MixQuery("word", "council tax")) is None


def test_summary_puts_the_search_api_beside_datasette_and_its_target() -> None:
    from benchmarks.summary import _http_rows

    def scenario(name: str, rate: float, p95: float) -> dict:
        return {"scenario": name, "clients": 8, "req_per_s": rate, "p95_ms": p95, "errors": 0}

    result = {
        "backend": "sqlite",
        "assets": 100_000,
        "index_rebuild_s": 14.0,
        "workers": [{"rss_mb": 200.0}],
        "scenarios": [
            scenario("search API", 150.0, 90.0),
            scenario("wide asset page", 40.0, 180.0),
            scenario("Datasette search", 120.0, 95.0),
        ],
    }
    data = {"target_search_p95_ms": 100.0, "target_wide_p95_ms": 150.0, "results": [result]}
    rows = {r["measure"]: r for r in _http_rows(data)}
    ratio = rows["HTTP search API req/s / Datasette FTS5 req/s, 100,000"]
    assert (ratio["figure"], ratio["target"], ratio["verdict"]) == ("1.25 ×", "≥ 1.5 ×", "NOT met")
    assert rows["HTTP wide asset page, 8 clients, p95, 100,000"]["verdict"] == "NOT met"
    assert rows["HTTP search API, 8 clients, p95, 100,000"]["verdict"] == "met"
    rebuild = rows["catalogue index rebuild (command), 100,000"]
    assert (rebuild["target"], rebuild["verdict"]) == ("≤ 15 s", "met")
    smaller = {**data, "results": [{**result, "assets": 10_000}]}  # a reduced run: no verdicts
    rows = {r["measure"]: r for r in _http_rows(smaller)}
    ratio = rows["HTTP search API req/s / Datasette FTS5 req/s, 10,000"]
    assert (ratio["figure"], ratio["target"], ratio["verdict"]) == ("1.25 ×", "", "")


@pytest.mark.slow
def test_ckan_benchmark_times_every_request_both_ways(tmp_path: Path) -> None:
    """bench_ckan (#12) answers each harvester's request from the index and by the
    full search on a tiny catalogue, and the two agree on the count."""
    rows = bench_ckan.measure(150, None, rounds=1, full_rounds=1, work=tmp_path)

    assert [r["request"] for r in rows] == [name for name, _ in bench_ckan.scenarios("x")]
    assert all(r["count"] > 0 and r["full_p50_ms"] > 0 for r in rows), rows

"""A large write leaves PostgreSQL with fresh planner statistics, so the first
queries after loading a whole register do not crawl; small writes do not pay."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.generate import generate, write_file
from catalogue.services.changes import STATISTICS_AFTER
from tests.conftest import Runner


def analysed_tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name != "postgresql":
                return set()
            rows = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE "
                    "coalesce(last_analyze, last_autoanalyze) IS NOT NULL"
                )
            )
            return {name for (name,) in rows}
    finally:
        engine.dispose()


def test_a_large_apply_refreshes_planner_statistics(
    run: Runner, backend: str, tmp_path: Path
) -> None:
    url = run.env["CATALOGUE_DATABASE_URL"]
    assert run("register", "dataset", "grit-bins", "--title", "Grit bins").exit_code == 0
    assert "edges" not in analysed_tables(url), "a one-change write ran ANALYZE"
    records = generate(400, seed=3)
    changes = len(records) + sum(len(r.get("upstream", [])) for r in records)
    assert changes >= STATISTICS_AFTER
    path = tmp_path / "register.json"
    write_file(records, path)
    applied = run("apply", str(path))
    assert applied.exit_code == 0, applied.output
    if backend == "postgres":
        assert {"assets", "edges", "change_log"} <= analysed_tables(url)

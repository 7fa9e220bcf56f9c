"""Harvest at scale: a generated PostgreSQL source of 2,000 tables and 500 views
(about 30 columns each) harvested into a PostgreSQL catalogue three times —
first, again unchanged (no-op), and after 1% drift (columns added and retyped,
tables dropped). Each run is `catalogue harvest database` as a user runs it;
its wall time and the harvest process's peak memory are printed. Targets:
first ≤ 60 s, no-op ≤ 15 s, memory bounded.

    python -m benchmarks.bench_harvest [--tables 2000] [--views 500] [--columns 30]
                                       [--database-url URL]

``--database-url`` names the PostgreSQL server (default CATALOGUE_BENCH_POSTGRES_URL,
else CATALOGUE_TEST_POSTGRES_URL); the benchmark makes its two databases there
and drops them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import time

from sqlalchemy import create_engine

from benchmarks import catalogues
from benchmarks.common import CATALOGUE, WORK, print_table, save
from catalogue.migrate import upgrade

SCHEMAS = ("housing", "finance", "social_care", "planning")
TYPES = ("integer", "text", "date", "numeric(10,2)", "varchar(100)", "boolean", "timestamp")
TARGETS = {"first": 60.0, "no-op": 15.0}


def table_name(i: int) -> str:
    return f"{SCHEMAS[i % len(SCHEMAS)]}.t{i:05d}"


def source_ddl(tables: int, views: int, columns: int) -> list[str]:
    """Statements building the source, in batches. Views read the first three
    columns of two or three tables (or of an earlier view), the rest untouched
    so drift can change them."""
    rng = random.Random(15)
    out = [";".join(f"CREATE SCHEMA {s}" for s in SCHEMAS)]
    batch = []
    for i in range(tables):
        cols = ", ".join(
            ["c0 integer PRIMARY KEY", "c1 text", "c2 numeric(10,2)"]
            + [f"c{j} {TYPES[(i + j) % len(TYPES)]}" for j in range(3, columns)]
        )
        batch.append(f"CREATE TABLE {table_name(i)} ({cols})")
        if i % 10 == 0:
            batch.append(f"COMMENT ON TABLE {table_name(i)} IS 'Generated table {i}'")
        if len(batch) >= 200:
            out.append(";".join(batch))
            batch = []
    # Views never read the last tenth of the tables: drift drops some of those.
    readable = int(tables * 0.9)
    for v in range(views):
        picks = rng.sample(range(readable), 3 if v % 2 else 2)
        parts, joins = [], []
        for n, t in enumerate(picks):
            alias = f"a{n}"
            parts += [f"{alias}.c1 AS {alias}_name", f"{alias}.c2 AS {alias}_amount"]
            joins.append(
                f"{table_name(t)} {alias}"
                if n == 0
                else f"JOIN {table_name(t)} {alias} ON {alias}.c0 = a0.c0"
            )
        extra = [f"a0.c0 + {k} AS k{k}" for k in range(columns - len(parts) - 1)]
        select = ", ".join(["a0.c0 AS id", *parts, *extra])
        schema = SCHEMAS[v % len(SCHEMAS)]
        batch.append(f"CREATE VIEW {schema}.v{v:05d} AS SELECT {select} FROM {' '.join(joins)}")
        if v % 5 == 4 and v > 10:  # a view over a view
            batch.append(
                f"CREATE VIEW {schema}.vv{v:05d} AS SELECT id, a0_amount * 2 AS doubled "
                f"FROM {schema}.v{v:05d}"
            )
        if len(batch) >= 100:
            out.append(";".join(batch))
            batch = []
    out.append(";".join(batch))
    return [s for s in out if s]


def drift_ddl(tables: int, columns: int, share: float) -> list[str]:
    """1% of the tables change: a third get a column, a third a column retyped,
    a third (never read by a view) are dropped."""
    rng = random.Random(16)
    n = max(3, int(tables * share))
    changed = rng.sample(range(int(tables * 0.9)), 2 * n // 3)
    dropped = rng.sample(range(int(tables * 0.9), tables), n - len(changed))
    out = []
    for k, i in enumerate(changed):
        if k % 2:
            out.append(f"ALTER TABLE {table_name(i)} ADD COLUMN drifted text")
        else:
            out.append(f"ALTER TABLE {table_name(i)} ALTER COLUMN c{columns - 1} TYPE text")
    out += [f"DROP TABLE {table_name(i)}" for i in dropped]
    return [";".join(out)]


def run_harvest(env: dict[str, str], url: str) -> dict:
    """One `catalogue harvest database` run: wall seconds, the harvest process's
    CPU seconds and peak memory (its own rusage), and what it reported."""
    args = [CATALOGUE, "harvest", "database", url, "--source-system", "bench-src"]
    for schema in SCHEMAS:
        args += ["--schema", schema]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*args, "--format", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"harvest failed: {output[-2000:]!r}")
    report = json.loads(output)["sources"][0]
    return {
        "seconds": round(elapsed, 2),
        # CPU of the harvest process alone: less swayed than wall time by others'
        # work on a shared machine (the database server's share is not in it).
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "created": report["created"],
        "changed": report["changed"],
        "unchanged": report["unchanged"],
        "retired": report["retired"],
        "changes": report["changes"],
    }


def bench(tables: int, views: int, columns: int, server: str, drift: float = 0.01) -> dict:
    source = catalogues.create_postgres_database(server, "harvest_src")
    target = catalogues.create_postgres_database(server, "harvest_cat")
    try:
        engine = create_engine(source)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in source_ddl(tables, views, columns):
                conn.exec_driver_sql(statement)
        built = time.perf_counter() - started
        upgrade(target)
        folder = WORK / "harvest"
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CATALOGUE_DATABASE_URL": target, "CATALOGUE_ACTOR": "bench"}
        env["CATALOGUE_INSTANCE_PATH"] = str(folder)
        rows = []
        for name in ("first", "no-op", "1% drift"):
            if name == "1% drift":
                with engine.begin() as conn:
                    for statement in drift_ddl(tables, columns, drift):
                        conn.exec_driver_sql(statement)
            row = {"run": name, **run_harvest(env, source)}
            target_s = TARGETS.get(name)
            row["target_s"] = target_s if target_s else "-"
            rows.append(row)
        engine.dispose()
    finally:
        catalogues.drop_postgres_database(source)
        catalogues.drop_postgres_database(target)
    return {"tables": tables, "views": views, "columns": columns, "build_s": built, "runs": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--views", type=int, default=500)
    parser.add_argument("--columns", type=int, default=30)
    parser.add_argument("--database-url", default=catalogues.postgres_server_url())
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit(
            "a PostgreSQL server is needed: --database-url or CATALOGUE_BENCH_POSTGRES_URL"
        )
    result = bench(args.tables, args.views, args.columns, args.database_url)
    title = (
        f"Harvest of a PostgreSQL source: {args.tables} tables, {args.views} views (and views "
        f"over views), {args.columns} columns each; source built in {result['build_s']:.1f} s"
    )
    print_table(title, result["runs"])
    print(f"\nResults: {save('harvest', result)}")


if __name__ == "__main__":
    main()

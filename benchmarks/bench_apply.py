"""`catalogue apply` of generated files with lineage (target at 10,000 assets ≤ 10 s, #21).

python -m benchmarks.bench_apply [--assets 1000 10000] [--database-url URL]

Each size runs on SQLite and, with ``--database-url`` (a PostgreSQL server), on
a fresh database made there and dropped afterwards.
"""

from __future__ import annotations

import argparse
import resource
from pathlib import Path

from benchmarks.catalogues import create_postgres_database, drop_postgres_database
from benchmarks.common import WORK, print_table, run_cli, save, scratch_env
from benchmarks.generate import generate, write_file


def register_file(assets: int) -> tuple[Path, int]:
    """The generated register of ``assets`` assets as YAML, and its edge count."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"apply-{assets}.yaml"
    records = generate(assets)
    write_file(records, path)
    return path, sum(len(r.get("upstream", [])) for r in records)


def children_cpu() -> float:
    """CPU seconds (user and system) of the commands run so far, their helpers included."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_apply(env: dict[str, str], path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `catalogue apply` command: the CPU time does
    not grow when other work shares the machine, the wall time does."""
    before = children_cpu()
    wall = run_cli(env, "apply", str(path))
    return wall, children_cpu() - before


def bench_apply(path: Path, assets: int, edges: int, server_url: str | None = None) -> dict:
    """`catalogue init`, then `catalogue apply` of the file twice, on a fresh
    catalogue; wall and CPU seconds of each apply command."""
    backend = "postgresql" if server_url else "sqlite"
    database_url = create_postgres_database(server_url, "apply") if server_url else None
    try:
        env = scratch_env(f"apply-{backend}-{assets}", database_url)
        run_cli(env, "init")
        first, first_cpu = timed_apply(env, path)
        again, again_cpu = timed_apply(env, path)
    finally:
        if database_url:
            drop_postgres_database(database_url)
    return {
        "assets": assets,
        "edges": edges,
        "backend": backend,
        "apply_s": round(first, 2),
        "apply_cpu_s": round(first_cpu, 2),
        "reapply_unchanged_s": round(again, 2),
        "reapply_cpu_s": round(again_cpu, 2),
        "target_s": 10.0 if assets == 10_000 else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, nargs="+", default=[10_000])
    parser.add_argument("--database-url", help="a PostgreSQL server to run on as well")
    args = parser.parse_args()
    servers = [None] + ([args.database_url] if args.database_url else [])
    rows = []
    for assets in args.assets:
        path, edges = register_file(assets)
        rows += [bench_apply(path, assets, edges, server) for server in servers]
    print_table("catalogue apply (wall and CPU time of the command, including start-up)", rows)
    save("apply", {"rows": rows})


if __name__ == "__main__":
    main()

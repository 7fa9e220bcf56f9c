"""`catalogue demo`: loading the demo borough with its history (target ≤ 30 s).

python -m benchmarks.bench_demo [--database-url URL]

The demo's history refreshes its datasets on their cadence and records owners'
reviews (#18), thousands of changes; this measures what that costs a newcomer's
`make run`. SQLite, and with ``--database-url`` (a PostgreSQL server) a fresh
database made there and dropped afterwards. Wall time of the command, start-up
included, and how many transactions the history wrote.
"""

from __future__ import annotations

import argparse
import re

from benchmarks.catalogues import create_postgres_database, drop_postgres_database
from benchmarks.common import cli_output, print_table, run_cli, save, scratch_env

TARGET_S = 30.0


def bench_demo(server_url: str | None = None) -> dict:
    """`catalogue init`, then `catalogue demo`, on a fresh catalogue."""
    backend = "postgresql" if server_url else "sqlite"
    database_url = create_postgres_database(server_url, "demo") if server_url else None
    try:
        env = scratch_env(f"demo-{backend}", database_url)
        run_cli(env, "init")
        seconds, said = cli_output(env, "demo")
    finally:
        if database_url:
            drop_postgres_database(database_url)
    history = re.search(r"(\d+) later changes", said)
    return {
        "backend": backend,
        "demo_s": round(seconds, 2),
        "history_transactions": int(history.group(1)) if history else None,
        "target_s": TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on as well")
    args = parser.parse_args()
    servers = [None] + ([args.database_url] if args.database_url else [])
    rows = [bench_demo(server) for server in servers]
    print_table("catalogue demo (wall time of the command, including start-up)", rows)
    save("demo", {"rows": rows})


if __name__ == "__main__":
    main()

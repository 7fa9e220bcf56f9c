"""The page of a dataset with 1,000 columns, before and after #21, in one run.

On a generated catalogue (SQLite, or PostgreSQL with ``--database-url``) with
bench_http's wide dataset, as a viewer in Housing (an API token), through the
app in this process (no network, one request at a time, so each figure is the
work of one request):

- reading the record: mapped objects (``records.asset_record``, as the page and
  the API did) against plain rows (``assets.get``, the API now), and the first
  ``COLUMNS_SHOWN`` columns with a count of the rest (``assets.get_shown``, the
  page now: a LIMIT rather than 1,000 rows read to show 200);
- the page as shown (the first ``COLUMNS_SHOWN`` columns), the page with every
  column (``?columns=all``), the API record and an ordinary asset page.

Each row gives wall-clock p50/p95, the CPU time of the median request
(process time, which a busy machine disturbs less), the SQL statements and
database connections one request takes (on PostgreSQL each statement is a
round trip, and each connection a ping, BEGIN and COMMIT more: #21), and for
a PostgreSQL server on this machine the server's own mean CPU a request.
bench_http measures the same page over HTTP under 8 clients against its 150 ms
p95 target.

    python -m benchmarks.bench_wide_page [--assets 2000] [--repeat 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text

from benchmarks import catalogues
from benchmarks.bench_http import prepare_requests
from benchmarks.catalogues import WIDE_COLUMNS, WIDE_KEY
from benchmarks.common import print_table, save, summary_ms
from catalogue import create_app
from catalogue.services import assets
from catalogue.services.records import asset_record
from catalogue.store import Catalogue
from catalogue.web.asset_pages import COLUMNS_SHOWN

#: Calls before measuring (see ``measure``).
WARM_UP = 15


def measure(
    work: Callable[[], Any], repeat: int, server: Callable[[], float | None] | None = None
) -> dict[str, float]:
    """Wall-clock p50/p95 and median CPU milliseconds of ``repeat`` calls, and
    with ``server`` the database server's mean CPU a call. After ``WARM_UP``
    calls: psycopg prepares a statement on its fifth run on a connection, and
    the pool hands out its connections in turn."""
    for _ in range(WARM_UP):
        work()
    wall, cpu = [], []
    server_before = server() if server else None
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        work()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    found = summary_ms(wall)
    out = {"p50_ms": found["p50_ms"], "p95_ms": found["p95_ms"], "cpu_ms": statistics.median(cpu)}
    server_after = server() if server else None
    if server_before is not None and server_after is not None:
        out["server_cpu_ms"] = round((server_after - server_before) / repeat, 2)
    return out


def server_cpu(engine: Engine) -> Callable[[], float | None]:
    """The CPU milliseconds used so far by the PostgreSQL processes serving
    ``engine``'s database, when the server runs on this machine (from /proc);
    None otherwise. The server shares the machine's cores with the app: its
    time per request counts as much as the app's under load."""
    url = engine.url
    if url.get_backend_name() != "postgresql" or url.host not in (None, "127.0.0.1", "localhost"):
        return lambda: None
    tick = os.sysconf("SC_CLK_TCK")
    query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")

    def used() -> float | None:
        with engine.connect() as connection:
            pids = list(connection.scalars(query))
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total * 1000 / tick

    return used


class DatabaseUse:
    """SQL statements run and connections taken from the pool by an engine."""

    def __init__(self, engine: Engine) -> None:
        self.statements = self.connections = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._connection)

    def _statement(self, *_: Any) -> None:
        self.statements += 1

    def _connection(self, *_: Any) -> None:
        self.connections += 1

    def per_request(self, work: Callable[[], Any]) -> dict[str, int]:
        self.statements = self.connections = 0
        work()
        return {"statements": self.statements, "connections": self.connections}


def read_rows(built: catalogues.BenchCatalogue, repeat: int) -> list[dict[str, Any]]:
    """The wide record read both ways, each in a fresh session."""
    catalogue = Catalogue(built.settings)
    admin = catalogues.ADMIN
    used = DatabaseUse(catalogue.engine)
    server = server_cpu(catalogue.engine)
    try:

        def mapped() -> None:
            with catalogue.read() as session:
                asset_record(assets.get_asset(session, WIDE_KEY))

        def rows() -> None:
            with catalogue.reading(admin) as reader:
                assets.get(reader, WIDE_KEY)

        def shown() -> None:
            with catalogue.reading(admin) as reader:
                assets.get_shown(reader, WIDE_KEY, COLUMNS_SHOWN)

        asked = {
            "record, mapped objects (before)": mapped,
            "record, plain rows, every column (the API)": rows,
            f"record, first {COLUMNS_SHOWN} columns and a count (the page)": shown,
        }
        return [
            {"what": what, **measure(work, repeat, server), **used.per_request(work)}
            for what, work in asked.items()
        ]
    finally:
        catalogue.close()


def page_rows(built: catalogues.BenchCatalogue, repeat: int) -> list[dict[str, Any]]:
    paths, bearer = prepare_requests(built)  # adds the wide dataset if it is missing
    app = create_app(built.settings)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearer['viewer']}"}
    used = DatabaseUse(app.extensions["catalogue"].engine)
    asked = {
        f"page, first {COLUMNS_SHOWN} columns shown (now)": f"/assets/{WIDE_KEY}",
        f"page, all {WIDE_COLUMNS:,} columns (?columns=all)": f"/assets/{WIDE_KEY}?columns=all",
        f"API record, {WIDE_COLUMNS:,} columns": f"/api/v1/assets/{WIDE_KEY}",
        "an ordinary asset page": paths["asset page"][0],
    }
    out = []
    try:
        for what, path in asked.items():

            def get(path: str = path) -> None:
                response = client.get(path, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")

            timed = measure(get, repeat, server_cpu(app.extensions["catalogue"].engine))
            out.append({"what": what, **timed, **used.per_request(get)})
    finally:
        app.extensions["catalogue"].close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL server to run on instead of SQLite")
    args = parser.parse_args()
    server = args.database_url
    built = catalogues.kept(args.assets, server) or catalogues.build(args.assets, server)
    try:
        pages = page_rows(built, args.repeat)
        rows = read_rows(built, args.repeat) + pages
    finally:
        built.discard()
    print_table(
        f"The {WIDE_COLUMNS:,}-column dataset's page, one request at a time, "
        f"{built.backend}, {args.assets:,} assets, {args.repeat} requests each (ms)",
        rows,
    )
    save(
        "wide_page" if built.backend == "sqlite" else f"wide_page_{built.backend}",
        {"assets": args.assets, "backend": built.backend, "repeat": args.repeat, "rows": rows},
    )


if __name__ == "__main__":
    main()

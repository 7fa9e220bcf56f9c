"""Datasette serving SQLite FTS5 over the same assets, for bench_http to load
with the same load generator in the same run (issue #21: the catalogue's search
API should answer at least 1.5× Datasette's requests per second).

The assets are read from the benchmark catalogue's own database (so the text is
the same), written to a SQLite file with an FTS5 table Datasette finds by itself
(``assets_fts``, content ``assets``), and searched as Datasette's table JSON:
``/bench/assets.json?_search=…`` with the same six facets the catalogue counts,
20 rows a page and the count, which is what the catalogue's search API returns.
Datasette is a benchmark dependency only (the ``bench`` extra in setup.cfg).
"""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from benchmarks.loadgen import drive
from catalogue.services.record_stream import stream_records

FACETS = ("department", "kind", "classification", "access", "owner", "tags")
COLUMNS = ("key", "kind", "title", "description", "department", "owner")
COLUMNS += ("classification", "access", "tags", "columns")


def write_fts_database(session: Session, path: Path) -> int:
    """The assets of the catalogue as a SQLite file with an FTS5 index; how many."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute(f"CREATE TABLE assets (id INTEGER PRIMARY KEY, {', '.join(COLUMNS)})")
        rows = (
            (
                r["key"],
                r["kind"],
                r["title"],
                r["description"],
                r["department"],
                r["owner"],
                r["classification"],
                r["access"],
                " ".join(r["tags"]),
                " ".join(c["name"] for c in r["columns"]),
            )
            for r in stream_records(session)
        )
        marks = ", ".join("?" for _ in COLUMNS)
        db.executemany(f"INSERT INTO assets ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
        db.execute(
            "CREATE VIRTUAL TABLE assets_fts USING fts5(title, description, tags, department, "
            "owner, columns, content=\"assets\", content_rowid='id', tokenize='porter unicode61')"
        )
        db.execute(
            "INSERT INTO assets_fts (rowid, title, description, tags, department, owner, "
            "columns) SELECT id, title, description, tags, department, owner, columns FROM assets"
        )
        for facet in FACETS:
            db.execute(f"CREATE INDEX assets_{facet} ON assets ({facet})")
        db.commit()
        return db.execute("SELECT count(*) FROM assets").fetchone()[0]
    finally:
        db.close()


def search_paths(queries: list[str]) -> list[str]:
    """Datasette's search of each query string (``q=…&kind=…`` as the catalogue's
    API gets it): the text through FTS5, a kind as a column filter, the facets."""
    out = []
    for query in queries:
        params = dict(p.split("=", 1) for p in query.split("&"))
        wanted = [("_search", urllib.request.unquote(params["q"].replace("+", " ")))]
        if "kind" in params:
            wanted.append(("kind", params["kind"]))
        wanted += [("_size", "20"), *(("_facet", f) for f in FACETS)]
        out.append(f"/bench/assets.json?{urlencode(wanted)}")
    return out


def datasette_installed() -> bool:
    """Whether the ``bench`` extra is installed (`make bench` installs it); without
    it bench_http says so and runs the catalogue alone."""
    if importlib.util.find_spec("datasette") is not None:
        return True
    print("[http] Datasette is not installed (pip install -e '.[bench]'): no baseline")
    return False


class Datasette:
    """`datasette serve` of the file on a port, as a subprocess."""

    def __init__(self, database: Path, port: int, log: Path) -> None:
        self.port = port
        self._log = log.open("w", encoding="utf-8")
        argv = [sys.executable, "-m", "datasette", "serve", str(database), "-p", str(port)]
        argv += ["--setting", "facet_time_limit_ms", "10000"]  # count facets, as the catalogue
        argv += ["--setting", "sql_time_limit_ms", "10000"]
        self.process = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"datasette exited early; see {self._log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/versions.json"):
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("datasette did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def load_datasette(
    session: Session,
    folder: Path,
    port: int,
    queries: list[str],
    clients: int,
    duration: float,
    warmup: float,
) -> dict[str, Any]:
    """Serve the catalogue's assets with Datasette and load its search as bench_http
    loads the catalogue's (same clients, same time, same load generator); one row."""
    database = folder / "bench.db"
    write_fts_database(session, database)
    server = Datasette(database, port, folder / "datasette.log")
    try:
        server.wait_ready()
        paths = search_paths(queries)
        drive(port, paths, clients, warmup, {})
        outcome = drive(port, paths, clients, duration, {})
    finally:
        server.stop()
    route = "/bench/assets.json?_search=…&_facet=… (Datasette, FTS5)"
    row = {"scenario": "Datasette search", "route": route, "as": "anyone", "clients": clients}
    return {**row, **outcome.summary(), "warmup_slowest_ms": 0.0}

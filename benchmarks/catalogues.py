"""Scratch catalogues for the benchmarks, on SQLite or on PostgreSQL.

A benchmark asks for a catalogue of N generated assets on a backend. On SQLite
it is a file under benchmarks/.work; on PostgreSQL it is a throwaway database
made on the server the user named (``bench_<name>_<random>``) and dropped when
the benchmark is done. Building 100,000 assets takes a minute or more, so a step
may keep what it built (a ``built.json`` note beside it says what and where) and
a later step of the same run picks it up instead of building it again.

``build`` writes the generated rows straight in (``benchmarks.bulk_load``: the
same rows and change log `catalogue apply` writes, in seconds rather than
minutes); ``load_generated`` goes through apply's own plan, for the test that
holds the two to the same catalogue and for a benchmark that times apply itself.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from benchmarks import bulk_load
from benchmarks.common import WORK
from benchmarks.generate import generate
from catalogue.config import Settings, load_settings
from catalogue.migrate import upgrade
from catalogue.models import Asset
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.apply import execute_plan, plan_apply
from catalogue.services.catalogue_file import SourceRecord
from catalogue.services.changes import writing
from catalogue.store import Catalogue

ADMIN = operator("bench")
NOTE = "built.json"
#: An open dataset of WIDE_COLUMNS described columns: its page is bench_http's
#: "wide asset page" (issue #21: p95 ≤ 150 ms for 1,000 columns).
WIDE_KEY = "bench-wide-dataset"
WIDE_COLUMNS = 1000


def add_wide_dataset(catalogue: Catalogue) -> None:
    """Register an open dataset of WIDE_COLUMNS described columns, unless there."""
    with catalogue.sessions() as session:
        if session.scalar(select(Asset.id).where(Asset.key == WIDE_KEY)) is not None:
            return
    columns = [
        {
            "name": f"measure_{i:04d}",
            "type": "numeric" if i % 3 else "string",
            "description": f"Measure {i} of the ward return, as reported each month.",
            "personal": i % 50 == 0,
        }
        for i in range(WIDE_COLUMNS)
    ]
    record = {
        "key": WIDE_KEY,
        "kind": "dataset",
        "title": "Ward returns, every measure",
        "department": "Housing",  # bench_http's viewer is in Housing
        "access": "open",
        "columns": columns,
    }
    with catalogue.write(ADMIN) as writer:
        assets.register(writer, record)


def postgres_server_url() -> str | None:
    """The PostgreSQL server `make bench` may use: CATALOGUE_BENCH_POSTGRES_URL,
    else the test suite's CATALOGUE_TEST_POSTGRES_URL; None when neither is set."""
    for name in ("CATALOGUE_BENCH_POSTGRES_URL", "CATALOGUE_TEST_POSTGRES_URL"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def backend_name(server_url: str | None) -> str:
    return "postgresql" if server_url else "sqlite"


def create_postgres_database(server_url: str, name: str) -> str:
    """A new, empty database ``bench_NAME_<random>`` on the server; its URL."""
    database = f"bench_{name}_{uuid.uuid4().hex[:8]}".replace("-", "_")
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop the database of ``url`` (connected to from its server's own database).

    A server process such as autovacuum may be inside it for a moment, so the
    drop is tried a few times; ``WITH (FORCE)`` ends our own leftover sessions.
    """
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(5):
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
                return
            except DBAPIError:
                time.sleep(0.3 * (attempt + 1))
    finally:
        admin.dispose()


@dataclass(frozen=True)
class BenchCatalogue:
    """A generated catalogue: where it lives and what it holds."""

    folder: str  # instance folder: SQLite file (on SQLite), search index, secret key
    database_url: str
    backend: str
    assets: int
    edges: int
    setup_s: float

    @property
    def settings(self) -> Settings:
        return load_settings({"instance_path": self.folder, "database_url": self.database_url})

    def env(self) -> dict[str, str]:
        """Environment for `catalogue …` subprocesses working on this catalogue."""
        env = {**os.environ, "CATALOGUE_INSTANCE_PATH": self.folder, "CATALOGUE_ACTOR": "bench"}
        env["CATALOGUE_DATABASE_URL"] = self.database_url
        env.pop("CATALOGUE_INDEX_DIR", None)  # the index lives in the instance folder
        return env

    def keep(self) -> None:
        """Leave a note so a later step of the run can reuse this catalogue."""
        Path(self.folder, NOTE).write_text(json.dumps(asdict(self)), encoding="utf-8")

    def discard(self) -> None:
        """Forget it: drop its PostgreSQL database; its folder is left for a look."""
        Path(self.folder, NOTE).unlink(missing_ok=True)
        if self.backend == "postgresql":
            drop_postgres_database(self.database_url)


def load_generated(catalogue: Catalogue, assets: int) -> tuple[float, int]:
    """Write a generated catalogue through the same plan-and-apply path as a file.

    Returns the seconds it took and the number of edges added.
    """
    records = [SourceRecord(f"generated:{i}", r) for i, r in enumerate(generate(assets))]
    started = time.perf_counter()
    with writing(catalogue.sessions, ADMIN, views_of=lambda: catalogue.views) as writer:
        plan = plan_apply(writer, records)
        execute_plan(writer, plan)
    return time.perf_counter() - started, plan.counts()["edges added"]


def build(assets: int, server_url: str | None, work: Path = WORK) -> BenchCatalogue:
    """A fresh catalogue of ``assets`` generated assets on SQLite or on the server,
    written in bulk (``setup_s``: generating and writing it)."""
    backend = backend_name(server_url)
    folder = work / f"catalogue-{backend}-{assets}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if server_url:
        url = create_postgres_database(server_url, f"catalogue_{assets}")
    else:
        url = f"sqlite:///{folder / 'catalogue.db'}"
    try:
        upgrade(url)
        catalogue = Catalogue(load_settings({"instance_path": folder, "database_url": url}))
        try:
            started = time.perf_counter()
            edges = bulk_load.load(catalogue, generate(assets), ADMIN.name)
            setup_s = time.perf_counter() - started
        finally:
            catalogue.close()
    except BaseException:
        if server_url:  # half-built: leave nothing behind on the server
            drop_postgres_database(url)
        raise
    return BenchCatalogue(str(folder), url, backend, assets, edges, round(setup_s, 1))


def kept(assets: int, server_url: str | None, work: Path = WORK) -> BenchCatalogue | None:
    """The catalogue an earlier step kept for this size and backend, if it is
    still there and answers; None otherwise."""
    note = work / f"catalogue-{backend_name(server_url)}-{assets}" / NOTE
    if not note.exists():
        return None
    found = BenchCatalogue(**json.loads(note.read_text(encoding="utf-8")))
    if found.backend == "postgresql" and server_url:
        wanted, have = make_url(server_url), make_url(found.database_url)
        if (wanted.host, wanted.port) != (have.host, have.port):
            return None  # kept on another server than the one asked for
    engine = create_engine(found.database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1 FROM log_head"))
    except (OperationalError, DBAPIError):
        return None
    finally:
        engine.dispose()
    return found


def reuse_or_build(assets: int, server_url: str | None, work: Path = WORK) -> BenchCatalogue:
    return kept(assets, server_url, work) or build(assets, server_url, work)


def discard_kept(work: Path = WORK) -> list[str]:
    """Drop every catalogue still kept under ``work`` (end of a run, or after a
    failed step); returns their database URLs' names for the log."""
    dropped = []
    for note in sorted(work.glob(f"catalogue-*/{NOTE}")):
        found = BenchCatalogue(**json.loads(note.read_text(encoding="utf-8")))
        found.discard()
        dropped.append(make_url(found.database_url).database or "")
    return dropped

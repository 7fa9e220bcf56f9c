"""Fixtures: a real SQLite file and a real PostgreSQL database per test, a real
Whoosh index on disk, the Flask app, its client, and the click runner.

Tests that take ``catalogue`` (or anything built on it) run once per backend.
PostgreSQL comes from CATALOGUE_TEST_POSTGRES_URL; without it the PostgreSQL
runs are skipped on a developer's machine and FAIL in CI (CI=true).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.catalogues import drop_postgres_database
from catalogue.config import Settings, load_settings
from catalogue.db import utcnow
from catalogue.migrate import upgrade
from catalogue.services.demo import WRITTEN_ON
from catalogue.store import Catalogue

#: The full public corpora: CATALOGUE_TEST_SHARED_DATA, else the project's sibling
#: folder ../shared/data. Any file missing there is read from the small extracts
#: committed under tests/data/ (tests/data/README says what each is and whose).
SHARED_DATA = Path(
    os.environ.get("CATALOGUE_TEST_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
EXTRACTS = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("CATALOGUE_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
NO_POSTGRES = "CATALOGUE_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against"


def missing_service(message: str) -> NoReturn:
    """Something a test needs is not there (a server, a browser, built files): a
    failure under CI=true, where `.ci/run` provides everything, and a skip on a
    developer's machine."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


BACKENDS = ["sqlite", "postgres"]

#: Moves the whole test session's clock this many days ahead (CI runs the tests
#: marked ``calendar`` a second time with 365), to prove that no test passes only
#: near the day it was written.
CLOCK_AHEAD_DAYS = int(os.environ.get("CATALOGUE_TEST_CLOCK_AHEAD_DAYS") or 0)
_session_clock: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    if CLOCK_AHEAD_DAYS:
        moved = time_machine.travel(utcnow() + timedelta(days=CLOCK_AHEAD_DAYS), tick=True)
        moved.start()
        _session_clock["travel"] = moved
    # The demo is loaded once per session and its dates are relative to this day.
    _session_clock["demo_today"] = utcnow().date()


def pytest_unconfigure(config: pytest.Config) -> None:
    if "travel" in _session_clock:
        _session_clock.pop("travel").stop()


def demo_today() -> date:
    """The day this test session loads the demo on: the demo's files' WRITTEN_ON."""
    return _session_clock["demo_today"]


def demo_day(written: str) -> date:
    """A date as the demo's files write it (``catalogue/demo/*.yaml``), moved as the
    loader moves it: the same date in the demo this session loaded."""
    return date.fromisoformat(written) + (demo_today() - WRITTEN_ON)


def long_date(day: date) -> str:
    """A date as the pages write it: ``1 June 2025``."""
    return f"{day.day} {day:%B %Y}"


def date_query(field: str, day: date) -> str:
    """The query string of a GOV.UK date input called ``field``."""
    return f"{field}-day={day.day}&{field}-month={day.month}&{field}-year={day.year}"


def shared_data(*parts: str) -> Path:
    """A file of the full corpora when they are there (see SHARED_DATA), else its
    committed extract under tests/data/; missing data fails the test, it is never
    skipped. Tests read counts from the file, so either passes."""
    for root in (SHARED_DATA, EXTRACTS):
        path = root.joinpath(*parts)
        if path.exists():
            return path
    raise AssertionError(f"test data missing: {'/'.join(parts)} in {SHARED_DATA} or {EXTRACTS}")


def full_corpus(*parts: str) -> Path:
    """A file of the full corpora, for the tests whose figures hold only on the whole
    of it (every page of a 2,127-dataset import, a judged set of staff searches).
    Where only the extracts are there, such a test is skipped on a developer's
    machine and fails under CI=true, where the corpora always are."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        missing_service(f"needs the full corpus {path}: tests/data/ holds only an extract")
    return path


def package_count(path: Path) -> int:
    """The CKAN packages in a JSON-lines file: one a non-blank line."""
    with path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.strip())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "catalogue.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the TEMPLATE of each test's database."""
    if not PG_URL:
        missing_service(NO_POSTGRES)
    name = f"catalogue_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield name
    admin.dispose()
    drop_postgres_database(url)


def _postgres_copy(template: str) -> tuple[str, Any]:
    name = f"catalogue_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return url, lambda: drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _load_demo_into(url: str, folder: Path) -> None:
    from catalogue.services.demo import load_demo

    cat = Catalogue(load_settings({"instance_path": folder, "database_url": url}))
    load_demo(cat, today=demo_today())
    cat.close()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo borough loaded once; tests get copies."""
    folder = tmp_path_factory.mktemp("demo-template")
    path = folder / "catalogue.db"
    shutil.copy(sqlite_template, path)
    _load_demo_into(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_demo_template(
    postgres_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    url, drop = _postgres_copy(postgres_template)
    _load_demo_into(url, tmp_path_factory.mktemp("pg-demo-template"))
    yield make_url(url).database or ""
    drop()


@pytest.fixture
def make_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Makes fresh, migrated databases of the test's backend (empty, or with the
    demo borough when ``demo=True``); dropped afterwards."""
    drops = []

    def make(demo: bool = False) -> str:
        if backend == "sqlite":
            name = "sqlite_demo_template" if demo else "sqlite_template"
            template = request.getfixturevalue(name)
            path = tmp_path / f"catalogue-{uuid.uuid4().hex[:6]}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
        name = "postgres_demo_template" if demo else "postgres_template"
        url, drop = _postgres_copy(request.getfixturevalue(name))
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture
def database_url(make_database: Any) -> str:
    return make_database()


def _settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "instance_path": tmp_path / "instance",
            "database_url": database_url,
            "secret_key": "test-secret",
            "actor": "test-steward",
        }
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return _settings(database_url, tmp_path)


@pytest.fixture
def demo_settings(make_database: Any, tmp_path: Path) -> Settings:
    """Settings of a catalogue holding the demo borough (a copy of a template)."""
    return _settings(make_database(demo=True), tmp_path)


@pytest.fixture
def demo_catalogue(demo_settings: Settings) -> Iterator[Catalogue]:
    cat = Catalogue(demo_settings)
    yield cat
    cat.close()


@pytest.fixture
def catalogue(settings: Settings) -> Iterator[Catalogue]:
    cat = Catalogue(settings)
    yield cat
    cat.close()


def _cli_env(settings: Settings) -> dict[str, str]:
    return {
        "CATALOGUE_DATABASE_URL": settings.resolved_database_url,
        "CATALOGUE_INSTANCE_PATH": str(settings.instance_path),
        "CATALOGUE_ACTOR": "test-steward",
    }


class Runner:
    """Runs `catalogue …` in-process against the test's database."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Any:
        from cli import main

        return self.runner.invoke(
            main, list(args), env=self.env, input=input, catch_exceptions=False
        )


@pytest.fixture
def run(settings: Settings) -> Runner:
    """`catalogue …` against the test's (empty) catalogue."""
    return Runner(_cli_env(settings))


@pytest.fixture
def demo_run(demo_settings: Settings) -> Runner:
    """`catalogue …` against a catalogue holding the demo borough."""
    return Runner(_cli_env(demo_settings))

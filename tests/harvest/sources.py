"""Real source databases for harvest tests: a council housing system on SQLite
and on PostgreSQL, with tables, comments, views over views, a view joining three
tables, and the drift a second harvest must notice."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.catalogues import drop_postgres_database
from tests.conftest import NO_POSTGRES, PG_URL, missing_service

SQLITE_SOURCE = """
CREATE TABLE tenants (id INTEGER PRIMARY KEY, forename TEXT NOT NULL, surname TEXT,
                      date_of_birth DATE, postcode VARCHAR(8));
CREATE TABLE rents (tenant_id INTEGER NOT NULL, week DATE, amount NUMERIC(8, 2));
CREATE TABLE properties (uprn BIGINT PRIMARY KEY, ward TEXT, tenant_id INTEGER);
CREATE TABLE void_properties (uprn BIGINT, since DATE);
CREATE VIEW rent_account AS
  SELECT t.id, t.surname, p.ward, SUM(r.amount) AS paid
  FROM tenants t JOIN rents r ON r.tenant_id = t.id JOIN properties p ON p.tenant_id = t.id
  GROUP BY t.id, t.surname, p.ward;
CREATE VIEW ward_income AS SELECT ward, SUM(paid) AS income FROM rent_account GROUP BY ward;
"""

SQLITE_DRIFT = """
ALTER TABLE tenants RENAME COLUMN surname TO family_name;
ALTER TABLE rents ADD COLUMN paid_by TEXT;
DROP TABLE void_properties;
"""

POSTGRES_SOURCE = """
CREATE SCHEMA housing;
CREATE SCHEMA social_care;
CREATE TABLE housing.tenants (id integer PRIMARY KEY, forename text NOT NULL, surname text,
                              date_of_birth date, postcode varchar(8));
COMMENT ON TABLE housing.tenants IS 'Everyone who holds a council tenancy';
COMMENT ON COLUMN housing.tenants.postcode IS 'Postcode of the tenancy';
CREATE TABLE housing.rents (tenant_id integer NOT NULL, week date, amount numeric(8, 2));
CREATE TABLE housing.properties (uprn bigint PRIMARY KEY, ward text, tenant_id integer);
CREATE TABLE housing.void_properties (uprn bigint, since date);
CREATE TABLE social_care.cases (case_id integer PRIMARY KEY, tenant_id integer, opened date);
CREATE VIEW housing.rent_account AS
  SELECT t.id, t.surname, p.ward, SUM(r.amount) AS paid
  FROM housing.tenants t JOIN housing.rents r ON r.tenant_id = t.id
  JOIN housing.properties p ON p.tenant_id = t.id
  GROUP BY t.id, t.surname, p.ward;
CREATE VIEW housing.ward_income AS
  SELECT ward, SUM(paid) AS income FROM housing.rent_account GROUP BY ward;
CREATE VIEW social_care.known_tenants AS
  SELECT c.case_id, t.surname FROM social_care.cases c JOIN housing.tenants t ON t.id = c.tenant_id;
CREATE MATERIALIZED VIEW housing.arrears_snapshot AS
  SELECT tenant_id, SUM(amount) AS total FROM housing.rents GROUP BY tenant_id;
"""

POSTGRES_DRIFT = """
ALTER TABLE housing.tenants RENAME COLUMN surname TO family_name;
ALTER TABLE housing.rents ADD COLUMN paid_by text;
DROP TABLE housing.void_properties;
ALTER TABLE social_care.cases ALTER COLUMN opened TYPE timestamp;
"""


class Source:
    """A source database the test owns: its URL, how to change it, its schemas."""

    def __init__(self, backend: str, url: str, run_sql: Callable[[str], None]) -> None:
        self.backend = backend
        self.url = url
        self.run_sql = run_sql

    @property
    def prefix(self) -> str:
        """How its tables' names begin: ``main.`` on SQLite, ``housing.`` on PostgreSQL."""
        return "main." if self.backend == "sqlite" else "housing."

    @property
    def schema_options(self) -> list[str]:
        if self.backend == "sqlite":
            return []
        return ["--schema", "housing", "--schema", "social_care"]

    def drift(self) -> None:
        self.run_sql(SQLITE_DRIFT if self.backend == "sqlite" else POSTGRES_DRIFT)


def _sqlite_runner(path: Path) -> Callable[[str], None]:
    def run_sql(script: str) -> None:
        with sqlite3.connect(path) as conn:
            conn.executescript(script)
        conn.close()

    return run_sql


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards): its URL."""
    if not PG_URL:
        missing_service(NO_POSTGRES)
    name = f"harvest_src_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        drop_postgres_database(url)


def _postgres_runner(url: str) -> Callable[[str], None]:
    def run_sql(script: str) -> None:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(script)
        engine.dispose()

    return run_sql


@contextmanager
def source_database(backend: str, folder: Path) -> Iterator[Source]:
    """The housing system on ``backend``, built for real."""
    if backend == "sqlite":
        path = folder / "housing-system.db"
        run_sql = _sqlite_runner(path)
        run_sql(SQLITE_SOURCE)
        yield Source(backend, f"sqlite:///{path}", run_sql)
        return
    with postgres_database() as url:
        run_sql = _postgres_runner(url)
        run_sql(POSTGRES_SOURCE)
        yield Source(backend, url, run_sql)

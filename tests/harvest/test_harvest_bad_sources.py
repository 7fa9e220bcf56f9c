"""Sources that cannot be harvested: one line naming the source and the reason,
exit 1, nothing written, and never a password."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import NO_POSTGRES, PG_URL, Runner, missing_service

SECRET = "s3cret-Pa55word"


def head(run: Runner) -> int:
    return json.loads(run("index", "status", "--format", "json").output)["head"]


def wrong_password_url() -> str:
    if not PG_URL:
        missing_service(NO_POSTGRES)
    return make_url(PG_URL).set(password=SECRET).render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (f"postgresql+psycopg://council:{SECRET}@127.0.0.1:1/housing", "127.0.0.1"),
        ("not a url at all", "not a database URL"),
        (f"mssql+pyodbc://council:{SECRET}@civica/housing", "driver"),
        (f"nosuchdb://council:{SECRET}@host/db", "no SQLAlchemy dialect"),
        ("sqlite:////no/such/folder/housing.db", "no SQLite database file"),
        ("WRONG_PASSWORD", "password authentication failed"),
    ],
    ids=["unreachable", "not-a-url", "missing-driver", "unknown-dialect", "no-file", "password"],
)
def test_a_source_that_cannot_be_read_is_one_clear_line(run: Runner, url: str, reason: str) -> None:
    if url == "WRONG_PASSWORD":
        url = wrong_password_url()
    before = head(run)
    result = run("harvest", "database", url, "--source-system", "housing-db")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert reason in errors[0]
    assert SECRET not in result.output
    assert "Traceback" not in result.output
    assert head(run) == before
    assert run("show", "housing-db").exit_code == 1  # not even the source system


def test_a_locked_sqlite_file_is_reported_and_nothing_written(run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE tenants (id INTEGER)")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        before = head(run)
        result = run("harvest", "database", f"sqlite:///{path}", "--source-system", "housing-db")
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "locked" in result.output
    assert head(run) == before

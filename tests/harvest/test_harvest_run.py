"""`catalogue harvest run harvest.yaml`: many sources from one file, each in
its own transaction, passwords from the environment and never shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url

from catalogue.store import Catalogue
from tests.conftest import PG_URL, Runner
from tests.harvest.sources import source_database

SECRET = "n0t-the-Real-passw0rd"


def head(run: Runner) -> int:
    return json.loads(run("index", "status", "--format", "json").output)["head"]


def test_a_harvest_file_runs_every_source_and_reports_each(
    run: Runner,
    backend: str,
    tmp_path: Path,
    catalogue: Catalogue,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "drive"
    folder.mkdir()
    (folder / "wards.csv").write_text("ward,households\nRiverside,1200\n", encoding="utf-8")
    with source_database(backend, tmp_path) as source:
        database = {"kind": "database", "url": source.url, "source_system": "housing-db"}
        if backend == "postgres":
            url = make_url(source.url)
            monkeypatch.setenv("HOUSING_DB_PASSWORD", url.password or "")
            database |= {
                "url": url.set(password=None).render_as_string(hide_password=False),
                "password_env": "HOUSING_DB_PASSWORD",
                "schemas": ["housing"],
                "include": ["tenants", "rents"],
            }
        broken = make_url(PG_URL or "postgresql+psycopg://u@127.0.0.1/x")
        monkeypatch.setenv("FINANCE_DB_PASSWORD", SECRET)
        plan = {
            "sources": [
                database,
                {
                    "kind": "database",
                    "url": broken.set(password=None, port=1).render_as_string(False),
                    "password_env": "FINANCE_DB_PASSWORD",
                    "source_system": "finance-db",
                },
                {"kind": "files", "path": str(folder), "source_system": "shared-drive"},
            ]
        }
        harvest_file = tmp_path / "harvest.yaml"
        harvest_file.write_text(yaml.safe_dump(plan), encoding="utf-8")
        result = run("harvest", "run", str(harvest_file))
    assert result.exit_code == 1  # one source failed…
    assert "shared-drive" in result.output
    table = result.stdout.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("SOURCE"))
    rows = table[header + 1 : header + 4]
    assert [row.split()[-1] for row in rows] == ["0", "1", "0"]  # the FAILED column
    assert "127.0.0.1:1" in result.output
    # …the others landed.
    assert run("show", f"housing-db.{source.prefix}tenants").exit_code == 0
    assert run("show", "shared-drive.wards.csv").exit_code == 0
    assert run("show", "finance-db").exit_code == 1
    # The password never reaches any output or the catalogue's database.
    assert SECRET not in result.output
    with catalogue.read() as session:
        for table_name in ("change_log", "assets", "harvested_assets", "lineage_names"):
            dump = " ".join(str(r) for r in session.execute(text(f"SELECT * FROM {table_name}")))
            assert SECRET not in dump


def test_a_wrong_harvest_file_names_each_problem_and_runs_nothing(
    run: Runner, tmp_path: Path
) -> None:
    harvest_file = tmp_path / "harvest.yaml"
    harvest_file.write_text(
        yaml.safe_dump(
            {
                "sources": [
                    {"kind": "databse", "url": "sqlite:///x.db", "source_system": "a"},
                    {"kind": "files", "path": str(tmp_path), "source_system": "b", "shema": "x"},
                    {"kind": "sql", "paths": ["x.sql"], "source_system": "c", "dialect": "sybase"},
                ]
            }
        ),
        encoding="utf-8",
    )
    before = head(run)
    result = run("harvest", "run", str(harvest_file))
    assert result.exit_code == 1
    assert "source 1" in result.output and "'kind'" in result.output
    assert "must be one of: database, files, sql" in result.output
    assert "source 2" in result.output and "'shema'" in result.output
    assert "source 3" in result.output and "'dialect'" in result.output
    assert head(run) == before
    assert run("show", "b").exit_code == 1

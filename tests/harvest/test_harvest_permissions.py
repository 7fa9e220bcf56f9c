"""Permission denied, for real. The tests run as root, who reads every file
whatever its mode: the unreadable-file cases run `catalogue` in a user namespace
of its own (`unshare --user`), where it still owns root's files (so it writes
the catalogue as usual) but has no power to override a file's mode, so a file
or folder of mode 000 is as unreadable to it as to any council account. The
PostgreSQL cases take privileges away from the test server's own role (it may
not create roles, but an owner may revoke its own privileges)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from catalogue.config import Settings
from tests.conftest import Runner, _cli_env, missing_service
from tests.harvest.sources import Source, source_database

CATALOGUE = str(Path(sys.executable).parent / "catalogue")


def head(run: Runner) -> int:
    return json.loads(run("index", "status", "--format", "json").output)["head"]


def without_override(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """`catalogue ARGS` unable to read what its mode forbids, even as root."""
    probe = subprocess.run(["unshare", "--user", "true"], capture_output=True)
    if probe.returncode != 0:
        missing_service(f"unshare --user is not allowed here: {probe.stderr!r}")
    return subprocess.run(
        ["unshare", "--user", CATALOGUE, *args],
        env={**os.environ, **_cli_env(settings)},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def drive(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "housing-drive"
    (folder / "rents").mkdir(parents=True)
    (folder / "tenancies.csv").write_text("tenancy_id,start\n1,2026-01-05\n", encoding="utf-8")
    (folder / "rents" / "weekly.csv").write_text("tenant_id,amount\n1,98.50\n", encoding="utf-8")
    yield folder
    for path in (folder / "tenancies.csv", folder / "rents"):
        path.chmod(0o755)


def files(run: Runner, folder: Path) -> dict:
    result = run("harvest", "files", str(folder), "--source-system", "shared-drive",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["sources"][0]


@pytest.mark.parametrize("unreadable", ["tenancies.csv", "rents"], ids=["file", "folder"])
def test_an_unreadable_file_or_folder_fails_the_harvest_naming_it(
    run: Runner, settings: Settings, drive: Path, unreadable: str
) -> None:
    assert len(files(run, drive)["created_keys"]) == 3  # the system and two files
    before = head(run)
    (drive / unreadable).chmod(0)
    result = without_override(
        settings, "harvest", "files", str(drive), "--source-system", "shared-drive"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: {drive / unreadable}: Permission denied"]
    assert "Traceback" not in result.stderr
    # Nothing written, so nothing retired for being unreadable.
    assert head(run) == before
    (drive / unreadable).chmod(0o755)
    assert files(run, drive)["retired_keys"] == []


def test_sql_scripts_in_an_unreadable_folder_are_named_and_the_rest_lands(
    run: Runner, settings: Settings, tmp_path: Path
) -> None:
    scripts = tmp_path / "scripts"
    (scripts / "finance").mkdir(parents=True)
    (scripts / "arrears.sql").write_text(
        "CREATE VIEW arrears AS SELECT tenant_id, SUM(amount) AS owed FROM rents "
        "GROUP BY tenant_id;", encoding="utf-8"
    )  # fmt: skip
    (scripts / "finance" / "budget.sql").write_text(
        "CREATE VIEW budget AS SELECT * FROM ledger;", encoding="utf-8"
    )
    (scripts / "finance").chmod(0)
    try:
        result = without_override(
            settings, "harvest", "sql", str(scripts), "--source-system", "analysts",
            "--format", "json",
        )  # fmt: skip
    finally:
        (scripts / "finance").chmod(0o755)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)["sources"][0]
    assert "analysts.arrears" in report["created_keys"]
    assert f"{scripts / 'finance'}: Permission denied (folder cannot be read)" in report["problems"]


@pytest.fixture
def postgres_source(tmp_path: Path) -> Iterator[Source]:
    with source_database("postgres", tmp_path) as built:
        yield built


def database(run: Runner, source: Source) -> object:
    return run(
        "harvest", "database", source.url, "--source-system", "housing-db",
        *source.schema_options,
    )  # fmt: skip


def test_a_database_the_harvest_may_not_connect_to_is_one_clear_line(
    run: Runner, postgres_source: Source
) -> None:
    url = make_url(postgres_source.url)
    postgres_source.run_sql(
        f'REVOKE CONNECT ON DATABASE "{url.database}" FROM PUBLIC, "{url.username}"'
    )
    before = head(run)
    result = database(run, postgres_source)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    assert f'permission denied for database "{url.database}"' in errors[0]
    assert url.render_as_string(hide_password=True).split("@")[0] in errors[0]  # the source
    assert "Traceback" not in result.output
    assert head(run) == before
    assert run("show", "housing-db").exit_code == 1


def test_privileges_taken_from_a_schema_and_a_table_lose_nothing(
    run: Runner, postgres_source: Source
) -> None:
    """PostgreSQL's catalogue describes every table to every role: a harvest
    role without USAGE on a schema or SELECT on a table still reads their
    structure, so revoking them never looks like a dropped table (and nothing is
    retired)."""
    assert database(run, postgres_source).exit_code == 0
    user = make_url(postgres_source.url).username
    postgres_source.run_sql(
        f'REVOKE USAGE ON SCHEMA social_care FROM PUBLIC, "{user}";'
        f'REVOKE ALL ON housing.tenants FROM PUBLIC, "{user}";'
    )
    before = head(run)
    result = run(
        "harvest", "database", postgres_source.url, "--source-system", "housing-db",
        *postgres_source.schema_options, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["sources"][0]
    assert (report["retired_keys"], report["changes"]) == ([], 0)
    assert head(run) == before

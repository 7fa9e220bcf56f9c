"""A command line that starts at once (#20): `catalogue --version` and `--help`
import neither the web app nor the database layer, and `catalogue show` reads
an asset without the web app, the lineage graph or the search index. What is
imported is checked, never how long it takes (benchmarks/bench_cli_start.py
measures that)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Runner

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))


def imported(env: dict[str, str], *args: str) -> tuple[set[str], str]:
    """The top-level packages a real `catalogue ARGS` process imports (read from
    `python -X importtime`), and what it printed."""
    modules, out = imported_modules(env, *args)
    return {name.split(".")[0] for name in modules}, out


def imported_modules(env: dict[str, str], *args: str) -> tuple[set[str], str]:
    """Every module (full dotted name) a real `catalogue ARGS` process imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", CATALOGUE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    modules = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return modules, done.stdout


def test_version_imports_no_web_app_database_or_index(tmp_path: Path) -> None:
    modules, out = imported({"CATALOGUE_INSTANCE_PATH": str(tmp_path)}, "--version")
    assert "version" in out
    assert "click" in modules  # the measurement sees imports at all
    assert not modules & {"flask", "sqlalchemy", "whoosh", "networkx", "alembic", "marshmallow"}


def test_help_lists_every_command_with_its_help_without_importing_them(tmp_path: Path) -> None:
    from cli import COMMANDS

    modules, out = imported({"CATALOGUE_INSTANCE_PATH": str(tmp_path), "COLUMNS": "200"}, "--help")
    assert not modules & {"flask", "sqlalchemy", "whoosh", "networkx"}
    listed: dict[str, str] = {}
    for line in out.split("Commands:")[1].splitlines():
        if line.startswith("  ") and not line.startswith("   "):  # a command's first line
            name, _, text = line.strip().partition(" ")
            listed[name] = text.strip()
        elif line.strip():  # its help text, wrapped
            listed[name] += " " + line.strip()
    assert set(listed) == {*COMMANDS, "init", "db"}
    for name, (_, help_text) in COMMANDS.items():
        assert listed[name] == help_text


def test_show_reads_an_asset_without_the_web_app_graph_or_index(run: Runner) -> None:
    assert run("register", "dataset", "garage-rents", "--title", "Garage rents").exit_code == 0
    modules, out = imported(run.env, "show", "garage-rents")
    assert "title" in out and "Garage rents" in out
    assert "sqlalchemy" in modules
    assert not modules & {"flask", "whoosh", "networkx", "marshmallow", "alembic"}


def test_show_imports_only_its_own_databases_dialect_and_no_yaml(run: Runner) -> None:
    """`show` loads the dialect of the catalogue's database only (on SQLite not
    PostgreSQL's, with its asyncio drivers), and not PyYAML, which is read only
    for a single sign-on group mapping file."""
    assert run("register", "dataset", "garage-rents", "--title", "Garage rents").exit_code == 0
    modules, out = imported_modules(run.env, "show", "garage-rents")
    assert "Garage rents" in out
    on_postgresql = run.env["CATALOGUE_DATABASE_URL"].startswith("postgresql")
    own, other = ("postgresql", "sqlite") if on_postgresql else ("sqlite", "postgresql")
    assert f"sqlalchemy.dialects.{own}" in modules
    assert f"sqlalchemy.dialects.{other}" not in modules
    assert "yaml" not in modules


def test_list_lists_without_the_web_app_graph_or_index(run: Runner) -> None:
    for key, title in (("garage-rents", "Garage rents"), ("allotment-plots", "Allotment plots")):
        assert run("register", "dataset", key, "--title", title).exit_code == 0
    modules, out = imported(run.env, "list")
    assert "garage-rents" in out and "Allotment plots" in out
    assert not modules & {"flask", "whoosh", "networkx", "marshmallow", "alembic"}
    as_json, _ = imported(run.env, "list", "--kind", "dataset", "--format", "json")
    assert not as_json & {"flask", "whoosh", "networkx"}


def test_register_leaves_the_index_to_the_next_search_which_finds_the_asset(
    run: Runner,
) -> None:
    """`register` writes the asset and its change log row, and the search index,
    a view of the change log, catches up at the next search: a steward who
    registers and then searches finds the asset, as before."""
    modules, out = imported(
        run.env, "register", "dataset", "garage-rents", "--title", "Garage rents"
    )
    assert "Registered dataset garage-rents (version 1)." in out
    assert not modules & {"flask", "whoosh", "networkx", "alembic"}
    assert "1 behind" in run("index", "status").output
    found = run("search", "garage rents")
    assert found.exit_code == 0 and "[garage-rents]" in found.output
    assert "up to date" in run("index", "status").output
    verified = run("index", "verify")
    assert verified.exit_code == 0 and "0 difference(s)" in verified.output


@pytest.mark.parametrize("args", [("list",), ("lineage", "trace", "nope")])
def test_commands_loaded_on_use_still_turn_failures_into_messages(
    run: Runner, args: tuple[str, ...]
) -> None:
    """A lazily imported command is still wrapped by the group's error mapping."""
    result = run(*args)
    if args == ("list",):
        assert result.exit_code == 0 and "No assets match" in result.output
    else:
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "nope" in result.output

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
    done = subprocess.run(
        [sys.executable, "-X", "importtime", CATALOGUE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    modules = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
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

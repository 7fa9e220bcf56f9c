"""A harvest killed with SIGKILL while it writes leaves the catalogue exactly
as it was before that source's run; the next harvest completes it."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner
from tests.faults.test_crashes import catalogue_process, stderr_of, writing_started

pytestmark = pytest.mark.slow
TABLES = 600


def big_source(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        for t in range(TABLES):
            cols = ", ".join(f"c{c} TEXT" for c in range(12))
            conn.execute(f"CREATE TABLE t{t:04d} (id INTEGER PRIMARY KEY, forename TEXT, {cols})")
    conn.close()
    return f"sqlite:///{path}"


def counts(run: Runner) -> tuple[int, int]:
    assets = len(json.loads(run("list", "--all", "--format", "json").output))
    return assets, json.loads(run("index", "status", "--format", "json").output)["head"]


def kill_once_writing(process: subprocess.Popen) -> bool:
    """SIGKILL the harvest when it reports its first progress line (which it
    prints inside its write transaction); True if it was still running."""
    began = writing_started(process)
    while not began.wait(timeout=0.5) and process.poll() is None:
        pass
    said = stderr_of(process) if process.poll() is not None else ""
    assert began.is_set(), f"the harvest ended before it began writing:\n{said}"
    running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    return running


def test_a_harvest_killed_mid_write_changes_nothing(run: Runner, tmp_path: Path) -> None:
    url = big_source(tmp_path / "big.db")
    before = counts(run)
    process = catalogue_process(
        run.env, "harvest", "database", url, "--source-system", "big-db", begins="Harvesting:"
    )
    assert kill_once_writing(process), "the harvest finished before it could be killed"
    assert counts(run) == before
    result = run("harvest", "database", url, "--source-system", "big-db")
    assert result.exit_code == 0
    assert counts(run)[0] == before[0] + TABLES + 1
    assert run("index", "verify").exit_code == 0

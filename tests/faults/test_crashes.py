"""Faults a real deployment meets: a process killed (-9) mid-write or mid-index,
and two processes writing at once. Real processes, real files, real signals.

Each guarantee is checked the way an operator would: count what the database
holds, then ask `catalogue index verify`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate import generate, write_file
from tests.conftest import Runner

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))
pytestmark = pytest.mark.slow


def catalogue_process(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [CATALOGUE, *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def counts(run: Runner) -> tuple[int, int]:
    """(assets, change log rows) as the database holds them."""
    assets = len(json.loads(run("list", "--all", "--format", "json").output))
    audit = run("index", "status", "--format", "json").output
    return assets, json.loads(audit)["head"]


def kill_after(process: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the process after ``seconds`` unless it finished; True if killed."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def test_apply_killed_at_random_moments_is_all_or_nothing(run: Runner, tmp_path: Path) -> None:
    records = generate(10_000, seed=11)
    path = tmp_path / "register.json"
    write_file(records, path)
    edges = sum(len(r.get("upstream", [])) for r in records)
    full = (len(records), len(records) + edges)
    rng = random.Random(5)
    killed = 0
    # Early, middle and late kills: while reading, while writing the database,
    # and (on a fast machine) after the commit while the search index is built.
    for attempt, (low, high) in enumerate([(0.5, 3.0), (3.0, 10.0), (10.0, 40.0)]):
        before = counts(run)
        process = catalogue_process(run.env, "apply", str(path))
        killed += kill_after(process, rng.uniform(low, high))
        after = counts(run)
        assert after in {before, full}, f"attempt {attempt}: partial apply {after}"
        # The next search heals the index, whatever moment the kill came at.
        assert run("search", "council tax").exit_code == 0
        verify = run("index", "verify")
        assert verify.exit_code == 0, verify.output
        assert "0 difference(s)" in verify.output
    assert killed >= 1, "no apply was interrupted: the test proved nothing"


def test_index_rebuild_killed_midway_heals_on_the_next_search(
    demo_run: Runner,
) -> None:
    assert demo_run("index", "rebuild").exit_code == 0
    rng = random.Random(9)
    for _ in range(3):
        process = catalogue_process(demo_run.env, "index", "rebuild")
        kill_after(process, rng.uniform(0.05, 1.0))
        assert demo_run("search", "bins").exit_code == 0
        verify = demo_run("index", "verify")
        assert verify.exit_code == 0 and "0 difference(s)" in verify.output, verify.output


def test_two_processes_writing_at_once_lose_nothing(run: Runner) -> None:
    assert run("register", "dataset", "shared", "--title", "Shared").exit_code == 0
    # Eight writers on different assets, and four racing for the same version.
    writers = [
        catalogue_process(run.env, "register", "dataset", f"w{i}", "--title", f"Writer {i}")
        for i in range(8)
    ]
    racers = [
        catalogue_process(run.env, "update", "shared", "--title", f"Racer {i}", "--version", "1")
        for i in range(4)
    ]
    for p in writers:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    outcomes = [p.wait(timeout=120) for p in racers]
    assert outcomes.count(0) == 1, "exactly one update of version 1 may land"
    for p, code in zip(racers, outcomes, strict=True):
        if code:
            assert "has changed since you read it" in (p.stderr.read() if p.stderr else "")
    listed = {r["key"] for r in json.loads(run("list", "--format", "json").output)}
    assert {f"w{i}" for i in range(8)} <= listed
    history = json.loads(run("history", "shared", "--format", "json").output)
    assert [h["action"] for h in history] == ["asset.create", "asset.update"]
    winner = history[1]["after"]["title"]
    assert json.loads(run("show", "shared", "--format", "json").output)["title"] == winner

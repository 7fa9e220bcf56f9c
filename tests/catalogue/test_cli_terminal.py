"""What a person sees at a terminal (#20): the auditor's trace fits the
terminal's width, and long commands show a progress bar on a terminal (a real
pseudo-terminal here) and none of its control codes when the output goes to a
file or another program."""

from __future__ import annotations

import csv
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import Runner

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))
TRACED = "rpt-housing-arrears-dashboard"
#: What the demo's trace of the arrears dashboard lists (catalogue/demo/lineage.yaml).
UPSTREAM = {
    "rent-arrears-weekly",
    "tenancies",
    "housing-properties",
    "rent-accounts",
    "sys-northgate-housing",
    "llpg-addresses",
    "sys-gis-llpg",
}


def trace_at(run: Runner, columns: int) -> list[str]:
    result = Runner({**run.env, "COLUMNS": str(columns)})("lineage", "trace", TRACED)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_the_trace_fits_120_columns_leaving_out_via_and_steward_first(demo_run: Runner) -> None:
    lines = trace_at(demo_run, 120)
    assert max(len(line) for line in lines) <= 120
    header = lines[1].split()
    assert header[:2] == ["HOPS", "KEY"]
    assert {"STATUS", "OWNER", "CLASSIFICATION", "ACCESS", "PERSONAL", "STALE"} <= set(header)
    assert "VIA" not in header and "STEWARD" not in header
    assert {line.split()[1] for line in lines[2:9]} == UPSTREAM
    assert any(line.startswith("(via, steward") and "--format csv" in line for line in lines)
    assert any(line.startswith("Inherits:") for line in lines)


def test_the_trace_fits_80_columns_with_every_field_on_two_lines(demo_run: Runner) -> None:
    lines = trace_at(demo_run, 80)
    assert max(len(line) for line in lines) <= 80
    text = "\n".join(lines)
    for key in UPSTREAM:
        assert f"  {key}  " in text, key
    weekly = text[text.index("1  rent-arrears-weekly") :]
    assert weekly.startswith("1  rent-arrears-weekly  dataset (active)\n   owner Joanne Whitaker;")
    flat = " ".join(weekly.split())
    assert "steward Aisha Begum; OFFICIAL, internal; personal data" in flat
    assert "via pl-housing-nightly" in flat


def test_a_wide_terminal_gets_every_column(demo_run: Runner) -> None:
    lines = trace_at(demo_run, 200)
    assert lines[1].split()[-2:] == ["STALE", "VIA"] and "STEWARD" in lines[1]
    assert not any("left out" in line for line in lines)


def test_output_that_is_not_a_terminal_is_80_columns_unless_columns_says(
    demo_run: Runner,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [CATALOGUE, "lineage", "trace", TRACED],
        env={**env, **demo_run.env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    assert "  rent-arrears-weekly  dataset (active)" in done.stdout


def on_terminal(env: dict[str, str], *args: str, cwd: Path) -> tuple[int, str]:
    """Run `catalogue ARGS` with a pseudo-terminal as its input, output and error,
    as a person at a terminal does; its exit code and everything it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [CATALOGUE, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, **env},
        cwd=cwd,
    )
    os.close(follower)
    shown = b""
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the command has closed the terminal
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    return process.wait(timeout=60), shown.decode("utf-8", "replace")


def piped(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CATALOGUE, *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


#: What a progress bar draws: a carriage return to redraw it, and the codes that
#: hide and show the cursor.
BAR_CODES = ("\r", "\x1b[")


def long_work(kind: str, tmp: Path) -> list[str]:
    """A command line with enough work to show a bar (over 200 records)."""
    if kind == "apply":
        records = [
            {"key": f"ds-{i}", "kind": "dataset", "title": f"Dataset {i}"} for i in range(210)
        ]
        (tmp / "many.yaml").write_text(yaml.safe_dump(records), encoding="utf-8")
        return ["apply", "many.yaml"]
    if kind == "import":
        packages = [{"name": f"pkg-{i}", "title": f"Package {i}"} for i in range(210)]
        (tmp / "ckan.json").write_text(json.dumps(packages), encoding="utf-8")
        return ["import", "ckan", "ckan.json"]
    folder = tmp / "shared-drive"
    folder.mkdir()
    for name in ("rents", "repairs", "voids"):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows([["ref", "amount"], ["A1", "12.50"], ["A2", "7.00"]])
    return ["harvest", "files", "shared-drive", "--source-system", "sys-shared-drive"]


SUMMARIES = {
    "apply": "Applied 210 records: 210 create",
    "import": "Imported 210 packages: 210 create",
    "harvest": "changes recorded.",
}
BARS = {"apply": "Applying  [", "import": "Importing  [", "harvest": "Harvesting  ["}


@pytest.mark.parametrize("kind", ["apply", "import", "harvest"])
def test_long_work_shows_a_progress_bar_on_a_terminal_and_no_codes_otherwise(
    run: Runner, tmp_path: Path, kind: str
) -> None:
    if kind == "harvest":
        run("register", "source_system", "sys-shared-drive", "--title", "Shared drive")
    args = long_work(kind, tmp_path)
    code, shown = on_terminal(run.env, *args, cwd=tmp_path)
    assert code == 0, shown
    assert BARS[kind] in shown and "\r" in shown  # drawn, then redrawn in place
    assert "]" in shown.split(BARS[kind])[-1]
    assert SUMMARIES[kind] in shown
    assert "Traceback" not in shown

    again = piped(run.env, *args, cwd=tmp_path)  # the same work again, to a program
    assert again.returncode == 0, again.stderr
    assert SUMMARIES[kind].split(":")[0].split(" 210")[0] in again.stdout
    assert not any(code in again.stdout + again.stderr for code in BAR_CODES)
    assert "[#" not in again.stderr and "[-" not in again.stderr

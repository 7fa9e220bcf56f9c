"""A rebuild killed with -9 while its Whoosh helper processes run must not leave
them behind: they would hold the rebuild lock, and every later rebuild (and so
the next search that needs one) would wait for ever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from search import SearchIndex
from tests.search.conftest import record

pytestmark = pytest.mark.slow

REBUILDER = textwrap.dedent(
    """
    import sys
    from search import SearchIndex, generations
    from tests.search.conftest import record

    records = (
        record(f"asset-{i}", f"Council tax arrears {i}") for i in range(generations.CHUNK * 5)
    )
    SearchIndex(sys.argv[1], rebuild_procs=2).rebuild(records, 1)
    """
)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killed_rebuild_leaves_no_helpers_and_the_next_rebuild_runs(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-c", REBUILDER, str(tmp_path / "index")],
        cwd=root,
    )
    try:
        deadline = time.monotonic() + 120
        while not (helpers := children_of(process.pid)) and time.monotonic() < deadline:
            assert process.poll() is None, "the rebuild ended before its helpers were seen"
            time.sleep(0.05)
        assert helpers, "the rebuild started no helper processes: the test proves nothing"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in helpers), "helper processes outlived the killed rebuild"

    # The rebuild lock is free again: a new rebuild finishes instead of waiting.
    with SearchIndex(tmp_path / "index") as index:
        done: list[int] = []
        worker = threading.Thread(
            target=lambda: done.append(index.rebuild([record("bins", "Bin collections")], 2)),
            daemon=True,
        )
        worker.start()
        worker.join(timeout=30)
        assert done == [1], "the next rebuild waited on a lock the killed one left behind"

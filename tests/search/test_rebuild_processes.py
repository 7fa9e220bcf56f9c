"""Who may fork during an index rebuild is said by whoever opens the index, not by
module state that an app factory changes for every other user of the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from catalogue import create_app
from search import SearchIndex, SearchRequest, generations
from tests.search.conftest import record


def test_a_web_app_rebuilds_in_one_process_and_leaves_the_module_alone(tmp_path: Path) -> None:
    before = generations.DEFAULT_PROCS
    app = create_app({"instance_path": tmp_path, "database_url": f"sqlite:///{tmp_path}/c.db"})
    cat = app.extensions["catalogue"]
    assert cat.views.rebuild_procs == 1
    assert before == generations.DEFAULT_PROCS
    # A command-line catalogue in the same process keeps the parallel default.
    from catalogue.store import Catalogue

    assert Catalogue(cat.settings).views.rebuild_procs is None


def test_a_rebuild_with_one_process_forks_nothing_and_finds_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PARALLEL_THRESHOLD records: a parallel writer would fork (registering the
    fork hook first); one process does not."""
    monkeypatch.setattr(generations, "_fork_hook_registered", False)
    index = SearchIndex(tmp_path / "index", rebuild_procs=1)
    count = generations.PARALLEL_THRESHOLD
    records = (record(f"asset-{i}", f"Bin collection round {i}") for i in range(count))
    assert index.rebuild(records, 1) == count
    assert generations._fork_hook_registered is False
    assert index.search(SearchRequest(q="bin collection")).total == count
    index.close()


def test_importing_the_search_package_registers_no_fork_hook() -> None:
    script = textwrap.dedent(
        """
        import catalogue, search
        from search import generations
        print(generations._fork_hook_registered)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

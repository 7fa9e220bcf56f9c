"""A damaged or deleted search index: every surface says so, and it is repaired.

The index is a view of the database. Segment files overwritten with random bytes
or cut short, or a table of contents gone, must give a clear 503 (and a clear
command-line error), never a 500 or a traceback; /readyz must say the worker is
not ready; `catalogue index rebuild` must build a fresh index without reading
the old one. A deleted index folder is made again from the database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from catalogue import create_app
from catalogue.config import Settings
from tests.conftest import Runner

REPAIR = "catalogue index rebuild"


def generation(settings: Settings) -> Path:
    root = Path(settings.resolved_index_dir)
    return root / (root / "CURRENT").read_text(encoding="utf-8").strip()


def overwrite_segments(gen: Path) -> None:
    for path in gen.glob("MAIN_*"):
        path.write_bytes(os.urandom(path.stat().st_size))


def truncate_segments(gen: Path) -> None:
    for path in gen.glob("MAIN_*"):
        os.truncate(path, path.stat().st_size // 3)


def remove_toc(gen: Path) -> None:
    for path in gen.glob("_MAIN_*.toc"):
        path.unlink()


def overwrite_postings(gen: Path) -> None:
    for path in gen.glob("MAIN_*.pst"):
        path.write_bytes(os.urandom(path.stat().st_size))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "segments-overwritten": overwrite_segments,
    "segments-truncated": truncate_segments,
    "toc-missing": remove_toc,
    "postings-overwritten": overwrite_postings,
}


def searchable(demo_run: Runner) -> None:
    """Build the index the way a first search does."""
    assert demo_run("search", "bins").exit_code == 0


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_is_503_everywhere_until_rebuilt(
    demo_settings: Settings, demo_run: Runner, damage: str
) -> None:
    searchable(demo_run)
    DAMAGE[damage](generation(demo_settings))
    client = create_app(demo_settings).test_client()
    for url in ("/api/v1/search?q=bins", "/search?q=bins", "/api/3/action/package_search?q=bins"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 503, (url, response.status_code, text[:300])
        assert "search index cannot be read" in text and REPAIR in text, url
        assert "Traceback" not in text and str(demo_settings.resolved_index_dir) not in text
    ready = client.get("/readyz")
    assert ready.status_code == 503, ready.json
    assert ready.json["reason"].startswith("search index"), ready.json
    assert client.get("/assets/ev-charge-points").status_code == 200  # pages still work

    searched = demo_run("search", "bins")
    assert searched.exit_code == 1 and "search index cannot be read" in searched.output
    if damage != "postings-overwritten":  # found only when a search reads them
        for command in (("index", "status"), ("index", "verify")):
            result = demo_run(*command)
            assert result.exit_code == 1, (command, result.output)
            assert REPAIR in result.output and "Traceback" not in result.output, command

    rebuilt = demo_run("index", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilt the search index: 231 assets" in rebuilt.output
    verified = demo_run("index", "verify")
    assert verified.exit_code == 0 and "0 difference(s)" in verified.output
    # The same worker follows the new index without a restart.
    assert client.get("/readyz").status_code == 200
    found = client.get("/api/v1/search?q=bins")
    assert found.status_code == 200 and found.json["total"] > 0


def test_a_deleted_index_folder_is_made_again(
    demo_settings: Settings, demo_run: Runner, tmp_path: Path
) -> None:
    searchable(demo_run)
    app = create_app(demo_settings)
    client = app.test_client()
    assert client.get("/api/v1/search?q=bins").json["total"] > 0
    folder = Path(demo_settings.resolved_index_dir)

    shutil.rmtree(folder)  # under a running worker
    found = client.get("/api/v1/search?q=bins")
    assert found.status_code == 200 and found.json["total"] > 0
    assert (folder / "CURRENT").exists()
    assert client.get("/readyz").status_code == 200

    shutil.rmtree(folder)  # then the next writer, another process, makes it again
    changed = demo_run("update", "bin-collection-rounds", "--title", "Bin rounds (weekly)")
    assert changed.exit_code == 0, changed.output
    assert (folder / "CURRENT").exists()
    verified = demo_run("index", "verify")
    assert verified.exit_code == 0 and "0 difference(s)" in verified.output

    shutil.rmtree(folder)  # or `catalogue index rebuild`
    rebuilt = demo_run("index", "rebuild")
    assert rebuilt.exit_code == 0 and "231 assets" in rebuilt.output

"""`catalogue index rebuild` of a large catalogue forks helper processes that
each read their own run of assets from the database, with a connection of their
own, and write it to the index (#21). The index they build must be the one a
single reader builds, on both backends; a helper that cannot read the database,
or is killed, fails the rebuild with a message, never a traceback, and leaves
the index in use as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.changes import latest_seq
from catalogue.services.record_stream import asset_count, record_shares, stream_records
from catalogue.store import Catalogue
from search import SearchIndex, generations, share_count
from search.schema import RECORD_FIELDS, document_for
from tests.conftest import Runner
from tests.search.test_bulk_segments import keyed_contents
from tests.search_answers import assert_same_answers

#: What a test does to a helper's connect(): its arguments and keyword arguments.
Spoil = Callable[[list[Any], dict[str, Any]], None]


@pytest.fixture
def small_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shares of at most 20 assets, so the demo borough is read by several helpers."""
    monkeypatch.setattr(generations, "CHUNK", 40)
    monkeypatch.setattr(generations, "PARALLEL_THRESHOLD", 20)


def segments_of(index: SearchIndex) -> int:
    with index._lock:
        return len(list(index._fresh_searcher().reader().leaf_readers()))


@pytest.mark.usefixtures("small_shares")
def test_helpers_reading_their_own_assets_build_what_one_reader_builds(
    demo_catalogue: Catalogue, tmp_path: Path
) -> None:
    with demo_catalogue.read() as session:
        head = latest_seq(session)
        records = list(stream_records(session))
    one = SearchIndex(tmp_path / "one-reader", rebuild_procs=1)
    one.rebuild(records, head)
    assert demo_catalogue.views.rebuild_index() == len(records)  # what the command runs
    index = demo_catalogue.views.index()
    shares = share_count(len(records), 2)
    assert shares >= 4 and segments_of(index) == shares  # read by helpers, a segment each
    assert keyed_contents(index) == keyed_contents(one)
    assert_same_answers(demo_catalogue, one)
    one.close()


def test_the_fields_helpers_read_give_the_documents_whole_records_give(
    demo_catalogue: Catalogue,
) -> None:
    with demo_catalogue.read() as session:
        whole = list(stream_records(session))
        read = list(stream_records(session, fields=RECORD_FIELDS))
    assert [document_for(r) for r in read] == [document_for(r) for r in whole]
    # What the index never reads was left unread: the record of processing's lists.
    assert any(r["data_subjects"] for r in whole) and not any(r["data_subjects"] for r in read)


def test_runs_of_assets_hold_every_asset_once(catalogue: Catalogue) -> None:
    admin = operator("test-admin")
    with catalogue.write(admin) as writer:
        for n in range(7):
            assets.register(writer, {"key": f"a-{n}", "kind": "dataset", "title": f"A {n}"})
    for parts in (1, 2, 3, 7, 10):
        with catalogue.read() as session:
            shares = record_shares(session, catalogue.sessions, parts, asset_count(session))
        if parts == 3:  # an asset added after the runs were drawn is read by the last
            with catalogue.write(admin) as writer:
                assets.register(writer, {"key": "late", "kind": "dataset", "title": "Late"})
        assert len(shares) == parts
        keys = [record["key"] for share in shares for record in share()]
        expected = [f"a-{n}" for n in range(7)] + (["late"] if parts >= 3 else [])
        assert keys == expected, parts


@pytest.fixture
def in_helpers() -> Iterator[Callable[[Spoil], None]]:
    """Makes every database connection opened by a process forked from this one
    (a rebuild's helper) go through `spoil(arguments, keyword arguments)` of the
    driver's connect() first."""
    parent = os.getpid()
    listeners = []

    def install(spoil: Spoil) -> None:
        def connecting(
            dialect: Any, record: Any, cargs: list[Any], cparams: dict[str, Any]
        ) -> None:
            if os.getpid() != parent:
                spoil(cargs, cparams)

        event.listen(Engine, "do_connect", connecting)
        listeners.append(connecting)

    yield install
    for listener in listeners:
        event.remove(Engine, "do_connect", listener)


def unreachable(cargs: list[Any], cparams: dict[str, Any]) -> None:
    """The helper connects to a database that is not there."""
    if cargs:  # SQLite: a file in a folder that does not exist
        cargs[0] = "/no-such-folder/catalogue.db"
    else:
        cparams["dbname"] = "no_such_catalogue_database"


def killed(cargs: list[Any], cparams: dict[str, Any]) -> None:
    """The helper is killed, as the kernel does when memory runs out."""
    os.kill(os.getpid(), signal.SIGKILL)


def index_state(run: Runner) -> tuple[str, str]:
    return run("index", "status").output, run("search", "council tax").output


@pytest.mark.usefixtures("small_shares")
@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (unreachable, "cannot use the catalogue database: "),
        (killed, "the search index was not rebuilt: an index helper process was killed"),
    ],
)
def test_a_helper_that_fails_fails_the_rebuild_and_keeps_the_index(
    demo_run: Runner,
    in_helpers: Callable[[Spoil], None],
    spoil: Spoil,
    says: str,
) -> None:
    assert demo_run("index", "rebuild").exit_code == 0
    before = index_state(demo_run)
    folder = Path(demo_run.env["CATALOGUE_INSTANCE_PATH"])
    generations_before = sorted(folder.glob("**/gen-*"))
    in_helpers(spoil)
    failed = demo_run("index", "rebuild")
    assert failed.exit_code == 1
    assert says in failed.output and "Traceback" not in failed.output, failed.output
    assert sorted(folder.glob("**/gen-*")) == generations_before
    assert index_state(demo_run) == before
    verify = demo_run("index", "verify")
    assert verify.exit_code == 0 and "0 difference(s)" in verify.output, verify.output


START_UP = """
import sys
from cli import main
try:
    main(["index", "status"])
except SystemExit as done:
    assert not done.code, done.code
print(sorted(m for m in ("networkx", "lineage") if m in sys.modules))
"""


def test_the_index_commands_start_without_the_lineage_graphs_libraries(run: Runner) -> None:
    """A rebuild's start-up runs before its helpers can share the work: importing
    NetworkX for the search command's run-health marks cost it a quarter of it."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, **run.env}
    done = subprocess.run(
        [sys.executable, "-c", START_UP], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"

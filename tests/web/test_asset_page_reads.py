"""How an asset page reads the database (#21): everything it shows in one
session (the watch button, run health and last write included), only the
changes it shows, and, on PostgreSQL, statements that stay prepared from one
request to the next. The search page, too, reads in one session however many
results it shows. What the page shows is what it showed before; these tests
hold the page to the reads that got it within its target on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from catalogue.models import Department
from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.web.conftest import Pages, fresh_demo_app

ADMIN = operator("test-admin")
DATASET = "rent-arrears-weekly"


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module changes an asset: its own demo copy, not the shared one."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


@contextmanager
def connections_taken(app: Flask) -> Iterator[list[object]]:
    """Each connection taken from the app's pool meanwhile (one per session that
    queried: on PostgreSQL a ping, BEGIN and the end of its transaction)."""
    taken: list[object] = []
    pool = app.extensions["catalogue"].engine.pool

    def note(dbapi_connection: object, *_: object) -> None:
        taken.append(dbapi_connection)

    event.listen(pool, "checkout", note)
    try:
        yield taken
    finally:
        event.remove(pool, "checkout", note)


def test_an_asset_page_reads_in_one_session_besides_signing_in(
    demo_app: Flask, pages: Pages
) -> None:
    pages.sign_in("viewer")
    with connections_taken(demo_app) as taken:
        html = pages.text(f"/assets/{DATASET}")
    # Still everything the page's helpers used to fetch for themselves.
    assert 'id="watch-form"' in html
    assert "See every change" in html
    # Resuming the signed-in session, then the page: the watch button, run
    # health and the last write no longer take a connection each.
    assert len(taken) <= 2, f"{len(taken)} connections taken for one page"


def test_a_page_of_search_results_reads_in_one_session_besides_signing_in(
    demo_app: Flask, pages: Pages
) -> None:
    pages.sign_in("viewer")
    with connections_taken(demo_app) as taken:
        html = pages.text("/search?q=council")
    # A full page of results, each of which may carry an "At risk" tag...
    assert html.count('<li class="app-result">') == 20
    # ...read with the search in one session, not one session a result.
    assert len(taken) <= 2, f"{len(taken)} connections taken for one page of results"


def test_the_page_shows_the_latest_changes_and_counts_the_rest(
    demo_app: Flask, pages: Pages
) -> None:
    catalogue = demo_app.extensions["catalogue"]
    for n in range(7):
        with catalogue.write(ADMIN) as writer:
            assets.update(writer, DATASET, {"retention_period": f"{n + 1} years"})
    html = pages.sign_in("viewer").text(f"/assets/{DATASET}")
    every = pages.text(f"/assets/{DATASET}/history")
    total = every.count('<tr class="govuk-table__row">') - 1  # less the header row
    recent = html.split('href="/assets/rent-arrears-weekly/history"')[0]
    # The five latest of the seven, newest first; the two before are not shown.
    assert "Retention period: 6 years → 7 years" in recent
    assert "Retention period: 2 years → 3 years" in recent
    assert "→ 2 years" not in html and "→ 1 years" not in html
    assert f"See every change ({total - 5} more)" in html


# Prepared statements are PostgreSQL's: this test runs on that backend only.
@pytest.mark.parametrize("web_backend", ["postgres"], indirect=True, scope="session")
def test_postgresql_keeps_the_pages_statements_prepared(demo_app: Flask, pages: Pages) -> None:
    catalogue = demo_app.extensions["catalogue"]
    assert catalogue.engine.dialect.name == "postgresql"
    pages.sign_in("viewer")
    for _ in range(30):  # psycopg prepares a statement on its fifth run on a connection
        pages.text(f"/assets/{DATASET}")
    pool = catalogue.engine.pool
    held = [catalogue.engine.raw_connection() for _ in range(pool.checkedin())]
    try:
        prepared = 0
        for connection in held:
            cursor = connection.cursor()
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            prepared += cursor.fetchone()[0]
    finally:
        for connection in held:
            connection.close()
    # A read that ended with ROLLBACK made psycopg forget them all: none, ever.
    assert prepared > 0


@pytest.mark.parametrize("how", ["read", "reading"])
def test_a_read_that_wrote_is_rolled_back_not_kept(catalogue: Catalogue, how: str) -> None:
    """A read ends with COMMIT only when it wrote nothing: whatever a read
    session changed without committing is discarded, as it always was."""
    if how == "read":
        with catalogue.read() as session:
            session.add(Department(name="Written by a read"))
            session.flush()
    else:
        with catalogue.reading(ADMIN) as reader:
            reader.session.execute(text("INSERT INTO departments (name) VALUES ('By SQL')"))
    with catalogue.read() as session:
        names = set(session.scalars(select(Department.name)))
    assert "Written by a read" not in names and "By SQL" not in names

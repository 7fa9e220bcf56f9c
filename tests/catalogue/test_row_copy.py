"""Many new rows at once (#21): `catalogue apply` sends its new assets, columns,
tags, edges and change-log rows with COPY on PostgreSQL and the sqlite3
module's own ``executemany`` on SQLite, numbering them first. What is stored
must be exactly what the INSERTs stored: the same values, times, JSON (``None``
as JSON ``null``) and ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from sqlalchemy import Table, Text, func, insert, select

from catalogue.config import load_settings
from catalogue.db import Base
from catalogue.models import Asset, ChangeLog, Edge
from catalogue.services import row_copy
from catalogue.services.apply import execute_plan, plan_apply
from catalogue.services.catalogue_file import SourceRecord
from catalogue.store import Catalogue
from tests.conftest import Runner

pytestmark = pytest.mark.calendar  # the change log's times follow the clock

TABLE = cast(Table, ChangeLog.__table__)


#: The clock the writes here run on; the register's dates are days before it,
#: its time with a zone other than UTC's (stored as it was given).
WRITTEN_AT = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
LAST_UPDATED = (WRITTEN_AT - timedelta(days=58)).date().isoformat()
SOURCE_CREATED = (
    (WRITTEN_AT - timedelta(days=60)).astimezone(timezone(timedelta(hours=1))).isoformat()
)


def log_rows(first_seq: int) -> list[dict[str, Any]]:
    when = WRITTEN_AT
    return [
        {
            "seq": first_seq + n,
            "asset_key": f"rent-{n}",
            "action": "asset.create" if n % 2 else "edge.add",
            "actor": "ann.lee@example.gov.uk",
            "at": when,
            "before": None if n % 2 else {"title": "Rent 'ledger'\t\\ \u00e9", "tags": []},
            "after": {"title": f"Rent ledger {n}", "nested": {"n": n, "ok": True, "x": None}},
        }
        for n in range(row_copy.COPY_FROM)
    ]


def stored(catalogue: Catalogue, seqs: range) -> list[tuple[Any, ...]]:
    """The rows as the database holds them, JSON as its text and SQL NULL told apart."""
    columns = TABLE.c
    query = select(
        columns.asset_key,
        columns.action,
        columns.actor,
        columns.at,
        columns.before.is_(None),
        columns.before.cast(Text),
        columns.after,
    ).where(columns.seq.in_(list(seqs)))
    with catalogue.read() as session:
        return [tuple(row) for row in session.execute(query.order_by(columns.seq))]


def test_rows_copied_are_stored_as_an_insert_stores_them(catalogue: Catalogue) -> None:
    with catalogue.sessions.begin() as session:
        session.execute(insert(TABLE), log_rows(1001))
        row_copy.insert_rows(session, TABLE, log_rows(2001))
        copying = row_copy.uses_copy(session)
    assert copying == (catalogue.engine.dialect.name == "postgresql")
    assert row_copy._direct(session, TABLE, log_rows(1)) == ("copy" if copying else "executemany")
    count = row_copy.COPY_FROM
    inserted = stored(catalogue, range(1001, 1001 + count))
    copied = stored(catalogue, range(2001, 2001 + count))
    assert len(copied) == count
    assert copied == inserted
    assert copied[1][4] is False and copied[1][5] == "null"  # JSON null, not SQL NULL


def test_applied_edges_are_logged_with_the_ids_they_are_stored_under(
    run: Runner, tmp_path: Path, catalogue: Catalogue
) -> None:
    records: list[dict[str, Any]] = [
        {"key": "sys-housing", "kind": "source_system", "title": "Housing system"}
    ]
    records += [
        {"key": f"rent-{n}", "kind": "dataset", "title": f"Rent {n}", "upstream": ["sys-housing"]}
        for n in range(row_copy.COPY_FROM + 20)  # enough to be copied on PostgreSQL
    ]
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(records), encoding="utf-8")
    assert run("apply", str(path)).exit_code == 0
    with catalogue.read() as session:
        ids = dict(session.execute(select(Asset.key, Asset.id)).all())
        edges = {e.id: (e.upstream_id, e.downstream_id) for e in session.scalars(select(Edge))}
        logged: list[dict[str, Any]] = [
            row.after or {}
            for row in session.scalars(select(ChangeLog).where(ChangeLog.action == "edge.add"))
        ]
    first = min(ids.values())
    assert sorted(ids.values()) == list(range(first, first + len(records)))
    assert ids["sys-housing"] == first  # numbered in the file's order, as INSERTs number them
    assert len(logged) == len(records) - 1
    for record in logged:
        assert edges[record["id"]] == (ids[record["upstream"]], ids[record["downstream"]])


def applied_register(count: int) -> list[SourceRecord]:
    """A register with every kind of value a row holds: texts with quotes and
    accents, dates, times with a zone, booleans, lists and links (JSON), columns,
    tags, people, lineage with a pipeline and a description."""
    records: list[dict[str, Any]] = [
        {"key": "sys-housing", "kind": "source_system", "title": "Housing system"},
        {"key": "job-nightly", "kind": "pipeline", "title": "Nightly load"},
    ]
    for n in range(count):
        records.append(
            {
                "key": f"rent-{n:03d}",
                "kind": "dataset",
                "title": f"Rent 'ledger' {n} — café",
                "description": "Weekly \"rent\" charges.\n\nBy estate." if n % 2 else "",
                "tags": ["rent", f"estate-{n % 3}"],
                "department": "Housing",
                "owner": "Ann Lee",
                "owner_email": "ann.lee@example.gov.uk",
                "personal_data": bool(n % 2),
                "lawful_basis": "public_task" if n % 2 else None,
                "data_subjects": ["tenants"] if n % 2 else [],
                "last_updated": LAST_UPDATED,
                "source_created": SOURCE_CREATED,
                "links": [{"url": f"https://data.example.gov.uk/rent/{n}", "name": "CSV"}],
                "columns": [{"name": "tenancy_ref", "personal": True}, {"name": "amount"}],
                "upstream": [
                    "sys-housing" if n % 2 else {"key": "sys-housing", "via": "job-nightly",
                                                 "description": "nightly extract"}
                ],
            }
        )  # fmt: skip
    return [SourceRecord(f"register.yaml:{i + 1}", r) for i, r in enumerate(records)]


def stored_text(catalogue: Catalogue) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows as the database holds them: each value as its text
    (JSON's exactly as stored) and, on SQLite, the kind of value it is stored as."""
    sqlite = catalogue.engine.dialect.name == "sqlite"
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with catalogue.read() as session:
        for table in Base.metadata.sorted_tables:
            values = [c.cast(Text) for c in table.columns]
            kinds = [func.typeof(c) for c in table.columns] if sqlite else []
            query = select(*values, *kinds).order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(row) for row in session.execute(query)]
    return tables


def test_an_apply_stores_what_the_inserts_of_each_row_stored(
    make_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same register applied at the same moment to two new catalogues, one
    through SQLAlchemy's INSERTs and one sent straight to the driver: every
    table's rows the same, value for value (ids, times, JSON text)."""
    now = WRITTEN_AT
    register = applied_register(row_copy.COPY_FROM + 10)
    stored: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    for way in ("insert", "direct"):
        if way == "insert":
            monkeypatch.setattr(row_copy, "_direct", lambda *_: None)
        else:
            monkeypatch.undo()
        settings = load_settings(
            {"instance_path": tmp_path / way, "database_url": make_database(), "actor": "t"}
        )
        catalogue = Catalogue(settings)
        try:
            with catalogue.write("ann.lee@example.gov.uk", now=now) as writer:
                execute_plan(writer, plan_apply(writer, register))
            stored[way] = stored_text(catalogue)
        finally:
            catalogue.close()
    assert len(stored["direct"]["assets"]) == len(register)
    assert len(stored["direct"]["asset_columns"]) == 2 * (len(register) - 2)
    assert len(stored["direct"]["change_log"]) == 2 * len(register) - 2
    assert stored["direct"] == stored["insert"]


def test_rows_sent_straight_to_the_driver_go_back_with_the_write(catalogue: Catalogue) -> None:
    """A write that fails after its rows were sent to the driver (executemany
    on SQLite, COPY on PostgreSQL) leaves nothing: they were in its transaction."""
    register = applied_register(row_copy.COPY_FROM + 10)
    failing = pytest.raises(RuntimeError, match="after the rows")
    with failing, catalogue.write("ann.lee@example.gov.uk") as writer:
        execute_plan(writer, plan_apply(writer, register))
        with catalogue.read() as other:  # another connection sees none of it yet
            assert other.scalar(select(func.count()).select_from(Asset)) == 0
        raise RuntimeError("after the rows")
    with catalogue.read() as session:
        for table in (Asset, Edge, ChangeLog):
            assert session.scalar(select(func.count()).select_from(table)) == 0
    with catalogue.write("ann.lee@example.gov.uk") as writer:
        execute_plan(writer, plan_apply(writer, register))
    with catalogue.read() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == len(register)

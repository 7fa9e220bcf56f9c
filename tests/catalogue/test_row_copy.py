"""Many new rows at once (#21): on PostgreSQL `catalogue apply` sends its new
assets, columns, tags, edges and change-log rows with COPY, numbering them from
the tables' sequences first. What is stored must be exactly what the INSERTs
stored: the same values, times, JSON (``None`` as JSON ``null``) and ids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from sqlalchemy import Table, Text, insert, select

from catalogue.models import Asset, ChangeLog, Edge
from catalogue.services import row_copy
from catalogue.store import Catalogue
from tests.conftest import Runner

pytestmark = pytest.mark.calendar  # the change log's times follow the clock

TABLE = cast(Table, ChangeLog.__table__)


def log_rows(first_seq: int) -> list[dict[str, Any]]:
    when = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
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

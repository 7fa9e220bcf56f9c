"""The benchmarks' bulk-written catalogue (#21) is the catalogue `catalogue apply`
writes from the same generated records: the same assets as read back, the same
edges, the same change log, the same lineage graph and the same search answers,
on SQLite and PostgreSQL. And a write after it gets fresh ids (PostgreSQL's
sequences were moved past the rows written)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from benchmarks import bulk_load
from benchmarks.catalogues import ADMIN, add_wide_dataset, load_generated
from benchmarks.generate import generate
from catalogue.config import load_settings
from catalogue.models import ChangeLog
from catalogue.services.edges import all_edges
from catalogue.services.record_stream import records_by_key
from catalogue.services.search import search_assets
from catalogue.store import Catalogue

ASSETS = 300
TABLES = ["departments", "people", "tags", "assets", "asset_columns", "asset_tags", "edges"]
TABLES += ["change_log", "log_head"]
TIMES = {"created_at", "updated_at", "valid_from"}
QUERIES = ["council tax", "housing", "repairs extract", "potholes dashboard", "payroll 1"]


def _open(database_url: str, folder: Path) -> Catalogue:
    return Catalogue(load_settings({"instance_path": folder, "database_url": database_url}))


def _untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in TIMES}
    return value


def _stored(catalogue: Catalogue) -> dict[str, list[str]]:
    """Every row of the tables apply writes, as stored (ids and all), with the
    write's own time, in whatever form the backend keeps it, put as "NOW"."""
    with catalogue.read() as session:
        now = session.scalars(select(ChangeLog.at).where(ChangeLog.seq == 1)).one()
        forms = [
            str(now.replace(tzinfo=None)),
            now.isoformat(),
            repr(now),
            repr(now.replace(tzinfo=None)),
        ]
        out = {}
        for table in TABLES:
            rows = session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()
            out[table] = []
            for row in rows:
                written = json.dumps(
                    [str(v) if isinstance(v, datetime) else v for v in row], default=str
                )
                for form in forms:
                    written = written.replace(form, "NOW")
                out[table].append(written)
    return out


def _read(catalogue: Catalogue) -> dict[str, Any]:
    """What a user of the catalogue could notice, the write's own time left out."""
    keys = [r["key"] for r in generate(ASSETS)]
    with catalogue.read() as session:
        assets = {k: _untimed(dict(r)) for k, (_id, r) in records_by_key(session, keys).items()}
        edges = sorted(
            (e["upstream"], e["downstream"], e["via"], e["description"], e["valid_to"])
            for e in all_edges(session)
        )
        log = [
            (row.seq, row.action, row.asset_key, row.actor, row.before, _untimed(row.after))
            for row in session.scalars(select(ChangeLog).order_by(ChangeLog.seq))
        ]
    graph = catalogue.views.graph()
    upstream = {k: sorted(h.key for h in graph.upstream(k)) for k in keys[-40:]}
    catalogue.views.rebuild_index()
    with catalogue.reading(ADMIN) as reader:
        searches = {
            q: [(h.key, h.title) for h in search_assets(reader, q, per_page=50).hits]
            for q in QUERIES
        }
    return {
        "assets": assets,
        "edges": edges,
        "log": log,
        "upstream": upstream,
        "searches": searches,
    }


@pytest.mark.slow
def test_bulk_load_writes_the_catalogue_apply_writes(make_database: Any, tmp_path: Path) -> None:
    by_apply = _open(make_database(), tmp_path / "apply")
    bulk = _open(make_database(), tmp_path / "bulk")
    try:
        _seconds, edges_by_apply = load_generated(by_apply, ASSETS)
        edges_in_bulk = bulk_load.load(bulk, generate(ASSETS), ADMIN.name)
        assert edges_in_bulk == edges_by_apply > ASSETS  # layered lineage, ~3 edges an asset

        expected, found = _read(by_apply), _read(bulk)
        assert len(found["assets"]) == ASSETS
        for part in expected:
            assert found[part] == expected[part], part
        assert any(found["searches"].values())
        assert _stored(bulk) == _stored(by_apply)  # byte for byte, ids included

        # Written after the bulk load, a new asset gets an id and a change log
        # entry of its own (PostgreSQL's sequences are past the bulk rows).
        add_wide_dataset(bulk)
        with bulk.read() as session:
            last = session.scalars(select(ChangeLog).order_by(ChangeLog.seq.desc())).first()
        assert last is not None and last.seq == len(found["log"]) + 1
    finally:
        by_apply.close()
        bulk.close()


def test_bulk_load_refuses_a_catalogue_that_holds_assets(
    make_database: Any, tmp_path: Path
) -> None:
    catalogue = _open(make_database(), tmp_path / "cat")
    try:
        bulk_load.load(catalogue, generate(60), ADMIN.name)
        with pytest.raises(ValueError, match="empty catalogue"):
            bulk_load.load(catalogue, generate(60), ADMIN.name)
    finally:
        catalogue.close()

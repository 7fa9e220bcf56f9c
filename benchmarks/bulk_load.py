"""A generated catalogue written straight into a fresh database, as `catalogue
apply` would write it, in a fraction of the time (#21).

`make bench` needs a 100,000-asset catalogue on each backend. Through apply's
plan (every record checked by the schema, every name resolved, every row's id
read back) that took 150-175 s a backend, about half the run. The generated
records are valid by construction, so here the same rows are computed once in
Python, with ids handed out in the order apply's inserts give them, and written
in large batches: the driver's ``executemany`` on SQLite, ``COPY`` on PostgreSQL. The
change log holds the same entries (``asset.create`` then ``edge.add``, in the
same order, the asset records built by apply's own ``bulk._new_record``), so
the graph, the search index and the as-of traces read the same catalogue; a
test holds the two builds to that (tests/test_bench_bulk_load.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import JSON, Connection, Table, func, select, text, update

from catalogue.db import utcnow
from catalogue.models import (
    Asset,
    AssetColumn,
    ChangeLog,
    Department,
    Edge,
    LogHead,
    Person,
    Tag,
    asset_tags,
)
from catalogue.services.bulk import _column_dicts, _new_record
from catalogue.services.changes import refresh_statistics
from catalogue.services.records import ARTICLE_30_LISTS, PLAIN_FIELDS
from catalogue.store import Catalogue

#: What the schema fills in for a field a record leaves out (load_asset's defaults).
DEFAULTS: dict[str, Any] = {
    "description": "",
    "tags": [],
    "classification": "OFFICIAL",
    "access": "internal",
    "personal_data": False,
    "special_category": False,
    "status": "active",
    "columns": [],
    "links": [],
    **{name: [] for name in ARTICLE_30_LISTS},
}
TABLES = {
    name: cast(Table, model.__table__)
    for name, model in (
        ("departments", Department),
        ("people", Person),
        ("tags", Tag),
        ("assets", Asset),
        ("asset_columns", AssetColumn),
        ("edges", Edge),
        ("change_log", ChangeLog),
    )
}
TABLES["asset_tags"] = asset_tags
#: Tables whose ids are handed out here: PostgreSQL's sequences are moved past them.
SEQUENCED = ("departments", "people", "tags", "assets", "asset_columns", "edges")
BATCH = 5000
ROLES = ("owner", "steward")


def loaded_values(record: dict[str, Any]) -> dict[str, Any]:
    """A generated record as the schema loads it: defaults filled, dates parsed."""
    values = {**DEFAULTS, **{k: v for k, v in record.items() if k != "upstream"}}
    if isinstance(values.get("last_updated"), str):
        values["last_updated"] = date.fromisoformat(values["last_updated"])
    return values


class Rows:
    """Every row of a generated catalogue, ids in apply's insert order."""

    def __init__(self, records: Sequence[dict[str, Any]], actor: str, now: datetime) -> None:
        self.now, self.actor = now, actor
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.log: list[dict[str, Any]] = []
        self._named: dict[str, dict[Any, SimpleNamespace]] = {"departments": {}, "people": {}}
        self._tags: dict[str, int] = {}
        self.ids: dict[str, int] = {}
        for values in map(loaded_values, records):
            self._asset(values)
        for record in records:
            for ref in record.get("upstream", []):
                up, via = (ref, None) if isinstance(ref, str) else (ref["key"], ref.get("via"))
                self._edge(up, record["key"], via)

    def _named_row(self, table: str, key: Any, **row: Any) -> SimpleNamespace:
        found = self._named[table]
        if key not in found:
            found[key] = SimpleNamespace(id=len(found) + 1, **row)
            self.tables[table].append({"id": len(found), **row})
        return found[key]

    def _person(self, name: str | None, email: str | None) -> SimpleNamespace | None:
        """Found by email where there is one, else by name (as apply's resolver)."""
        if not name and not email:
            return None
        key = ("email", email) if email else ("name", name)
        return self._named_row("people", key, name=name or email, email=email)

    def _asset(self, values: dict[str, Any]) -> None:
        asset_id = len(self.ids) + 1
        self.ids[values["key"]] = asset_id
        dept = values.get("department")
        department = self._named_row("departments", dept, name=dept) if dept else None
        people = [self._person(values.get(role), values.get(f"{role}_email")) for role in ROLES]
        row = {name: values.get(name) for name in PLAIN_FIELDS}
        row.update(
            id=asset_id,
            key=values["key"],
            department_id=department.id if department else None,
            owner_id=people[0].id if people[0] else None,
            steward_id=people[1].id if people[1] else None,
            links=list(values["links"]),
            version=1,
            created_at=self.now,
            updated_at=self.now,
        )
        row.update({name: list(values[name]) for name in ARTICLE_30_LISTS})
        self.tables["assets"].append(row)
        for position, column in enumerate(_column_dicts(values)):
            column_id = len(self.tables["asset_columns"]) + 1
            self.tables["asset_columns"].append(
                {"id": column_id, "asset_id": asset_id, "position": position, **column}
            )
        for name in dict.fromkeys(values["tags"]):
            if name not in self._tags:
                self._tags[name] = len(self._tags) + 1
                self.tables["tags"].append({"id": self._tags[name], "name": name})
            self.tables["asset_tags"].append({"asset_id": asset_id, "tag_id": self._tags[name]})
        writer = SimpleNamespace(now=self.now)
        after = _new_record(values, cast(Any, writer), department, *people)
        self._log("asset.create", values["key"], after)

    def _edge(self, up: str, down: str, via: str | None) -> None:
        edge_id = len(self.tables["edges"]) + 1
        self.tables["edges"].append(
            {
                "id": edge_id,
                "upstream_id": self.ids[up],
                "downstream_id": self.ids[down],
                "via_id": self.ids[via] if via else None,
                "description": None,
                "valid_from": self.now,
                "valid_to": None,
            }
        )
        record = {"id": edge_id, "upstream": up, "downstream": down, "via": via}
        record.update(description=None, valid_from=self.now.isoformat(), valid_to=None)
        self._log("edge.add", down, record)

    def _log(self, action: str, key: str, after: dict[str, Any]) -> None:
        self.log.append(
            {
                "seq": len(self.log) + 1,
                "asset_key": key,
                "action": action,
                "actor": self.actor,
                "at": self.now,
                "before": None,
                "after": after,
            }
        )


def load(catalogue: Catalogue, records: Sequence[dict[str, Any]], actor: str) -> int:
    """Write ``records`` (generated, valid) into the catalogue's empty database as
    one transaction, as `catalogue apply` by ``actor`` would; the number of edges."""
    rows = Rows(records, actor, utcnow())
    rows.tables["change_log"] = rows.log
    with catalogue.engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(TABLES["assets"])):
            raise ValueError("bulk_load writes into an empty catalogue only")
        for name, table_rows in rows.tables.items():
            if conn.dialect.name == "postgresql":
                _copy(conn, TABLES[name], table_rows)
            else:
                _executemany(conn, TABLES[name], table_rows)
        conn.execute(update(LogHead).where(LogHead.id == 1).values(seq=len(rows.log)))
        if conn.dialect.name == "postgresql":
            for name in SEQUENCED:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                    )
                )
    refresh_statistics(catalogue.engine)  # as apply does after a large write
    return len(rows.tables["edges"])


def _executemany(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows with the driver's ``executemany``, each value through its
    column type's own conversion (the text SQLite stores for a time, a date,
    JSON), as a Core insert would convert it, without its per-row bookkeeping."""
    if not rows:
        return
    names = list(rows[0])
    dialect = conn.dialect
    convert = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    pairs = list(zip(names, convert, strict=True))
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        conn.exec_driver_sql(sql, [tuple(c(r[n]) if c else r[n] for n, c in pairs) for r in batch])


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``COPY`` the rows into a PostgreSQL table (psycopg), JSON as text."""
    if not rows:
        return
    names = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = cast(Any, conn.connection.driver_connection).cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[n]) if n in json_columns else row[n] for n in names])

"""Inserting many new rows at once: ``COPY`` on PostgreSQL, the driver's own
``executemany`` on SQLite, Core inserts for a few rows.

`catalogue apply` of a register of 10,000 assets writes about 100,000 rows
(assets, their columns and tags, edges, the change log). As multi-row
``INSERT … VALUES`` statements on PostgreSQL, psycopg spent most of that time
splitting each statement's thirty thousand placeholders in Python (#21);
``COPY … FROM STDIN`` sends the same rows as one stream. On SQLite an INSERT
that returns the new ids went one row a statement (40,000 statements for an
apply of 10,000), and SQLAlchemy prepared each row's parameters one by one: the
sqlite3 module's ``executemany`` takes the rows as they are, in C.

New ids are taken first (PostgreSQL: from the table's sequence, in one query;
SQLite: the ones after the largest, which SQLite itself would give, the table
having no ``AUTOINCREMENT``), so rows that refer to them (columns, edges, the
change log's records) can be built before they are sent.

Each value goes through the column type's own bind processor, as an INSERT
would send it (UTC times, JSON text, ``None`` in a JSON column as JSON
``null``), a column at a time, so the rows stored are the same either way (a
test holds them to that on both databases).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

#: Rows a statement carries on SQLite (a multi-row INSERT … RETURNING).
BATCH = 1000
#: Fewer rows than this go in by INSERT everywhere: an ordinary write (one
#: change, a few log rows) keeps the statement every other write uses.
COPY_FROM = 100


def uses_copy(session: Session, rows: int = COPY_FROM) -> bool:
    """True when ``rows`` new rows go in by ``COPY``: PostgreSQL with psycopg,
    and enough of them."""
    dialect = session.get_bind().dialect
    return rows >= COPY_FROM and dialect.name == "postgresql" and dialect.driver == "psycopg"


def _direct(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """How ``rows`` go to the driver past SQLAlchemy's per-row machinery:
    ``"copy"``, ``"executemany"``, or None (a Core INSERT). Only rows that name
    every column with a default of its own: an INSERT would fill those."""
    if len(rows) < COPY_FROM or _defaults_left_out(table, rows[0]):
        return None
    if uses_copy(session, len(rows)):
        return "copy"
    dialect = session.get_bind().dialect
    return "executemany" if dialect.name == "sqlite" and dialect.driver == "pysqlite" else None


def _defaults_left_out(table: Table, row: Mapping[str, Any]) -> bool:
    return any(c.default is not None and c.name not in row for c in table.columns)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys, a value for every column that
    needs one) into ``table`` in this session's transaction."""
    if not rows:
        return
    way = _direct(session, table, rows)
    if way == "copy":
        _copy(session, table, rows)
    elif way == "executemany":
        _executemany(session, table, rows)
    else:
        session.execute(insert(table), list(rows))


def insert_with_ids(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` (whose key is an integer ``id`` the database
    numbers) and return their new ids, in the rows' order, ascending.

    On SQLite the transaction must already hold the write lock (a write
    transaction's first statement takes it: services/changes.py), so that no
    one else numbers rows between the ids' choice and the insert."""
    if not rows:
        return []
    way = _direct(session, table, rows)
    if way is not None:
        if way == "copy":
            ids = _new_ids(session, table, len(rows))
        else:
            largest = session.scalar(select(func.max(table.c.id))) or 0
            ids = list(range(largest + 1, largest + 1 + len(rows)))
        numbered = [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)]
        (_copy if way == "copy" else _executemany)(session, table, numbered)
        return ids
    ids = []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), BATCH):
        result = session.execute(statement, list(rows[start : start + BATCH]))
        ids += [row[0] for row in cast("Iterable[tuple[int]]", result)]
    return ids


def _new_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` ids from the sequence behind ``table.id``, ascending."""
    sequence = func.pg_get_serial_sequence(table.name, "id")
    numbers = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
    return sorted(session.scalars(numbers))


def _bound(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows' column names, and their values as an INSERT hands them to the
    driver: each column's values through its type's bind processor, a column at
    a time."""
    names = list(rows[0])
    dialect = session.get_bind().dialect
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(list(map(process, values)) if process else values)
    return names, list(zip(*columns, strict=True))


def _driver_connection(session: Session) -> Any:
    """The driver's own connection under this session's transaction."""
    connection = session.connection().connection.driver_connection
    assert connection is not None
    return connection


def _executemany(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    names, values = _bound(session, table, rows)
    quote = session.get_bind().dialect.identifier_preparer.quote
    statement = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(table.name), ", ".join(map(quote, names)), ", ".join("?" * len(names))
    )
    cursor = _driver_connection(session).cursor()
    try:
        cursor.executemany(statement, values)
    finally:
        cursor.close()


def _copy(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    from psycopg import sql

    names, values = _bound(session, table, rows)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with _driver_connection(session).cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)

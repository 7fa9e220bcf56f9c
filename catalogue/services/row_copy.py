"""Inserting many new rows at once: PostgreSQL's ``COPY`` there, Core inserts elsewhere.

`catalogue apply` of a register of 10,000 assets writes about 100,000 rows
(assets, their columns and tags, edges, the change log). As multi-row
``INSERT … VALUES`` statements on PostgreSQL, psycopg spent most of that time
splitting each statement's thirty thousand placeholders in Python (#21);
``COPY … FROM STDIN`` sends the same rows as one stream. New ids are taken
from the table's sequence first, in one query, so rows that refer to them
(columns, edges, the change log's records) can be built before they are sent.

Each value goes through the column type's own bind processor, as an INSERT
would send it (UTC times, JSON text, ``None`` in a JSON column as JSON
``null``), so the rows stored are the same either way (a test holds them to
that on both databases).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys, a value for every column that
    needs one) into ``table`` in this session's transaction."""
    if not rows:
        return
    if uses_copy(session, len(rows)):
        _copy(session, table, rows)
    else:
        session.execute(insert(table), list(rows))


def insert_with_ids(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` (whose key is an integer ``id`` the database
    numbers) and return their new ids, in the rows' order, ascending."""
    if not rows:
        return []
    if uses_copy(session, len(rows)):
        ids = _new_ids(session, table, len(rows))
        _copy(session, table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
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


def _copy(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    from psycopg import sql

    names = list(rows[0])
    dialect = session.get_bind().dialect
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    process(row[name]) if process else row[name]
                    for name, process in zip(names, processors, strict=True)
                ]
            )

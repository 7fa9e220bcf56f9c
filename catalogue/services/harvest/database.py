"""Reading a database through SQLAlchemy's inspector: tables, views and
materialised views with their columns and comments, and each view's lineage
from its definition (``lineage.sql``). Never writes: PostgreSQL connections are
read-only transactions, SQLite files are opened read-only."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast
from urllib.request import pathname2url

from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.dialects.postgresql import pg_catalog
from sqlalchemy.engine import URL, Inspector, make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import ArgumentError, CompileError, NoSuchModuleError, SQLAlchemyError

from catalogue.services.harvest.found import (
    FoundDataset,
    HarvestError,
    Previous,
    Reading,
    Scope,
    column,
)
from lineage.sql import SqlProblem, build_schema, query_lineage, sqlglot_dialect

#: Table name → (hash of its structure, its column names).
Structures = dict[str, tuple[str, list[str]]]


def safe_url(url: str) -> str:
    """The URL as it may be shown and stored: no password, no driver name."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(a database URL that cannot be read)"
    return parsed.set(password=None).render_as_string(hide_password=True)


def _location_base(url: URL) -> str:
    return url.set(
        drivername=url.get_backend_name(), password=None, username=None
    ).render_as_string(hide_password=True)


def _scrub(text: str, url: str) -> str:
    try:
        password = make_url(url).password
    except ArgumentError:
        return text
    if password:
        text = text.replace(str(password), "***")
    return " ".join(text.split())


def _open(url: str) -> tuple[Any, URL]:
    """An engine that can only read, or HarvestError saying why there is none."""
    shown = safe_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise HarvestError(
            shown, "not a database URL (expected e.g. postgresql://host/db)"
        ) from None
    options: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise HarvestError(shown, f"no SQLite database file at {path or '(none given)'}")
        # Read-only, so the harvest can neither create nor change the file.
        options["creator"] = _sqlite_reader(Path(path))
    elif parsed.get_backend_name() == "postgresql":
        options["execution_options"] = {"postgresql_readonly": True}
    try:
        return create_engine(parsed, **options), parsed
    except NoSuchModuleError:
        raise HarvestError(
            shown, f"no SQLAlchemy dialect for {parsed.drivername!r}: install its driver"
        ) from None
    except ImportError as error:
        raise HarvestError(shown, f"the database driver is not installed ({error.name})") from None
    except ArgumentError as error:
        raise HarvestError(shown, _scrub(str(error), url)) from None


def _sqlite_reader(path: Path) -> Callable[[], Any]:
    import sqlite3

    def connect() -> sqlite3.Connection:
        # A URI, so the file opens read-only; quoted, so '#', '?' or '%' in a
        # folder name stay part of the path.
        return sqlite3.connect(f"file:{pathname2url(str(path.resolve()))}?mode=ro", uri=True)

    return connect


def read_database(url: str, scope: Scope, previous: Previous | None = None) -> Reading:
    """Every table and view in ``scope`` with its columns, and each view's lineage.

    ``previous``: what an earlier harvest knew of the views; a view whose
    definition and read tables' columns are unchanged is not parsed again (its
    ``column_lineage`` is None: "as before"). Raises HarvestError naming the
    source (never its password) when the database cannot be reached, read, or
    the driver is missing.
    """
    engine, parsed = _open(url)
    reading = Reading(source=safe_url(url), scope=scope)
    try:
        with engine.connect() as conn:
            _read(conn, parsed, scope, reading, previous or {})
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        raise HarvestError(reading.source, _scrub(reason[0] if reason else "", url)) from None
    finally:
        engine.dispose()
    return reading


def _read(conn: Connection, url: URL, scope: Scope, reading: Reading, previous: Previous) -> None:
    inspector = inspect(conn)
    schemas = list(scope.schemas) or [inspector.default_schema_name or "main"]
    present = set(inspector.get_schema_names())
    missing = [s for s in schemas if s not in present]
    if missing:
        raise HarvestError(reading.source, f"no schema named {', '.join(missing)}")
    base = _location_base(url)
    dialect = sqlglot_dialect(url.get_backend_name())
    views: list[tuple[FoundDataset, str]] = []
    as_before: dict[str, list[str]] = {}  # tables not read again: their column names
    for schema in schemas:
        for found, definition in _read_schema(
            inspector, conn, schema, scope, base, previous, as_before
        ):
            reading.datasets.append(found)
            if definition is not None:
                views.append((found, definition))
    known = _known_columns(reading.datasets, as_before)
    changed = [(f, d) for f, d in views if not _unchanged(f, d, known, previous)]
    sql_schema = build_schema(known, dialect) if changed else None
    for found, definition in changed:
        schema = found.name.rpartition(".")[0]
        try:
            traced = query_lineage(definition, dialect, sql_schema, default_schema=schema)
        except SqlProblem as error:
            reading.problems.append(f"view {found.name}: {error}")
            found.column_lineage = ()
            continue
        found.reads = traced.reads
        found.column_lineage = traced.columns
        found.fingerprint = _fingerprint(found, definition, known, traced.reads)


def _fingerprint(found: FoundDataset, definition: str, known: Columns, reads: Iterable[str]) -> str:
    """The hash of what a view's lineage depends on: its definition, its own
    columns and those of every table it reads."""
    parts = [definition, json.dumps([c["name"] for c in found.columns or []])]
    for name in sorted(reads):
        schema, _, table = name.rpartition(".")
        parts.append(name + json.dumps(sorted(known.get(schema, {}).get(table, {}))))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _unchanged(found: FoundDataset, definition: str, known: Columns, previous: Previous) -> bool:
    """True (with the reads filled in) when an earlier harvest parsed this very view."""
    if found.name not in previous:
        return False
    fingerprint, reads = previous[found.name]
    if _fingerprint(found, definition, known, reads) != fingerprint:
        return False
    found.fingerprint, found.reads, found.column_lineage = fingerprint, tuple(reads), None
    return True


Columns = dict[str, dict[str, dict[str, str]]]


def _known_columns(datasets: list[FoundDataset], as_before: dict[str, list[str]]) -> Columns:
    known: Columns = {}
    for found in datasets:
        schema, _, table = found.name.rpartition(".")
        names = [c["name"] for c in found.columns or []] or as_before.get(found.name, [])
        known.setdefault(schema, {})[table] = {n.lower(): "unknown" for n in names}
    return known


def _names(inspector: Inspector, schema: str) -> dict[str, str]:
    """Object name → its type, in this schema."""
    names = {n: "table" for n in inspector.get_table_names(schema)}
    names.update({n: "view" for n in inspector.get_view_names(schema)})
    with contextlib.suppress(NotImplementedError):  # only some databases have them
        names.update(
            {n: "materialized view" for n in inspector.get_materialized_view_names(schema)}
        )
    return names


def _read_schema(
    inspector: Inspector,
    conn: Connection,
    schema: str,
    scope: Scope,
    base: str,
    previous: Previous,
    as_before: dict[str, list[str]],
) -> list[tuple[FoundDataset, str | None]]:
    """The schema's objects in scope. A table whose structure hashes as it did
    at the last harvest (PostgreSQL) is not read again: its columns are None
    ("as before") and its column names go into ``as_before``."""
    names = {
        n: kind
        for n, kind in _names(inspector, schema).items()
        if scope.covers(f"{schema}.{n}".lower())
    }
    if not names:
        return []
    wanted = sorted(names)
    structures = _table_structures(conn, schema)
    same = _same_structure(schema, names, structures, previous)
    out: list[tuple[FoundDataset, str | None]] = []
    for name in sorted(same):
        qualified = f"{schema}.{name}".lower()
        as_before[qualified] = structures[name][1]
        found = FoundDataset(
            name=qualified,
            object_type="table",
            title=name,
            location=f"{base}#{schema}.{name}",
            fingerprint=structures[name][0],
        )
        out.append((found, None))
    read = {n: names[n] for n in wanted if n not in same}
    if read:
        out += _described(inspector, conn, schema, base, read, structures)
    order = {f"{schema}.{n}".lower(): i for i, n in enumerate(wanted)}
    return sorted(out, key=lambda pair: order[pair[0].name])


def _same_structure(
    schema: str, names: dict[str, str], structures: Structures, previous: Previous
) -> set[str]:
    """The tables of ``names`` whose structure hashes as it did at the last harvest."""
    return {
        n
        for n, kind in names.items()
        if kind == "table"
        and n in structures
        and previous.get(f"{schema}.{n}".lower(), ("",))[0] == structures[n][0]
    }


def _described(
    inspector: Inspector,
    conn: Connection,
    schema: str,
    base: str,
    kinds: dict[str, str],
    structures: Structures,
) -> list[tuple[FoundDataset, str | None]]:
    """The objects ``kinds`` names (name → object type) as they are read now:
    their columns with types, their comment and, for a view, its definition."""
    columns, keys, comments = _reflect(inspector, schema, list(kinds))
    views = [n for n, kind in kinds.items() if kind != "table"]
    definitions = _view_definitions(inspector, conn, schema, views)
    out: list[tuple[FoundDataset, str | None]] = []
    type_names: dict[str, str] = {}
    for name, object_type in kinds.items():
        primary = set((keys.get((schema, name)) or {}).get("constrained_columns") or [])
        cols = [
            column(c["name"], _type(c, conn, primary, type_names), c.get("comment"))
            for c in columns.get((schema, name), [])
        ]
        found = FoundDataset(
            name=f"{schema}.{name}".lower(),
            object_type=object_type,
            title=name,
            location=f"{base}#{schema}.{name}",
            columns=cols,
            description=(comments.get((schema, name)) or {}).get("text"),
            fingerprint=structures.get(name, (None,))[0],
        )
        out.append((found, definitions.get(name, "") if object_type != "table" else None))
    return out


def _reflect(inspector: Inspector, schema: str, names: list[str]) -> tuple[dict, dict, dict]:
    """Columns, primary keys and comments of ``names`` (the inspector's multi calls)."""
    columns = inspector.get_multi_columns(schema=schema, filter_names=names, kind=ObjectKind.ANY)
    keys = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
    try:
        comments = inspector.get_multi_table_comment(
            schema=schema, filter_names=names, kind=ObjectKind.ANY
        )
    except NotImplementedError:  # SQLite keeps no comments
        comments = {}
    return columns, keys, comments


#: Per table: a hash of everything a harvest takes from it (its comment; each
#: column's name, type, NOT NULL, primary key and comment, in order), and its
#: column names; computed by PostgreSQL from its own catalogue in one query.
_STRUCTURES = text(
    """
    SELECT c.relname,
           md5(coalesce(obj_description(c.oid, 'pg_class'), '') || '|' || coalesce(string_agg(
               a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
               || a.attnotnull::text || ' ' || (a.attnum = ANY(coalesce(pk.conkey, '{}')))::text
               || ' ' || coalesce(col_description(c.oid, a.attnum), ''),
               '|' ORDER BY a.attnum), '')),
           array_agg(a.attname ORDER BY a.attnum)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
    WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'f')
    GROUP BY c.oid, c.relname, pk.conkey
    """
)


def _table_structures(conn: Connection, schema: str) -> Structures:
    """Table name → (hash of its structure, its column names), on PostgreSQL;
    empty elsewhere (every table is then read in full)."""
    if conn.dialect.name != "postgresql":
        return {}
    rows = conn.execute(_STRUCTURES, {"schema": schema})
    typed = cast("Iterable[tuple[str, str, list[str]]]", rows)
    return {name: ("pg:" + digest, list(columns)) for name, digest, columns in typed}


def _view_definitions(
    inspector: Inspector, conn: Connection, schema: str, views: list[str]
) -> dict[str, str]:
    """Each view's definition. PostgreSQL answers for the whole schema in one
    query (the inspector asks once per view: 500 views were 500 round trips of
    a no-op harvest); the text is the inspector's own, ``pg_get_viewdef``."""
    if not views:
        return {}
    if conn.dialect.name != "postgresql":
        return {name: inspector.get_view_definition(name, schema) or "" for name in views}
    rows = conn.execute(
        select(pg_catalog.pg_class.c.relname, pg_catalog.pg_get_viewdef(pg_catalog.pg_class.c.oid))
        .join(
            pg_catalog.pg_namespace,
            pg_catalog.pg_namespace.c.oid == pg_catalog.pg_class.c.relnamespace,
        )
        .where(
            pg_catalog.pg_namespace.c.nspname == schema,
            pg_catalog.pg_class.c.relkind.in_(("v", "m")),
        )
    )
    typed = cast("Iterable[tuple[str, str | None]]", rows)
    found = {name: definition or "" for name, definition in typed}
    return {name: found.get(name, "") for name in views}


def _type(info: dict[str, Any], conn: Connection, primary: set[str], names: dict[str, str]) -> str:
    """The column's SQL type as the database names it, with NOT NULL and PRIMARY KEY.
    ``names`` remembers each type's compiled name by its repr: a source of 75,000
    columns has a few dozen types, and compiling is the dear part."""
    kind = info["type"]
    shape = repr(kind)
    text = names.get(shape)
    if text is None:
        try:
            text = kind.compile(dialect=conn.dialect)
        except (CompileError, NotImplementedError):
            text = type(kind).__name__
        names[shape] = text
    if info["name"] in primary:
        return f"{text} PRIMARY KEY"
    return text if info.get("nullable", True) else f"{text} NOT NULL"

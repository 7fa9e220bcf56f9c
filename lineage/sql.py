"""Table and column lineage read from SQL text, with sqlglot.

Pure logic, like the rest of ``lineage/``: it takes SQL text (a view's
definition, or a script of CREATE VIEW / CREATE TABLE AS / INSERT … SELECT
statements) and returns plain tuples. Tables are named ``schema.table``, lower
case as the database folds unquoted names; a table written without a schema is
in ``default_schema``.

Column lineage is the *direct* kind OpenLineage's ``columnLineage`` facet
records: which source columns a view's column is computed from. Its subtype
says how: ``IDENTITY`` (copied as it is), ``TRANSFORMATION`` (an expression of
it) or ``AGGREGATION`` (an aggregate or window over it; the columns a window
partitions and orders by count as its inputs too). Columns used only to join or
filter are not recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import lineage as sqlglot_lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope, traverse_scope
from sqlglot.schema import MappingSchema
from sqlglot.tokens import Token, TokenType

#: SQLAlchemy's dialect names → sqlglot's.
DIALECTS = {
    "postgresql": "postgres",
    "sqlite": "sqlite",
    "mssql": "tsql",
    "oracle": "oracle",
    "mysql": "mysql",
    "mariadb": "mysql",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "duckdb": "duckdb",
}

#: A table's columns by ``schema`` then ``table``: what ``SELECT *`` expands to.
Columns = Mapping[str, Mapping[str, Mapping[str, str]]]


ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the parser underlines the bad token for terminals


class SqlProblem(ValueError):
    """SQL that cannot be read; the message is the parser's reason, on one line."""


@dataclass(frozen=True)
class ColumnSource:
    """``column`` of the statement's result is computed from ``table.source_column``."""

    column: str
    table: str
    source_column: str
    subtype: str  # IDENTITY | TRANSFORMATION | AGGREGATION


@dataclass(frozen=True)
class SqlLineage:
    """What one statement reads and, column by column, how its result is made.

    ``target`` is the table or view it creates or fills (None for a bare SELECT).
    """

    target: str | None
    reads: tuple[str, ...]
    columns: tuple[ColumnSource, ...]


def sqlglot_dialect(sqlalchemy_name: str) -> str | None:
    """The sqlglot dialect for a SQLAlchemy backend name (None: sqlglot's generic SQL)."""
    return DIALECTS.get(sqlalchemy_name)


def _one_line(error: Exception) -> str:
    text = " ".join(ANSI.sub("", str(error)).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _table_name(table: exp.Table, default_schema: str | None) -> str:
    schema = table.db or default_schema
    return f"{schema}.{table.name}".lower() if schema else table.name.lower()


def _subtype(expression: exp.Expr) -> str:
    inner = expression.unalias() if isinstance(expression, exp.Alias) else expression
    if isinstance(inner, exp.Column):
        return "IDENTITY"
    if inner.find(exp.AggFunc, exp.Window):
        return "AGGREGATION"
    return "TRANSFORMATION"


def _query_of(statement: exp.Expr) -> tuple[exp.Expr | None, exp.Query | None]:
    """(target table expression, query) of a statement that makes data from a query."""
    if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
        return statement.this, statement.expression
    if isinstance(statement, exp.Insert) and isinstance(statement.expression, exp.Query):
        return statement.this, statement.expression
    if isinstance(statement, exp.Query):
        return None, statement
    return None, None


def _reads(query: exp.Expr, default_schema: str | None) -> tuple[str, ...]:
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    names = {
        _table_name(t, default_schema)
        for t in query.find_all(exp.Table)
        if t.name and not (not t.db and t.name.lower() in ctes)
    }
    return tuple(sorted(names))


def _column_sources(
    query: exp.Query, schema: MappingSchema, dialect: str | None, default_schema: str | None
) -> list[tuple[int, ColumnSource]]:
    """Each result column's sources, with the column's position in the result."""
    qualified = qualify(
        query,
        schema=schema,
        db=default_schema,
        dialect=dialect,
        validate_qualify_columns=False,
        identify=False,
    )
    assert isinstance(qualified, exp.Query)
    scope = build_scope(qualified)
    if scope is None:
        return []
    # Every column at once, on the scope built here: asking sqlglot column by
    # column qualifies the whole query again for each (30 times slower).
    nodes = sqlglot_lineage(
        None, qualified, schema=schema, dialect=dialect, scope=scope, copy=False,
        trim_selects=False,
    )  # fmt: skip
    assert isinstance(nodes, dict)
    found: list[tuple[int, ColumnSource]] = []
    for position, select in enumerate(qualified.selects):
        name = select.alias_or_name
        node = nodes.get(name)
        if not name or name == "*" or node is None:
            continue
        subtype = _subtype(_branch_select(qualified, position))
        for leaf in node.walk():
            if leaf.downstream or not isinstance(leaf.expression, exp.Table):
                continue
            column = leaf.name.split(".")[-1].strip('"').lower()
            table = _table_name(leaf.expression, default_schema)
            found.append((position, ColumnSource(name.lower(), table, column, subtype)))
    return sorted(set(found), key=lambda p: (p[1].column, p[1].table, p[1].source_column))


def _branch_select(query: exp.Query, position: int) -> exp.Expr:
    """The select expression at ``position``; for a UNION, the most telling branch's."""
    branches = [query]
    if isinstance(query, exp.SetOperation):
        branches = [b for b in (query.left, query.right) if isinstance(b, exp.Query)]
    picks = [b.selects[position] for b in branches if position < len(b.selects)]
    for subtype in ("AGGREGATION", "TRANSFORMATION"):
        for pick in picks:
            if _subtype(pick) == subtype:
                return pick
    return picks[0] if picks else query.selects[position]


def query_lineage(
    sql: str | exp.Expr,
    dialect: str | None = None,
    columns: Columns | MappingSchema | None = None,
    default_schema: str | None = None,
) -> SqlLineage:
    """The lineage of one statement: a SELECT (a view's definition), CREATE VIEW,
    CREATE TABLE … AS SELECT or INSERT … SELECT.

    ``columns`` lets ``SELECT *`` expand and unqualified columns find their
    table. Raises SqlProblem with the parser's reason.
    """
    schema = columns if isinstance(columns, MappingSchema) else _schema(columns, dialect)
    try:
        statement = sql if isinstance(sql, exp.Expr) else sqlglot.parse_one(sql, dialect=dialect)
        target_node, query = _query_of(statement)
        if query is None:
            raise SqlProblem(f"not a query this can trace: {statement.key.upper()} statement")
        rename: list[str] = []
        target = None
        if isinstance(target_node, exp.Schema):  # INSERT INTO t (a, b) SELECT …
            rename = [c.name.lower() for c in target_node.expressions]
            target_node = target_node.this
        if isinstance(target_node, exp.Table):
            target = _table_name(target_node, default_schema)
        reads = _reads(query, default_schema)
        schema = _with_inferred(schema, query, reads, dialect, default_schema)
        sources = _column_sources(query, schema, dialect, default_schema)  # qualified in place
    except SqlglotError as error:
        raise SqlProblem(_one_line(error)) from None
    columns_out = [
        ColumnSource(rename[p], s.table, s.source_column, s.subtype) if p < len(rename) else s
        for p, s in sources
    ]
    return SqlLineage(target, reads, tuple(columns_out))


def _with_inferred(
    schema: MappingSchema,
    query: exp.Query,
    reads: tuple[str, ...],
    dialect: str | None,
    default_schema: str | None,
) -> MappingSchema:
    """The known columns, plus those of unknown tables as the query uses them: a
    script over tables the catalogue has no columns for can still be traced
    (a column named through a table's alias, or alone in a one-table SELECT)."""
    unknown = [r for r in reads if not schema.find(exp.to_table(r, dialect=dialect))]
    if not unknown:
        return schema
    used: dict[str, dict[str, str]] = {name: {} for name in unknown}
    for scope in traverse_scope(query.copy()):
        tables = {
            alias: _table_name(source, default_schema)
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table)
        }
        only = next(iter(tables.values())) if len(scope.sources) == 1 and tables else None
        for column in scope.columns:
            table = tables.get(column.table) if column.table else only
            if table in used:
                used[table][column.name.lower()] = "unknown"
    inferred = schema.copy()
    for name, columns in used.items():
        if columns:
            inferred.add_table(exp.to_table(name, dialect=dialect), columns, dialect=dialect)
    return inferred


def _schema(columns: Columns | None, dialect: str | None) -> MappingSchema:
    return MappingSchema(
        {s: {t: dict(c) for t, c in tables.items()} for s, tables in (columns or {}).items()},
        dialect=dialect,
        normalize=True,
    )


def build_schema(columns: Columns, dialect: str | None) -> MappingSchema:
    """Columns known up front, made once for many ``query_lineage`` calls."""
    return _schema(columns, dialect)


def script_lineage(
    text: str,
    dialect: str | None = None,
    columns: Columns | None = None,
    default_schema: str | None = None,
) -> tuple[list[SqlLineage], list[str]]:
    """Every statement of a script that makes a table or view from a query, and
    one problem per statement that cannot be read (the rest still count).

    Statements that make nothing from a query (a plain CREATE TABLE, an UPDATE,
    a GRANT) are passed over without complaint: they hold no lineage.
    """
    schema = _schema(columns, dialect)
    found: list[SqlLineage] = []
    problems: list[str] = []
    try:
        pieces = split_statements(text, dialect)
    except SqlglotError as error:
        return [], [_one_line(error)]
    for line, piece in pieces:
        try:
            statement = sqlglot.parse_one(piece, dialect=dialect)
            target, query = _query_of(statement)
            if query is None or target is None:
                continue
            found.append(query_lineage(statement, dialect, schema, default_schema))
        except SqlglotError as error:
            problems.append(f"line {line}: {_one_line(error)}")
        except SqlProblem as error:
            problems.append(f"line {line}: {error}")
    return found, problems


def split_statements(text: str, dialect: str | None = None) -> list[tuple[int, str]]:
    """The statements of a script with the line each starts on, split at the
    semicolons the tokenizer sees (not those inside strings or comments), so one
    statement that cannot be parsed does not hide the others."""
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(text)
    pieces: list[tuple[int, str]] = []
    start: Token | None = None
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                pieces.append((start.line, text[start.start : token.start]))
            start = None
        elif start is None:
            start = token
    if start is not None:
        pieces.append((start.line, text[start.start :]))
    return pieces

"""SQL lineage on sqlglot, checked against lineage worked out by hand for the
kinds of view a council's analysts write. Pure: no database."""

from __future__ import annotations

import pytest

from lineage.sql import ColumnSource, SqlProblem, query_lineage, script_lineage

# What SELECT * and unqualified columns resolve against: a housing system.
COLUMNS = {
    "housing": {
        "tenants": {"id": "int", "name": "text", "postcode": "text", "born": "date"},
        "rents": {"tenant_id": "int", "week": "date", "amount": "numeric"},
        "arrears": {"tenant_id": "int", "balance": "numeric"},
        "properties": {"uprn": "bigint", "ward": "text", "tenant_id": "int"},
    },
    "social_care": {"cases": {"case_id": "int", "tenant_id": "int", "opened": "date"}},
}


def I(column: str, table: str, source: str) -> ColumnSource:  # noqa: E743 - reads like a table
    return ColumnSource(column, table, source, "IDENTITY")


def T(column: str, table: str, source: str) -> ColumnSource:
    return ColumnSource(column, table, source, "TRANSFORMATION")


def A(column: str, table: str, source: str) -> ColumnSource:
    return ColumnSource(column, table, source, "AGGREGATION")


TEN, RENTS, ARR, PROP = "housing.tenants", "housing.rents", "housing.arrears", "housing.properties"

# (name, SQL, tables read, column lineage) — each worked out by hand.
CASES = [
    (
        "plain projection with rename",
        "SELECT id AS tenant_id, name FROM housing.tenants",
        [TEN],
        [I("name", TEN, "name"), I("tenant_id", TEN, "id")],
    ),
    (
        "select star expands to the table's columns",
        "SELECT * FROM housing.arrears",
        [ARR],
        [I("balance", ARR, "balance"), I("tenant_id", ARR, "tenant_id")],
    ),
    (
        "two-table join, columns from each side",
        "SELECT t.name, r.week, r.amount FROM housing.tenants t "
        "JOIN housing.rents r ON r.tenant_id = t.id",
        [RENTS, TEN],
        [I("amount", RENTS, "amount"), I("name", TEN, "name"), I("week", RENTS, "week")],
    ),
    (
        "a view joining three tables",
        "SELECT t.id, t.name, a.balance, p.ward FROM housing.tenants t "
        "JOIN housing.arrears a ON a.tenant_id = t.id "
        "LEFT JOIN housing.properties p ON p.tenant_id = t.id",
        [ARR, PROP, TEN],
        [
            I("balance", ARR, "balance"),
            I("id", TEN, "id"),
            I("name", TEN, "name"),
            I("ward", PROP, "ward"),
        ],
    ),
    (
        "aggregate with GROUP BY",
        "SELECT tenant_id, SUM(amount) AS total, COUNT(*) AS weeks "
        "FROM housing.rents GROUP BY tenant_id",
        [RENTS],
        [A("total", RENTS, "amount"), I("tenant_id", RENTS, "tenant_id")],
    ),
    (
        "CASE expression over two columns",
        "SELECT id, CASE WHEN a.balance > 500 THEN 'high' WHEN t.postcode LIKE 'E%' "
        "THEN 'east' ELSE 'low' END AS band FROM housing.tenants t "
        "JOIN housing.arrears a ON a.tenant_id = t.id",
        [ARR, TEN],
        [T("band", ARR, "balance"), T("band", TEN, "postcode"), I("id", TEN, "id")],
    ),
    (
        "a CTE feeding the outer query",
        "WITH latest AS (SELECT tenant_id, MAX(week) AS last_week FROM housing.rents "
        "GROUP BY tenant_id) SELECT t.name, l.last_week FROM housing.tenants t "
        "JOIN latest l ON l.tenant_id = t.id",
        [RENTS, TEN],
        [I("last_week", RENTS, "week"), I("name", TEN, "name")],
    ),
    (
        "two chained CTEs",
        "WITH r AS (SELECT tenant_id, amount FROM housing.rents), "
        "big AS (SELECT tenant_id, amount * 52 AS yearly FROM r) "
        "SELECT tenant_id, yearly FROM big",
        [RENTS],
        [I("tenant_id", RENTS, "tenant_id"), I("yearly", RENTS, "amount")],
    ),
    (
        "UNION ALL of two systems",
        "SELECT tenant_id AS person_id, 'housing' AS service FROM housing.arrears "
        "UNION ALL SELECT tenant_id, 'care' FROM social_care.cases",
        [ARR, "social_care.cases"],
        [I("person_id", ARR, "tenant_id"), I("person_id", "social_care.cases", "tenant_id")],
    ),
    (
        "window function",
        "SELECT tenant_id, week, SUM(amount) OVER (PARTITION BY tenant_id ORDER BY week) "
        "AS running_total FROM housing.rents",
        [RENTS],
        # The columns a window partitions and orders by are inputs of its result too.
        [
            A("running_total", RENTS, "amount"),
            A("running_total", RENTS, "tenant_id"),
            A("running_total", RENTS, "week"),
            I("tenant_id", RENTS, "tenant_id"),
            I("week", RENTS, "week"),
        ],
    ),
    (
        "subquery in FROM",
        "SELECT s.ward, s.households FROM (SELECT ward, COUNT(DISTINCT tenant_id) AS "
        "households FROM housing.properties GROUP BY ward) AS s",
        [PROP],
        [I("households", PROP, "tenant_id"), I("ward", PROP, "ward")],
    ),
    (
        "function calls and concatenation",
        "SELECT id, UPPER(name) || ' ' || postcode AS label, "
        "EXTRACT(YEAR FROM born) AS birth_year FROM housing.tenants",
        [TEN],
        [
            T("birth_year", TEN, "born"),
            I("id", TEN, "id"),
            T("label", TEN, "name"),
            T("label", TEN, "postcode"),
        ],
    ),
    (
        "unqualified columns found through the known tables",
        "SELECT uprn, balance FROM housing.properties JOIN housing.arrears USING (tenant_id)",
        [ARR, PROP],
        [I("balance", ARR, "balance"), I("uprn", PROP, "uprn")],
    ),
    (
        "star from one side of a join",
        "SELECT t.name, a.* FROM housing.tenants t JOIN housing.arrears a ON a.tenant_id = t.id",
        [ARR, TEN],
        [
            I("balance", ARR, "balance"),
            I("name", TEN, "name"),
            I("tenant_id", ARR, "tenant_id"),
        ],
    ),
    (
        "a table without a schema is in the default schema",
        "SELECT ward, COUNT(*) AS homes FROM properties WHERE ward <> '' GROUP BY ward",
        [PROP],
        [I("ward", PROP, "ward")],
    ),
    (
        "COALESCE across a LEFT JOIN",
        "SELECT t.id, COALESCE(a.balance, 0) AS balance FROM housing.tenants t "
        "LEFT JOIN housing.arrears a ON a.tenant_id = t.id",
        [ARR, TEN],
        [T("balance", ARR, "balance"), I("id", TEN, "id")],
    ),
]


@pytest.mark.parametrize(
    ("sql", "reads", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_view_lineage_matches_the_hand_worked_answer(
    sql: str, reads: list[str], expected: list[ColumnSource]
) -> None:
    found = query_lineage(sql, "postgres", COLUMNS, default_schema="housing")
    assert list(found.reads) == reads
    assert sorted(found.columns, key=_order) == sorted(expected, key=_order)


def _order(c: ColumnSource) -> tuple[str, str, str]:
    return (c.column, c.table, c.source_column)


def test_a_view_definition_as_create_view_names_its_target() -> None:
    found = query_lineage(
        "CREATE VIEW housing.names AS SELECT id, name FROM tenants", "sqlite", COLUMNS, "housing"
    )
    assert found.target == "housing.names"
    assert found.reads == (TEN,)


def test_insert_with_a_column_list_maps_columns_by_position() -> None:
    found = query_lineage(
        "INSERT INTO reporting.arrears_by_ward (ward_name, owed) "
        "SELECT p.ward, SUM(a.balance) FROM housing.properties p "
        "JOIN housing.arrears a ON a.tenant_id = p.tenant_id GROUP BY p.ward",
        "postgres",
        COLUMNS,
    )
    assert found.target == "reporting.arrears_by_ward"
    assert set(found.columns) == {
        I("ward_name", PROP, "ward"),
        A("owed", ARR, "balance"),
    }


def test_a_script_reports_the_statement_it_cannot_read_and_keeps_the_rest() -> None:
    script = """
    CREATE TABLE staging.rent_totals AS SELECT tenant_id, SUM(amount) AS total
      FROM housing.rents GROUP BY tenant_id;
    GRANT SELECT ON staging.rent_totals TO analysts;
    CREATE VIEW staging.broken AS SELECT name FROM (SELECT;
    INSERT INTO staging.names SELECT t.name FROM housing.tenants t;
    """
    found, problems = script_lineage(script, "postgres")  # no columns known: inferred from use
    assert [f.target for f in found] == ["staging.rent_totals", "staging.names"]
    assert set(found[0].columns) == {
        I("tenant_id", RENTS, "tenant_id"),
        A("total", RENTS, "amount"),
    }
    assert found[1].columns == (I("name", TEN, "name"),)
    assert len(problems) == 1 and problems[0].startswith("line 5: Expecting )")


def test_sql_that_is_not_sql_is_a_problem_with_the_parser_reason() -> None:
    with pytest.raises(SqlProblem) as error:
        query_lineage("SELECT (1 FROM housing.tenants", "postgres")
    assert str(error.value)
    assert "\n" not in str(error.value)

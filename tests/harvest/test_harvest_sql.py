"""`catalogue harvest sql`: lineage from a folder of analysts' SQL scripts."""

from __future__ import annotations

import json
from pathlib import Path

from catalogue.services.access import operator
from catalogue.services.column_lineage import ColumnNode, column_edges
from catalogue.store import Catalogue
from tests.conftest import Runner

SCRIPTS = {
    "01_rent_totals.sql": """
-- Weekly rent totals for the arrears report
CREATE TABLE reporting.rent_totals AS
SELECT tenant_id, SUM(amount) AS total_paid, COUNT(*) AS weeks
FROM housing.rents
GROUP BY tenant_id;
""",
    "02_arrears.sql": """
INSERT INTO reporting.arrears_by_ward (ward, owed)
SELECT p.ward, SUM(a.balance)
FROM housing.properties p JOIN housing.arrears a ON a.tenant_id = p.tenant_id
GROUP BY p.ward;

CREATE VIEW reporting.broken AS SELECT ward FROM (SELECT;
""",
    "nested/03_dashboard.sql": """
CREATE OR REPLACE VIEW reporting.dashboard AS
SELECT r.tenant_id, r.total_paid, w.owed
FROM reporting.rent_totals r
CROSS JOIN reporting.arrears_by_ward w;
""",
}


def write_scripts(folder: Path) -> Path:
    for name, text in SCRIPTS.items():
        path = folder / "scripts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder / "scripts"


def test_scripts_become_datasets_with_table_and_column_lineage(
    run: Runner, catalogue: Catalogue, tmp_path: Path
) -> None:
    folder = write_scripts(tmp_path)
    result = run(
        "harvest", "sql", str(folder), "--source-system", "warehouse", "--dialect", "postgres",
        "--format", "json",
    )  # fmt: skip
    # One statement cannot be parsed: reported by file and line, the rest lands, exit 0.
    report = json.loads(result.stdout)["sources"][0]
    assert result.exit_code == 0
    assert len(report["problems"]) == 1
    assert "02_arrears.sql: line 7:" in report["problems"][0]
    assert set(report["created_keys"]) == {
        "warehouse",
        "warehouse.reporting.rent_totals",
        "warehouse.reporting.arrears_by_ward",
        "warehouse.reporting.dashboard",
        "warehouse.housing.rents",
        "warehouse.housing.properties",
        "warehouse.housing.arrears",
    }
    up = json.loads(
        run("lineage", "upstream", "warehouse.reporting.dashboard", "--format", "json").output
    )
    assert {r["key"] for r in up} >= {
        "warehouse.reporting.rent_totals",
        "warehouse.reporting.arrears_by_ward",
        "warehouse.housing.rents",
        "warehouse.housing.arrears",
    }
    with catalogue.read() as session:
        owed = column_edges(
            session, [ColumnNode("warehouse", "reporting.dashboard", "owed")], depth=5
        )
    assert {(e.input_key, e.input.field, e.subtype) for e in owed} == {
        ("warehouse.reporting.arrears_by_ward", "owed", "IDENTITY"),
        ("warehouse.housing.arrears", "balance", "AGGREGATION"),
    }
    # Again: nothing changes.
    again = run("harvest", "sql", str(folder), "--source-system", "warehouse", "--format", "json")
    assert json.loads(again.stdout)["sources"][0]["changes"] == 0
    with catalogue.reading(operator("reader")) as reader:
        from catalogue.services import assets

        record = assets.get(reader, "warehouse.reporting.dashboard")
    assert record["location"].endswith("nested/03_dashboard.sql")


def test_a_missing_script_folder_is_one_clear_error(run: Runner, tmp_path: Path) -> None:
    result = run("harvest", "sql", str(tmp_path / "nowhere"), "--source-system", "warehouse")
    assert result.exit_code == 1
    assert "nowhere: no such file or folder" in result.output
    assert "Traceback" not in result.output

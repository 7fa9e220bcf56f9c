"""`catalogue harvest files`: real CSV files (the Scottish councils' open data
register, read where it lies), and XLSX and ODS workbooks written by real
spreadsheet libraries."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.harvest.files import infer_type
from catalogue.store import Catalogue
from tests.conftest import Runner, shared_data

READER = operator("test-reader")
TENANTS = [
    ["Tenant ID", "Forename", "Date of birth", "Weekly rent", "Arrears?"],
    [1, "Ada", date(1960, 3, 1), 98.5, True],
    [2, "Ben", date(1975, 11, 23), 102.25, False],
]


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Tenants"
    for row in TENANTS:
        sheet.append(row)
    book.create_sheet("Notes")  # empty: no dataset
    wards = book.create_sheet("Wards")
    wards.append(["Ward", "Households"])
    wards.append(["Riverside", 1200])
    book.save(path)


def write_ods(path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Repairs")
    for row in [["Job number", "Reported", "Cost"], [501, date(2026, 1, 5), 120.0]]:
        tr = TableRow()
        for value in row:
            if isinstance(value, date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def record(catalogue: Catalogue, key: str) -> dict[str, Any]:
    with catalogue.reading(READER) as reader:
        return assets.get(reader, key)


def columns(catalogue: Catalogue, key: str) -> dict[str, str]:
    return {c["name"]: c["type"] for c in record(catalogue, key)["columns"]}


def head(run: Runner) -> int:
    return json.loads(run("index", "status", "--format", "json").output)["head"]


def harvest(run: Runner, folder: Path, *extra: str) -> Any:
    return run("harvest", "files", str(folder), "--source-system", "shared-drive", *extra)


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    folder = tmp_path / "housing-drive"
    (folder / "rents").mkdir(parents=True)
    write_xlsx(folder / "tenancies.xlsx")
    write_ods(folder / "repairs.ods")
    (folder / "rents" / "weekly rents.csv").write_text(
        "tenant_id;week;amount\n1;2026-11-30;98.50\n2;2026-11-30;102.25\n", encoding="utf-8"
    )
    os.utime(folder / "rents" / "weekly rents.csv", (1764547200, 1764547200))  # 2025-12-01
    return folder


def test_files_and_sheets_become_datasets_with_typed_columns(
    run: Runner, catalogue: Catalogue, drive: Path
) -> None:
    result = harvest(run, drive, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["sources"][0]
    assert sorted(report["created_keys"]) == [
        "shared-drive",
        "shared-drive.rents-weekly-rents.csv",
        "shared-drive.repairs.ods-repairs",
        "shared-drive.tenancies.xlsx-tenants",
        "shared-drive.tenancies.xlsx-wards",
    ]
    assert columns(catalogue, "shared-drive.tenancies.xlsx-tenants") == {
        "Tenant ID": "integer",
        "Forename": "text",
        "Date of birth": "date",
        "Weekly rent": "decimal",
        "Arrears?": "boolean",
    }
    assert columns(catalogue, "shared-drive.repairs.ods-repairs") == {
        "Job number": "integer",
        "Reported": "date",
        "Cost": "integer",
    }
    rents = record(catalogue, "shared-drive.rents-weekly-rents.csv")
    assert {c["name"]: c["type"] for c in rents["columns"]} == {
        "tenant_id": "integer",
        "week": "date",
        "amount": "decimal",
    }
    assert rents["last_updated"] == "2025-12-01"
    assert rents["title"] == "weekly rents.csv"
    assert rents["location"] == str((drive / "rents" / "weekly rents.csv").resolve())
    flagged = {(f["key"], f["column"]) for f in report["flagged_columns"]}
    assert ("shared-drive.tenancies.xlsx-tenants", "Date of birth") in flagged
    assert ("shared-drive.tenancies.xlsx-tenants", "Forename") in flagged


def test_a_changed_folder_gives_exactly_its_changes(
    run: Runner, catalogue: Catalogue, drive: Path
) -> None:
    assert harvest(run, drive).exit_code == 0
    before = head(run)
    assert harvest(run, drive).exit_code == 0
    assert head(run) == before  # unchanged: nothing written
    csv_path = drive / "rents" / "weekly rents.csv"
    csv_path.write_text("tenant_id;week;amount;paid_by\n1;2026-11-30;98.50;DD\n", encoding="utf-8")
    os.utime(csv_path, (1764547200, 1764547200))
    (drive / "repairs.ods").unlink()
    result = harvest(run, drive, "--format", "json")
    report = json.loads(result.stdout)["sources"][0]
    assert report["retired_keys"] == ["shared-drive.repairs.ods-repairs"]
    assert report["changed_keys"] == {
        "shared-drive.rents-weekly-rents.csv": ["column added: paid_by (text)"]
    }
    assert record(catalogue, "shared-drive.repairs.ods-repairs")["status"] == "retired"


def test_a_corrupt_workbook_fails_the_folder_and_writes_nothing(run: Runner, drive: Path) -> None:
    (drive / "budget.xlsx").write_bytes(b"PK\x03\x04 this is not really a workbook")
    before = head(run)
    result = harvest(run, drive)
    assert result.exit_code == 1
    assert "budget.xlsx: not a workbook this can read" in result.output
    assert "Traceback" not in result.output
    assert head(run) == before


def test_the_scottish_open_data_register_csv_files(
    run: Runner, catalogue: Catalogue, tmp_path: Path
) -> None:
    folder = shared_data("catalogues", "opendata-scotland-csv")
    result = run("harvest", "files", str(folder), "--source-system", "od-scotland")
    assert result.exit_code == 0, result.output
    glasgow = record(catalogue, "od-scotland.glasgow.csv")
    names = [c["name"] for c in glasgow["columns"]]
    assert "Title" in names and "OriginalTags" in names
    assert glasgow["source_system"] == "od-scotland"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "22", "-3"], "integer"),
        (["1", "2.5"], "decimal"),
        (["1,250.00", "3"], "decimal"),
        (["2026-12-04", "31/01/2025"], "date"),
        (["2026-12-04", "2026-12-04 10:30:00"], "datetime"),
        (["Yes", "no"], "boolean"),
        (["EH1 1YZ", "12"], "text"),
        ([], "text"),
    ],
)
def test_types_are_the_narrowest_every_sampled_value_fits(values: list, expected: str) -> None:
    assert infer_type(values) == expected


def test_only_the_sample_rows_are_read(tmp_path: Path, run: Runner, catalogue: Catalogue) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    with (folder / "log.csv").open("w", encoding="utf-8") as out:
        out.write("id,value\n")
        out.writelines(f"{i},{i}\n" for i in range(5000))
        out.write("x,not a number\n")  # beyond the sample: not seen
    shutil.copy(folder / "log.csv", folder / "log2.csv")
    assert run("harvest", "files", str(folder), "--source-system", "logs").exit_code == 0
    assert columns(catalogue, "logs.log.csv") == {"id": "integer", "value": "integer"}

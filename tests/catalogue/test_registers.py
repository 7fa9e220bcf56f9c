"""The Information Asset Register, produced at the command line on each backend
and read back from CSV, XLSX, ODS and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from odf import teletype
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from catalogue.errors import Forbidden
from catalogue.governance import ReviewPolicy
from catalogue.services import assets, registers, reviews
from catalogue.services.access import Principal, operator
from catalogue.store import Catalogue
from tests.conftest import Runner

ADMIN = operator("test-admin")
POLICY = ReviewPolicy()
REGISTERED = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)

HOUSING_REGISTER = {
    "key": "housing-register",
    "kind": "dataset",
    "title": "Housing register",
    "description": "Applicants for social housing, with their priority band.",
    "department": "Housing",
    "source_system": "Northgate",
    "location": "northgate://housing/register",
    "owner": "Priya Shah",
    "owner_email": "priya.shah@example.gov.uk",
    "steward": "Siân Evans",
    "steward_email": "sian.evans@example.gov.uk",
    "classification": "OFFICIAL-SENSITIVE",
    "access": "restricted",
    "personal_data": True,
    "special_category": True,
    "article9_condition": "Schedule 1 para 6: statutory purposes",
    "lawful_basis": "public_task",
    "retention_period": "6 years after the application closes",
    "dpia_reference": "DPIA-2024-07",
}
TOILETS = {
    "key": "public-toilets",
    "kind": "dataset",
    "title": "Public toilets",
    "department": "Environment",
    "access": "open",
    "licence": "OGL-UK-3.0",
    "links": [{"url": "https://example.gov.uk/toilets.csv", "format": "CSV"}],
}
NIGHTLY = {"key": "nightly-load", "kind": "pipeline", "title": "Nightly load"}

EXPECTED_HOUSING = {
    "Asset": "Housing register (housing-register)",
    "Description": "Applicants for social housing, with their priority band.",
    "Information Asset Owner": "Priya Shah <priya.shah@example.gov.uk>",
    "Steward": "Siân Evans <sian.evans@example.gov.uk>",
    "Department": "Housing",
    "Source system": "Northgate",
    "Format and location": "northgate://housing/register",
    "Classification": "OFFICIAL-SENSITIVE",
    "Personal data": "Yes",
    "Special category data": "Yes: Schedule 1 para 6: statutory purposes",
    "Lawful basis": "Public task (Article 6(1)(e))",
    "Retention": "6 years after the application closes",
    "DPIA reference": "DPIA-2024-07",
    "Sharing": "Restricted to its department, owner and steward",
    "Last review": "2026-01-05 by priya.shah@example.gov.uk",
    "Next review": "2027-01-05",
}


@pytest.fixture
def filled(catalogue: Catalogue) -> Catalogue:
    with catalogue.write(ADMIN, now=REGISTERED) as w:
        for record in (HOUSING_REGISTER, TOILETS, NIGHTLY):
            assets.register(w, record)
    owner = Principal("Priya Shah", "steward", "Housing", "priya.shah@example.gov.uk")
    with catalogue.write(owner, now=datetime(2026, 1, 5, 10, tzinfo=UTC)) as w:
        reviews.record_review(w, "housing-register", POLICY)
    return catalogue


def check_rows(rows: list[dict[str, str]]) -> None:
    """What the register holds, whichever file it came from."""
    assert [r["Asset"] for r in rows] == [
        "Public toilets (public-toilets)",  # Environment before Housing; no pipeline
        "Housing register (housing-register)",
    ]
    assert rows[1] == EXPECTED_HOUSING
    assert rows[0]["Sharing"] == "Published openly under OGL-UK-3.0"
    assert rows[0]["Format and location"] == "CSV"
    assert rows[0]["Personal data"] == "No"
    assert rows[0]["Next review"] == "2026-03-10"  # a year after it was registered


def sheet_rows(table: list[list[str]]) -> list[dict[str, str]]:
    headings, *body = table
    assert headings == list(EXPECTED_HOUSING)
    return [dict(zip(headings, row, strict=True)) for row in body]


def test_the_register_as_csv_and_json(filled: Catalogue, run: Runner) -> None:
    result = run("governance", "iar")
    assert result.exit_code == 0, result.output
    check_rows(list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8-sig")))))
    as_json = run("governance", "iar", "--format", "json")
    check_rows(json.loads(as_json.stdout))


def test_the_register_as_xlsx(filled: Catalogue, run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "iar.xlsx"
    result = run("governance", "iar", "--format", "xlsx", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert "Wrote 2 rows of the Information Asset Register" in result.stderr
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Information Asset Register"
    check_rows(sheet_rows([[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]))


def test_the_register_as_ods(filled: Catalogue, run: Runner, tmp_path: Path) -> None:
    path = tmp_path / "iar.ods"
    assert run("governance", "iar", "--format", "ods", "-o", str(path)).exit_code == 0
    table = load(str(path)).spreadsheet.getElementsByType(Table)[0]
    cells = [
        [
            "\n".join(teletype.extractText(p) for p in cell.childNodes)
            for cell in row.getElementsByType(TableCell)
        ]
        for row in table.getElementsByType(TableRow)
    ]
    check_rows(sheet_rows(cells))


def test_the_register_of_one_department(filled: Catalogue, run: Runner) -> None:
    result = run("governance", "iar", "--department", "Housing", "--format", "json")
    assert [r["Asset"] for r in json.loads(result.stdout)] == [EXPECTED_HOUSING["Asset"]]
    wrong = run("governance", "iar", "--department", "Housng")
    assert wrong.exit_code == 1
    assert "no department called 'Housng'; the catalogue knows: Environment, Housing" in (
        wrong.output
    )


@pytest.mark.parametrize("role", ["viewer", "steward", None])
def test_only_auditors_and_admins_produce_the_register(filled: Catalogue, role: str | None) -> None:
    someone = Principal("Priya Shah", role, "Housing", "priya.shah@example.gov.uk")
    with (
        filled.reading(someone) as reader,
        pytest.raises(Forbidden, match="only auditors and admins"),
    ):
        registers.information_asset_register(reader, POLICY)
    auditor = Principal("Ann", "auditor", None, "ann@example.gov.uk")
    with filled.reading(auditor) as reader:
        register = registers.information_asset_register(reader, POLICY)
    assert len(register.rows) == 2

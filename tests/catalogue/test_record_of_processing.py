"""The Article 30 fields of an asset, through the CLI, catalogue files and the
API, and the record of processing activities, on each backend."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.store import Catalogue
from tests.conftest import Runner

ADMIN = operator("test-admin")
CONTROLLER_ENV = {
    "CATALOGUE_CONTROLLER_NAME": "London Borough of Thamesbury",
    "CATALOGUE_CONTROLLER_CONTACT": "Town Hall, Thamesbury TB1 1AA",
    "CATALOGUE_DPO_CONTACT": "dpo@thamesbury.gov.uk",
}
RENTS_OPTIONS = [
    "register", "dataset", "rents", "--title", "Rent accounts", "--department", "Housing",
    "--personal-data", "--lawful-basis", "public_task", "--retention-period", "6 years",
    "--purpose", "Managing council tenancies",
    "--data-subject", "Tenants", "--data-subject", "Former tenants",
    "--personal-data-category", "Name, address and contact details",
    "--personal-data-category", "Rent account and arrears",
    "--recipient", "Housing Ombudsman",
    "--international-transfers", "None",
]  # fmt: skip
REPAIRS_FILE = """\
- key: repairs
  kind: dataset
  title: Responsive repairs
  department: Housing
  personal_data: true
  purpose: Managing council tenancies
  data_subjects: Tenants; Contractors
  personal_data_categories: [Name, address and contact details, Repair history]
  recipients: [Repairs contractor]
- key: library-loans
  kind: dataset
  title: Library loans
  department: Libraries
  personal_data: true
- key: toilets
  kind: dataset
  title: Public toilets
  department: Environment
  purpose: Showing where toilets are
"""


@pytest.fixture
def filled(run: Runner, tmp_path: Path) -> Runner:
    assert run(*RENTS_OPTIONS).exit_code == 0
    path = tmp_path / "repairs.yaml"
    path.write_text(REPAIRS_FILE, encoding="utf-8")
    result = run("apply", str(path))
    assert result.exit_code == 0, result.output
    return run


def test_the_article_30_fields_are_kept_and_shown(filled: Runner) -> None:
    record = json.loads(filled("show", "rents", "--format", "json").output)
    assert record["purpose"] == "Managing council tenancies"
    assert record["data_subjects"] == ["Tenants", "Former tenants"]
    assert record["personal_data_categories"] == [
        "Name, address and contact details",
        "Rent account and arrears",
    ]
    assert record["recipients"] == ["Housing Ombudsman"]
    assert record["international_transfers"] == "None"
    repairs = json.loads(filled("show", "repairs", "--format", "json").output)
    assert repairs["data_subjects"] == ["Tenants", "Contractors"]  # "a; b" in a file
    updated = filled("update", "rents", "--recipient", "Department for Work and Pensions")
    assert updated.exit_code == 0
    history = json.loads(filled("history", "rents", "--format", "json").output)
    assert history[-1]["after"]["recipients"] == ["Department for Work and Pensions"]


def test_the_article_30_fields_survive_export_and_apply(filled: Runner, tmp_path: Path) -> None:
    exported = filled("export", "--format", "csv")
    header, *lines = exported.output.splitlines()
    for name in ("purpose", "data_subjects", "personal_data_categories", "recipients"):
        assert name in header.split(",")
    assert any("Tenants;Former tenants" in line for line in lines)
    path = tmp_path / "all.csv"
    path.write_text(exported.output, encoding="utf-8")
    again = filled("apply", str(path))
    assert again.exit_code == 0 and "0 update, 4 unchanged" in again.output, again.output


def test_a_bad_article_30_value_names_the_field(run: Runner) -> None:
    result = run("register", "dataset", "x", "--title", "X", "--purpose", "p" * 501)
    assert result.exit_code == 1
    assert "field 'purpose'" in result.output and "Traceback" not in result.output


def test_the_record_of_processing_groups_by_purpose(filled: Runner) -> None:
    filled.env.update(CONTROLLER_ENV)
    result = filled("governance", "ropa", "--format", "json")
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)
    assert [g["purpose"] for g in groups] == ["Managing council tenancies", "Purpose not recorded"]
    tenancies = groups[0]
    assert tenancies["controller"] == "London Borough of Thamesbury"
    assert tenancies["dpo"] == "dpo@thamesbury.gov.uk"
    assert tenancies["assets"] == ["Rent accounts (rents)", "Responsive repairs (repairs)"]
    assert tenancies["data_subjects"] == ["Contractors", "Former tenants", "Tenants"]
    assert tenancies["recipients"] == ["Housing Ombudsman", "Repairs contractor"]
    assert tenancies["retention"] == ["Rent accounts: 6 years", "Responsive repairs: not recorded"]
    assert groups[1]["assets"] == ["Library loans (library-loans)"]
    housing = json.loads(
        filled("governance", "ropa", "--department", "Housing", "--format", "json").stdout
    )
    assert [g["purpose"] for g in housing] == ["Managing council tenancies"]


def test_the_record_of_processing_as_a_spreadsheet(filled: Runner, tmp_path: Path) -> None:
    path = tmp_path / "ropa.xlsx"
    assert filled("governance", "ropa", "--format", "xlsx", "-o", str(path)).exit_code == 0
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    headings = rows[0]
    first = dict(zip(headings, rows[1], strict=True))
    assert first["Purpose of processing"] == "Managing council tenancies"
    assert first["Categories of data subjects"] == "Contractors\nFormer tenants\nTenants"
    assert first["Transfers to third countries"] == "None"
    assert len(rows) == 3


def test_the_api_carries_the_article_30_fields(catalogue: Catalogue) -> None:
    from catalogue import create_app

    with catalogue.write(ADMIN) as w:
        assets.register(
            w,
            {
                "key": "rents",
                "kind": "dataset",
                "title": "Rents",
                "access": "open",
                "purpose": "Managing council tenancies",
                "data_subjects": ["Tenants"],
            },
        )
    app = create_app(catalogue.settings)
    try:
        body = app.test_client().get("/api/v1/assets/rents").get_json()
    finally:
        app.extensions["catalogue"].close()
    assert body["purpose"] == "Managing council tenancies"
    assert body["data_subjects"] == ["Tenants"]
    assert body["recipients"] == [] and body["international_transfers"] is None

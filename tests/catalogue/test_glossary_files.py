"""Glossary terms in catalogue files (#18), on each backend: `apply` reads a
``terms:`` section (with or without assets), a bad term names its file, line
and field and nothing is written, `--dry-run` says what would change, and a
YAML export carries the glossary so that apply reads it back."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy import func, select

from catalogue.models import ChangeLog
from catalogue.store import Catalogue
from tests.conftest import Runner

FILE = """\
assets:
  - key: tenancies
    kind: dataset
    title: Council tenancies
    department: Housing
    columns: [{name: tenancy_ref}]
terms:
  - name: Tenancy
    definition: The agreement under which a tenant rents a council home.
    synonyms: [letting agreement]
    department: Housing
    related: [void]
    assets: [tenancies, "tenancies:tenancy_ref"]
    status: approved
  - name: Void
    definition: An empty council home waiting to be let.
    department: Housing
"""


def changes(catalogue: Catalogue) -> int:
    with catalogue.read() as session:
        return session.scalar(select(func.count()).select_from(ChangeLog)) or 0


def test_apply_adds_assets_then_terms_in_one_run(
    catalogue: Catalogue, run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(FILE, encoding="utf-8")
    result = run("apply", str(path))
    assert result.exit_code == 0, result.output
    assert "2 terms added" in result.output
    shown = json.loads(run("glossary", "show", "tenancy", "--format", "json").output)
    assert shown["related"] == ["void"]
    assert [(a["key"], a["column"]) for a in shown["linked_assets"]] == [
        ("tenancies", None),
        ("tenancies", "tenancy_ref"),
    ]
    again = run("apply", str(path))
    assert "0 terms added, 0 terms changed, 2 terms unchanged" in again.output


def test_a_terms_only_file_changes_a_term_and_dry_run_says_so(
    catalogue: Catalogue, run: Runner, tmp_path: Path
) -> None:
    first = tmp_path / "register.yaml"
    first.write_text(FILE, encoding="utf-8")
    run("apply", str(first))
    change = tmp_path / "change.yaml"
    change.write_text("terms:\n  - name: Void\n    status: approved\n", encoding="utf-8")
    before = changes(catalogue)
    dry = run("apply", "--dry-run", str(change))
    assert dry.exit_code == 0 and f"change term  void  ({change}:2): status" in dry.output
    assert changes(catalogue) == before
    assert run("apply", str(change)).exit_code == 0
    assert changes(catalogue) == before + 1
    assert json.loads(run("glossary", "show", "void", "--format", "json").output)["status"] == (
        "approved"
    )


def test_bad_terms_name_file_line_and_field_and_nothing_is_written(
    catalogue: Catalogue, run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        FILE
        + "  - name: Let\n    synonyms: [Letting agreement]\n"
        + "  - name: Garage\n    department: Parking\n    status: live\n",
        encoding="utf-8",
    )
    before = changes(catalogue)
    result = run("apply", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        f"{path}:18" in line
        and "'letting agreement' is already the synonym of the term 'tenancy'" in line.lower()
        for line in lines
    ), result.output
    assert any(f"{path}:20 field 'status': must be one of: draft, approved" in x for x in lines)
    assert any(f"{path}:20 field 'department': unknown department" in x for x in lines)
    assert "Traceback" not in result.output
    assert changes(catalogue) == before
    assert run("glossary", "list", "--format", "json").output.strip() == "[]"


def test_a_yaml_export_carries_the_glossary_and_applies_back(
    catalogue: Catalogue, run: Runner, tmp_path: Path
) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(FILE, encoding="utf-8")
    run("apply", str(path))
    exported = yaml.safe_load(run("export").output)
    assert [t["name"] for t in exported["terms"]] == ["Tenancy", "Void"]
    assert exported["terms"][0]["assets"] == ["tenancies", "tenancies:tenancy_ref"]
    assert [a["key"] for a in exported["assets"]] == ["tenancies"]
    as_json = json.loads(run("export", "--format", "json").output)
    assert isinstance(as_json, list)  # JSON and CSV files hold assets only

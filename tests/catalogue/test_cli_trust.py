"""What stewards and auditors meet on the command line (#20): apply changes only
what a record states and never lowers protection by omission; a second import of
unchanged input changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from catalogue.models import ChangeLog
from catalogue.store import Catalogue
from tests.conftest import shared_data


def write(path: Path, records: list[dict]) -> Path:
    path.write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")
    return path


def register_restricted(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "register",
        "dataset",
        "care-leavers",
        "--title",
        "Care leavers",
        "--description",
        "Young people leaving care, by placement",
        "--tag",
        "children",
        "--classification",
        "OFFICIAL-SENSITIVE",
        "--access",
        "restricted",
        "--personal-data",
        "--lawful-basis",
        "public_task",
    )
    assert result.exit_code == 0, result.output


def shown(run, key: str) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(run("show", key, "--format", "json").output)


def test_a_record_that_omits_fields_leaves_them_alone(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    register_restricted(run)
    path = write(
        tmp_path / "change.yaml",
        [{"key": "care-leavers", "kind": "dataset", "title": "Care leavers (16-25)"}],
    )
    dry = run("apply", "--dry-run", str(path))
    assert dry.exit_code == 0, dry.output
    assert "title: 'Care leavers' → 'Care leavers (16-25)'" in dry.output
    for name in ("classification", "access", "personal_data", "description", "tags"):
        assert f"{name}:" not in dry.output
    assert "1 update" in dry.output
    assert run("apply", str(path)).exit_code == 0
    after = shown(run, "care-leavers")
    assert after["title"] == "Care leavers (16-25)"
    assert after["classification"] == "OFFICIAL-SENSITIVE"
    assert after["access"] == "restricted"
    assert after["personal_data"] is True
    assert after["lawful_basis"] == "public_task"
    assert after["description"] == "Young people leaving care, by placement"
    assert after["tags"] == ["children"]


def test_clearing_a_field_takes_an_explicit_value(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    register_restricted(run)
    path = write(tmp_path / "clear.yaml", [{"key": "care-leavers", "description": "", "tags": []}])
    result = run("apply", str(path))
    assert result.exit_code == 0, result.output
    after = shown(run, "care-leavers")
    assert after["description"] == "" and after["tags"] == []
    assert after["classification"] == "OFFICIAL-SENSITIVE"


def test_a_stated_lower_marking_is_applied_and_said_loudly(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    register_restricted(run)
    path = write(
        tmp_path / "lower.yaml",
        [{"key": "care-leavers", "classification": "OFFICIAL", "access": "internal"}],
    )
    dry = run("apply", "--dry-run", str(path))
    assert dry.exit_code == 0, dry.output
    assert "classification: 'OFFICIAL-SENSITIVE' → 'OFFICIAL'   <-- LOWERS PROTECTION" in dry.output
    assert "access: 'restricted' → 'internal'   <-- LOWERS PROTECTION" in dry.output
    assert "WARNING: care-leavers" in dry.output and "classification lowered" in dry.output
    assert shown(run, "care-leavers")["classification"] == "OFFICIAL-SENSITIVE"
    done = run("apply", str(path))
    assert done.exit_code == 0 and "WARNING: care-leavers" in done.output
    after = shown(run, "care-leavers")
    assert (after["classification"], after["access"]) == ("OFFICIAL", "internal")
    assert after["personal_data"] is True


def test_replace_clears_what_a_record_omits_but_never_its_protection(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    register_restricted(run)
    path = write(
        tmp_path / "whole.yaml",
        [{"key": "care-leavers", "kind": "dataset", "title": "Care leavers"}],
    )
    dry = run("apply", "--replace", "--dry-run", str(path))
    assert dry.exit_code == 0, dry.output
    assert "description: 'Young people leaving care, by placement' → ''" in dry.output
    assert "LOWERS PROTECTION" not in dry.output and "WARNING" not in dry.output
    assert run("apply", "--replace", str(path)).exit_code == 0
    after = shown(run, "care-leavers")
    assert after["description"] == "" and after["tags"] == []
    assert after["lawful_basis"] is None
    assert (after["classification"], after["access"]) == ("OFFICIAL-SENSITIVE", "restricted")
    assert after["personal_data"] is True and after["status"] == "active"


def test_a_new_asset_still_needs_its_kind_and_title(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "new.yaml", [{"key": "brand-new", "description": "x"}])
    result = run("apply", str(path))
    assert result.exit_code == 1
    assert f"{path}:1 key 'brand-new' field 'kind'" in result.output
    assert f"{path}:1 key 'brand-new' field 'title'" in result.output
    assert run("show", "brand-new").exit_code != 0


def test_dry_run_counts_unchanged_records_instead_of_listing_them(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    records = [{"key": f"ds-{i}", "kind": "dataset", "title": f"Dataset {i}"} for i in range(30)]
    path = write(tmp_path / "many.yaml", records)
    assert run("apply", str(path)).exit_code == 0
    records[0]["title"] = "Dataset zero"
    write(path, records)
    dry = run("apply", "--dry-run", str(path))
    assert "unchanged  ds-" not in dry.output
    assert "update     ds-0" in dry.output
    assert "1 update, 29 unchanged" in dry.output
    assert len(dry.output.splitlines()) < 6


IMPORTS = [
    ("ckan", ("catalogues", "birmingham-package-search.json")),
    ("ckan", ("catalogues", "opendata-scotland.jsonl")),
    ("dbt", ("dbt", "jaffle_shop_postgres_dbt1.8.2_manifest.json")),
    ("dbt", ("dbt", "jaffle_shop_postgres_dbt1.3.1_manifest.json")),
    ("dbt", ("dbt", "dbt_test_project_duckdb_dbt1.10.15_manifest.json")),
]

NOTHING_CHANGED = {
    "ckan": "0 create, 0 update,",
    "dbt": "0 assets registered, 0 updated, 0 edges added, 0 ended",
}


@pytest.mark.parametrize(("importer", "parts"), IMPORTS, ids=[p[-1] for _, p in IMPORTS])
def test_a_second_import_of_unchanged_input_changes_nothing(
    run, catalogue: Catalogue, importer: str, parts: tuple[str, ...]
) -> None:  # type: ignore[no-untyped-def]
    path = str(shared_data(*parts))
    first = run("import", importer, path)
    assert first.exit_code == 0, first.output
    with catalogue.read() as session:
        logged = session.scalar(select(func.count()).select_from(ChangeLog))
    for _ in range(2):  # twice: Birmingham's owners flipped on the third import
        again = run("import", importer, path)
        assert again.exit_code == 0, again.output
        assert NOTHING_CHANGED[importer] in again.output, again.output
        with catalogue.read() as session:
            assert session.scalar(select(func.count()).select_from(ChangeLog)) == logged


def test_packages_that_name_one_mailbox_differently_give_it_one_name(run) -> None:  # type: ignore[no-untyped-def]
    run("import", "ckan", str(shared_data("catalogues", "birmingham-package-search.json")))
    owners = {
        shown(run, key)["owner"]
        for key in (
            "april-2021-purchase-card-transactions",
            "february-2018-purchase-card-transactions",
        )
    }
    assert owners == {"Accounts Payable"}  # eight packages say so; one says "foi.mailbox"

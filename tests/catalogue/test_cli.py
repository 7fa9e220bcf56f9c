"""The stewards' CLI, run as a steward would: exit codes, messages, formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from catalogue.models import Asset, ChangeLog
from catalogue.store import Catalogue

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar


def register_rent(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "register",
        "dataset",
        "rent-accounts",
        "--title",
        "Rent accounts",
        "--department",
        "Housing",
        "--owner",
        "Priya Shah",
        "--owner-email",
        "priya.shah@example.gov.uk",
        "--tag",
        "rent",
        "--tag",
        "housing",
        "--classification",
        "OFFICIAL-SENSITIVE",
        "--personal-data",
        "--lawful-basis",
        "public_task",
    )
    assert result.exit_code == 0, result.output
    assert "Registered dataset rent-accounts (version 1)" in result.output


def test_register_show_update_history(run) -> None:  # type: ignore[no-untyped-def]
    register_rent(run)
    shown = json.loads(run("show", "rent-accounts", "--format", "json").output)
    assert shown["owner"] == "Priya Shah" and shown["personal_data"] is True
    assert shown["tags"] == ["housing", "rent"]
    text = run("show", "rent-accounts").output
    assert "classification" in text and "OFFICIAL-SENSITIVE" in text
    result = run(
        "--as", "bob", "update", "rent-accounts", "--title", "Rent accounts (HRA)", "--version", "1"
    )
    assert result.exit_code == 0 and "now version 2" in result.output
    history = run("history", "rent-accounts").output.splitlines()
    assert "test-steward" in history[0] and "asset.create" in history[0]
    assert "bob" in history[1] and "changed title" in history[1]


def test_stale_update_exits_1_naming_the_current_version(run) -> None:  # type: ignore[no-untyped-def]
    register_rent(run)
    run("update", "rent-accounts", "--title", "Second title")
    result = run("update", "rent-accounts", "--title", "Stale title", "--version", "1")
    assert result.exit_code == 1
    assert "now holds version 2" in result.output and "Traceback" not in result.output


def test_bad_values_exit_1_or_2_with_a_clear_message(run) -> None:  # type: ignore[no-untyped-def]
    result = run("register", "spreadsheet", "x", "--title", "X")
    assert result.exit_code == 2  # a usage mistake, as the README says (#20)
    assert (
        "'spreadsheet' is not a kind of asset; use one of dataset, pipeline, report, source_system"
        in result.output
    )
    result = run("register", "dataset", "x", "--title", "X", "--access", "public")
    assert result.exit_code == 2 and "'public' is not one of" in result.output
    result = run("register", "dataset", "Bad Key", "--title", "X")
    assert result.exit_code == 1 and "field 'key'" in result.output
    result = run("show", "nothing-here")
    assert result.exit_code == 1 and "no asset with key 'nothing-here'" in result.output
    result = run("update", "nothing-here")
    assert result.exit_code == 2 and "say what to change" in result.output


def test_list_formats_and_filters(run) -> None:  # type: ignore[no-untyped-def]
    register_rent(run)
    run(
        "register",
        "report",
        "arrears-dashboard",
        "--title",
        "Arrears dashboard",
        "--department",
        "Housing",
    )
    run(
        "register",
        "dataset",
        "ctax-accounts",
        "--title",
        "Council tax accounts",
        "--department",
        "Revenues & Benefits",
    )
    text = run("list", "--department", "Housing").output
    assert "arrears-dashboard" in text and "rent-accounts" in text and "ctax" not in text
    as_json = json.loads(run("list", "--kind", "report", "--format", "json").output)
    assert [r["key"] for r in as_json] == ["arrears-dashboard"]
    csv_lines = run("list", "--format", "csv", "--tag", "rent").output.splitlines()
    assert csv_lines[0].startswith("key,kind,title") and csv_lines[1].startswith("rent-accounts,")
    run("retire", "ctax-accounts")
    assert "ctax-accounts" not in run("list").output
    assert "ctax-accounts" in run("list", "--all").output


def test_commands_before_init_say_what_to_do(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    env = {"CATALOGUE_INSTANCE_PATH": str(tmp_path / "empty"), "CATALOGUE_DATABASE_URL": ""}
    result = CliRunner().invoke(main, ["list"], env=env)
    assert result.exit_code == 1 and "catalogue init" in result.output
    result = CliRunner().invoke(main, ["init"], env=env)
    assert result.exit_code == 0 and (tmp_path / "empty" / "catalogue.db").exists()
    assert "No assets match" in CliRunner().invoke(main, ["list"], env=env).output


def test_db_current_reports_the_revision(run) -> None:  # type: ignore[no-untyped-def]
    from catalogue.migrate import head_revision

    output = run("db", "current").output
    head = head_revision(run.env["CATALOGUE_DATABASE_URL"])
    assert f"current: {head}\nhead:    {head}\nup to date" in output
    assert run("db", "upgrade").exit_code == 0


def write(path: Path, records: list[dict]) -> Path:
    path.write_text(yaml.safe_dump(records, sort_keys=False), encoding="utf-8")
    return path


def test_apply_with_three_bad_records_names_all_and_writes_nothing(
    run,
    tmp_path: Path,
    catalogue: Catalogue,  # type: ignore[no-untyped-def]
) -> None:
    good = {"key": "ok-dataset", "kind": "dataset", "title": "Fine"}
    path = write(
        tmp_path / "register.yaml",
        [
            good,
            {"key": "bad-one", "kind": "dataset", "title": "One", "owner_emial": "a@b.c"},
            {"key": "bad-two", "kind": "dataset", "title": "Two", "classification": "SECRETISH"},
            {"key": "bad-three", "kind": "report", "title": "Three", "upstream": ["ghost"]},
        ],
    )
    result = run("apply", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "3 problems" in out
    assert (
        f"{path}:4 key 'bad-one' field 'owner_emial': unknown field; did you mean 'owner_email'?"
        in out
    )
    assert f"{path}:8 key 'bad-two' field 'classification': must be one of" in out
    assert f"{path}:12 key 'bad-three' field 'upstream': no asset with key 'ghost'" in out
    with catalogue.read() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 0
        assert session.scalar(select(func.count()).select_from(ChangeLog)) == 0


def test_apply_upserts_dry_run_and_lineage(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    records = [
        {"key": "sys-northgate", "kind": "source_system", "title": "Northgate Housing"},
        {
            "key": "rent-accounts",
            "kind": "dataset",
            "title": "Rent accounts",
            "upstream": ["sys-northgate"],
        },
        {
            "key": "arrears-dashboard",
            "kind": "report",
            "title": "Arrears dashboard",
            "upstream": [{"key": "rent-accounts", "description": "nightly"}],
        },
    ]
    path = write(tmp_path / "housing.yaml", records)
    first = run("apply", str(path))
    assert first.exit_code == 0, first.output
    assert "3 create" in first.output and "2 edges added" in first.output
    records[1]["title"] = "Rent accounts (HRA)"
    records[2]["upstream"] = ["sys-northgate"]
    write(path, records)
    dry = run("apply", "--dry-run", str(path))
    assert "update     rent-accounts" in dry.output
    assert "title: 'Rent accounts' → 'Rent accounts (HRA)'" in dry.output
    assert "2 unchanged" in dry.output and "unchanged  sys-northgate" not in dry.output
    assert "end edge   rent-accounts → arrears-dashboard" in dry.output
    assert "add edge   sys-northgate → arrears-dashboard" in dry.output
    assert "Rent accounts (HRA)" not in run("show", "rent-accounts").output
    second = run("apply", str(path))
    assert "1 update" in second.output and "1 edges ended" in second.output
    assert "Rent accounts (HRA)" in run("show", "rent-accounts").output
    again = run("apply", str(path))
    assert "3 unchanged" in again.output and "0 edges added" in again.output


def test_apply_refuses_a_cycle_and_shows_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(
        tmp_path / "loop.yaml",
        [
            {"key": "a", "kind": "dataset", "title": "A", "upstream": ["c"]},
            {"key": "b", "kind": "dataset", "title": "B", "upstream": ["a"]},
            {"key": "c", "kind": "dataset", "title": "C", "upstream": ["b"]},
        ],
    )
    result = run("apply", str(path))
    assert result.exit_code == 1 and "cycle" in result.output
    assert (
        "a → b → c → a" in result.output
        or "b → c → a → b" in result.output
        or ("c → a → b → c" in result.output)
    )


def test_apply_reads_json_and_csv_with_line_numbers(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.json").write_text(
        '[\n  {"key": "j1", "kind": "dataset", "title": "J1"},\n'
        '  {"key": "j2", "kind": "dataset", "title": "J2", "access": "everyone"}\n]\n'
    )
    result = run("apply", str(tmp_path / "a.json"))
    assert (
        result.exit_code == 1
        and f"{tmp_path / 'a.json'}:3 key 'j2' field 'access'" in result.output
    )
    (tmp_path / "b.csv").write_text(
        "key,kind,title,tags,upstream\nc1,dataset,C1,a;b,\nc2,report,C2,,c1\n"
    )
    result = run("apply", str(tmp_path / "b.csv"))
    assert result.exit_code == 0, result.output
    shown = json.loads(run("show", "c1", "--format", "json").output)
    assert shown["tags"] == ["a", "b"]
    (tmp_path / "broken.json").write_text('[{"key": "x",}]')
    result = run("apply", str(tmp_path / "broken.json"))
    assert (
        result.exit_code == 1
        and "broken.json:1" in result.output
        and "not valid JSON" in result.output
    )
    (tmp_path / "notes.txt").write_text("hello")
    result = run("apply", str(tmp_path / "notes.txt"))
    assert result.exit_code == 1 and ".yaml, .yml, .json" in result.output


def test_applied_records_log_exactly_what_the_store_holds(
    run,
    tmp_path: Path,
    catalogue: Catalogue,  # type: ignore[no-untyped-def]
) -> None:
    """New assets are written in bulk; their logged records must equal what the
    store reads back, or the views would disagree with the database."""
    from catalogue.services import assets
    from catalogue.services.access import operator

    path = write(
        tmp_path / "bulk.yaml",
        [
            {
                "key": "sys-a",
                "kind": "source_system",
                "title": "System A",
                "department": "Housing",
                "owner": "Ann Lee",
                "owner_email": "Ann.Lee@example.gov.uk",
                "tags": ["b", "a", "a"],
            },
            {
                "key": "ds-b",
                "kind": "dataset",
                "title": "Dataset B",
                "last_updated": "2026-01-02",
                "personal_data": "yes",
                "lawful_basis": "public_task",
                "steward": "Bo Chan",
                "columns": [
                    {"name": "ref", "personal": True},
                    {"name": "amount", "type": "decimal"},
                ],
                "links": [{"url": "https://example.org/b", "format": "CSV"}],
                "upstream": [{"key": "sys-a", "description": "nightly"}],
            },
        ],
    )
    assert run("apply", str(path)).exit_code == 0
    admin = operator("t")
    with catalogue.reading(admin) as reader:
        for key in ("sys-a", "ds-b"):
            logged = assets.history(reader, key)[0]["after"]
            assert logged == assets.get(reader, key)
        edge = assets.history(reader, "ds-b")[1]["after"]
    assert edge["upstream"] == "sys-a" and edge["description"] == "nightly"
    assert [h.key for h in catalogue.graph().upstream("ds-b")] == ["sys-a"]

"""Control characters in free text (#20): a title (or any other text of a record)
holding an escape code, a carriage return or a new line could clear a steward's
terminal or fake a line of what the catalogue prints. Every way in that a person
uses refuses it, naming the field, and writes nothing (the edit form: in
tests/web/test_form_control_characters.py); metadata from other systems (CKAN)
is cleaned instead; and text stored before this rule prints escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update

from catalogue.models import Asset
from catalogue.store import Catalogue
from tests.catalogue.test_web_addresses import admin_headers, app  # noqa: F401
from tests.conftest import Runner

#: Each would act on a terminal: clear the screen, go up a line, return to the
#: start of the line, start a new one, ring the bell, a C1 control sequence.
CONTROLS = [
    "Rents\x1b[2J",
    "Rents\x1b[1A\x1b[2KForged line",
    "Rents\rX",
    "Rents\nX",
    "a\x07b",
    "a\x9bb",
]
REFUSED = "must not contain control characters"


def shown_keys(run: Runner) -> list[str]:
    return [r["key"] for r in json.loads(run("list", "--all", "--format", "json").output or "[]")]


@pytest.mark.parametrize("text", CONTROLS)
def test_register_refuses_control_characters_naming_the_field(run: Runner, text: str) -> None:
    result = run("register", "dataset", "rents", "--title", text)
    assert result.exit_code == 1
    assert "field 'title'" in result.output and REFUSED in result.output
    assert "Traceback" not in result.output
    assert shown_keys(run) == []


def test_update_refuses_them_in_any_text_field_and_changes_nothing(run: Runner) -> None:
    assert run("register", "dataset", "rents", "--title", "Rents").exit_code == 0
    result = run("update", "rents", "--owner", "Joanne\x1b[8mWhitaker", "--tag", "a\tb")
    assert result.exit_code == 1
    assert "field 'owner'" in result.output and "field 'tags'" in result.output
    shown = json.loads(run("show", "rents", "--format", "json").output)
    assert (shown["owner"], shown["tags"], shown["version"]) == (None, [], 1)


@pytest.mark.parametrize("suffix", ["yaml", "csv", "json"])
def test_a_catalogue_file_with_one_is_refused_naming_file_line_and_field(
    run: Runner, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"register.{suffix}"
    if suffix == "yaml":
        path.write_text(
            '- {key: good, kind: dataset, title: Good}\n'
            '- {key: rents, kind: dataset, title: "Rents\\e[2J"}\n',
            encoding="utf-8",
        )  # fmt: skip
    elif suffix == "csv":
        path.write_text(
            "key,kind,title\ngood,dataset,Good\nrents,dataset,Rents\x1b[2J\n", encoding="utf-8"
        )
    else:
        records = [
            {"key": "good", "kind": "dataset", "title": "Good"},
            {"key": "rents", "kind": "dataset", "title": "Rents", "columns": [{"name": "ref\x1b"}]},
        ]
        path.write_text(json.dumps(records), encoding="utf-8")
    result = run("apply", str(path))
    assert result.exit_code == 1, result.output
    assert f"register.{suffix}" in result.output and "key 'rents'" in result.output
    assert ("columns.0.name" if suffix == "json" else "field 'title'") in result.output
    assert REFUSED in result.output
    assert shown_keys(run) == []  # all or nothing: the good record is not written either


def test_a_description_keeps_its_new_lines_and_tabs_and_windows_line_ends_become_new_lines(
    run: Runner, tmp_path: Path
) -> None:
    records = [
        {
            "key": "rents",
            "kind": "dataset",
            "title": "Rents",
            "description": "Line one\r\nLine\ttwo",
        }
    ]
    (tmp_path / "r.json").write_text(json.dumps(records), encoding="utf-8")
    assert run("apply", str(tmp_path / "r.json")).exit_code == 0
    assert json.loads(run("show", "rents", "--format", "json").output)["description"] == (
        "Line one\nLine\ttwo"
    )
    refused = run("update", "rents", "--description", "Line one\x1b[2J")
    assert refused.exit_code == 1 and "field 'description'" in refused.output


def test_the_api_refuses_them_naming_the_field(app: Flask, admin_headers: dict[str, str]) -> None:  # noqa: F811 (fixtures)
    client = app.test_client()
    record = {"key": "rents", "kind": "dataset", "title": "Rents\x1b[2J", "access": "open"}
    posted = client.post("/api/v1/assets", json=record, headers=admin_headers)
    assert posted.status_code == 422 and posted.mimetype == "application/problem+json"
    assert "title" in json.dumps(posted.json["errors"]) and REFUSED in json.dumps(posted.json)
    assert client.get("/api/v1/assets/rents", headers=admin_headers).status_code == 404
    record["title"] = "Rents"
    assert client.post("/api/v1/assets", json=record, headers=admin_headers).status_code == 201
    etag = client.get("/api/v1/assets/rents", headers=admin_headers).headers["ETag"]
    patched = client.patch(
        "/api/v1/assets/rents",
        json={"department": "Housing\r\nForged: yes"},
        headers=admin_headers | {"If-Match": etag},
    )
    assert patched.status_code == 422 and "department" in json.dumps(patched.json["errors"])
    assert client.get("/api/v1/assets/rents", headers=admin_headers).json["department"] is None


def test_a_ckan_import_cleans_another_systems_control_characters(
    run: Runner, tmp_path: Path
) -> None:
    package = {
        "name": "rents",
        "title": "Rent\x1b[2J\tarrears",
        "notes": "One\x07\r\nTwo",
        "author": "A\x9bB",
    }
    (tmp_path / "p.jsonl").write_text(json.dumps(package) + "\n", encoding="utf-8")
    result = run("import", "ckan", str(tmp_path / "p.jsonl"))
    assert result.exit_code == 0, result.output
    shown = json.loads(run("show", "rents", "--format", "json").output)
    assert (shown["title"], shown["description"], shown["owner"]) == (
        "Rent [2J arrears",
        "One\nTwo",
        "A B",
    )


def test_text_stored_before_the_rule_prints_escaped(run: Runner, catalogue: Catalogue) -> None:
    """A title written before control characters were refused (or straight into
    the database) cannot move the cursor or add a line: it prints as escapes."""
    assert run("register", "report", "rpt-rents", "--title", "Rents report").exit_code == 0
    assert run("register", "dataset", "rents", "--title", "Rents").exit_code == 0
    assert run("lineage", "add", "rents", "rpt-rents").exit_code == 0
    with catalogue.sessions.begin() as session:
        session.execute(
            update(Asset).where(Asset.key == "rents").values(title="Rents\x1b[2J\nForged line")
        )
    for args in (
        ("show", "rents"),
        ("list",),
        ("lineage", "trace", "rpt-rents"),
        ("search", "rents"),
    ):
        output = run(*args).output
        assert "\x1b" not in output and "\nForged line" not in output, args
    assert "Rents\\x1b[2J\\nForged line" in run("show", "rents").output


def test_a_spreadsheet_header_on_two_lines_is_harvested_as_one(run: Runner, tmp_path: Path) -> None:
    folder = tmp_path / "drive"
    folder.mkdir()
    (folder / "rents.csv").write_text('ref,"Amount\r\n(GBP)"\nA1,12.50\n', encoding="utf-8")
    run("register", "source_system", "sys-drive", "--title", "Shared drive")
    result = run("harvest", "files", str(folder), "--source-system", "sys-drive")
    assert result.exit_code == 0, result.output
    listed = json.loads(run("list", "--format", "json").output)
    key = next(r["key"] for r in listed if r["kind"] == "dataset")
    columns = json.loads(run("show", key, "--format", "json").output)["columns"]
    assert [c["name"] for c in columns] == ["ref", "Amount (GBP)"]

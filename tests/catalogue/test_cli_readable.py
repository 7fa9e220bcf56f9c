"""What auditors and stewards read on the command line (#20): traces as of a
date, retired feeds, errors without tracebacks, imports dated when they were
made, the README's quickstarts run as written, and log lines for a person."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from catalogue.config import Settings, load_settings
from catalogue.models import ChangeLog
from catalogue.store import Catalogue
from tests.catalogue.test_cli_trust import shown, write
from tests.conftest import Runner, shared_data


def small_lineage(run) -> None:  # type: ignore[no-untyped-def]
    for kind, key, title in (
        ("source_system", "sys-payroll", "Payroll system"),
        ("dataset", "staff-costs", "Staff costs"),
        ("report", "rpt-staff-costs", "Staff costs return"),
    ):
        assert run("register", kind, key, "--title", title).exit_code == 0
    assert run("lineage", "add", "sys-payroll", "staff-costs").exit_code == 0
    assert run("lineage", "add", "staff-costs", "rpt-staff-costs").exit_code == 0


def test_as_of_with_an_offset_is_shown_as_its_instant_in_utc(run) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    result = run("lineage", "trace", "rpt-staff-costs", "--as-of", "2025-06-01T12:00:00+01:00")
    assert result.exit_code == 0, result.output
    assert "as of 2025-06-01 11:00 UTC" in result.output
    data = json.loads(
        run(
            "lineage", "trace", "rpt-staff-costs", "--as-of", "2025-06-01T12:00:00+01:00",
            "--format", "json",
        ).output
    )  # fmt: skip
    assert data["as_of"] == "2025-06-01T11:00:00+00:00"


def test_a_trace_before_the_report_existed_says_so(run) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    before = run("lineage", "trace", "rpt-staff-costs", "--as-of", "2001-01-01")
    assert before.exit_code == 0, before.output
    assert "rpt-staff-costs did not exist then" in before.output
    assert "Nothing feeds it." not in before.output
    data = json.loads(
        run(
            "lineage", "trace", "rpt-staff-costs", "--as-of", "2001-01-01", "--format", "json"
        ).output
    )
    assert data["existed"] is False
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = run("lineage", "trace", "rpt-staff-costs", "--as-of", tomorrow)
    assert "did not exist" not in later.output
    assert "staff-costs" in later.output and "sys-payroll" in later.output


@pytest.mark.parametrize("command", [("trace", "rpt-staff-costs"), ("upstream", "staff-costs")])
def test_an_empty_as_of_is_a_usage_mistake_not_now(run, command: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    result = run("lineage", *command, "--as-of", "")
    assert result.exit_code == 2
    assert "--as-of" in result.output and "is empty" in result.output
    assert "Traceback" not in result.output


def test_retired_means_retired(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    assert run("register", "pipeline", "pl-payroll-nightly", "--title", "Nightly").exit_code == 0
    assert run("register", "report", "rpt-overtime", "--title", "Overtime").exit_code == 0
    first = run("retire", "sys-payroll")
    assert first.exit_code == 0 and "Retired sys-payroll." in first.output
    again = run("retire", "sys-payroll")
    assert again.exit_code == 0
    assert again.output.strip() == "sys-payroll was already retired; nothing changed."

    update = run("update", "sys-payroll", "--title", "Payroll (old)")
    assert update.exit_code == 1
    assert "'sys-payroll' is retired" in update.output and "status" in update.output
    assert shown(run, "sys-payroll")["title"] == "Payroll system"

    assert run("retire", "pl-payroll-nightly").exit_code == 0
    for args in (
        ("sys-payroll", "rpt-overtime"),
        ("staff-costs", "rpt-overtime", "--via", "pl-payroll-nightly"),
    ):
        added = run("lineage", "add", *args)
        assert added.exit_code == 1 and "is retired" in added.output, added.output
    assert "Nothing feeds it." in run("lineage", "trace", "rpt-overtime").output

    path = write(tmp_path / "edit.yaml", [{"key": "sys-payroll", "title": "Payroll (old)"}])
    refused = run("apply", str(path))
    assert refused.exit_code == 1 and "'sys-payroll' is retired" in refused.output
    reinstated = write(
        tmp_path / "back.yaml", [{"key": "sys-payroll", "status": "active", "title": "Payroll"}]
    )
    assert run("apply", str(reinstated)).exit_code == 0
    assert shown(run, "sys-payroll")["status"] == "active"


def test_the_trace_and_the_check_show_a_retired_feed(run) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    assert run("retire", "staff-costs").exit_code == 0
    trace = run("lineage", "trace", "rpt-staff-costs").output
    header = trace.splitlines()[1]
    assert "STATUS" in header and "ACCESS" in header
    row = next(line for line in trace.splitlines() if line.split()[1:2] == ["staff-costs"])
    assert "retired" in row
    check = run("--as", "auditor", "lineage", "check")
    assert "1 retired asset(s) still feeding active reports:" in check.output
    assert "  staff-costs: retired; feeds rpt-staff-costs" in check.output
    data = json.loads(run("lineage", "check", "--format", "json").output)
    assert data["retired_feeds"] == [
        {"key": "staff-costs", "title": "Staff costs", "feeds_reports": ["rpt-staff-costs"]}
    ]


def _bad_inputs(tmp: Path) -> list[tuple[dict[str, str], tuple[str, ...], int, str]]:
    (tmp / "empty.yaml").write_text("", encoding="utf-8")
    (tmp / "nodes.json").write_text('{"nodes": {"a": 1}}', encoding="utf-8")
    (tmp / "ckan.json").write_text('[{"name": "x"}, 5, null]', encoding="utf-8")
    long_actor = "a" * 5000
    return [
        ({}, ("--as", "", "register", "dataset", "zz", "--title", "Z"), 2, "'--as': is empty"),
        ({}, ("--as", "   ", "retire", "staff-costs"), 2, "'--as': is empty"),
        ({}, ("--as", long_actor, "list"), 2, "5,000 characters long; at most 200"),
        ({}, ("--as", "a\x07b", "list"), 2, "control characters"),
        ({}, ("export", "-o", str(tmp / "no" / "x.yaml")), 1, "the folder does not exist"),
        ({}, ("lineage", "export", "-o", str(tmp / "no" / "x.dot")), 1, "cannot write"),
        (
            {},
            ("governance", "iar", "-o", str(tmp / "no" / "x.csv")),
            1,
            "the folder does not exist",
        ),
        ({}, ("import", "dbt", str(tmp / "nodes.json")), 1, "field 'nodes.a': must be an object"),
        ({}, ("import", "ckan", str(tmp / "ckan.json")), 1, "item 2 (5), item 3 (null)"),
        ({}, ("apply", str(tmp / "empty.yaml")), 1, "empty.yaml:1: the file is empty"),
        ({}, ("audit", "--since", "2026-12-01", "--until", "2026-01-01"), 2, "swap them"),
        ({}, ("update", "staff-costs", "--version", "-1", "--title", "x"), 2, "'--version'"),
        ({}, ("register", "widget", "w1", "--title", "W"), 2, "'widget' is not a kind"),
        ({"CATALOGUE_DATABASE_URL": "notaurl"}, ("list",), 1, "is not a database URL"),
        ({"CATALOGUE_DATABASE_URL": "mysql://u:secret@x/y"}, ("list",), 1, "no driver"),
        ({"CATALOGUE_INSTANCE_PATH": "/proc/nope"}, ("list",), 1, "'/proc/nope' cannot be used"),
    ]


def test_no_traceback_reaches_a_person(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    before = run("history", "staff-costs", "--format", "json").output
    for env, args, code, message in _bad_inputs(tmp_path):
        result = Runner({**run.env, **env})(*args)  # an exception would fail the test here
        assert result.exit_code == code, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
        assert "secret" not in result.output
    assert run("history", "staff-costs", "--format", "json").output == before
    assert run("show", "zz").exit_code == 1 and run("show", "w1").exit_code == 1


def dbt_manifest(tmp: Path, generated_at: str) -> Path:
    manifest = json.loads(
        shared_data("dbt", "jaffle_shop_postgres_dbt1.8.2_manifest.json").read_text()
    )
    manifest["metadata"]["generated_at"] = generated_at
    path = tmp / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return path


@pytest.mark.parametrize("generated_at", ["2022-12-14T10:00:00Z", "2099-01-01T00:00:00Z"])
def test_an_import_is_recorded_when_it_was_made_not_when_the_source_says(
    run, catalogue: Catalogue, tmp_path: Path, generated_at: str
) -> None:  # type: ignore[no-untyped-def]
    path = dbt_manifest(tmp_path, generated_at)
    started = datetime.now(UTC)
    assert run("import", "dbt", str(path)).exit_code == 0
    finished = datetime.now(UTC)
    with catalogue.read() as session:
        times = [t.astimezone(UTC) for t in session.scalars(select(ChangeLog.at))]
    assert times and all(started <= t <= finished for t in times)
    since = run("audit", "--since", started.date().isoformat(), "--format", "json")
    assert len(json.loads(since.output)) >= len(times)
    # The lineage is in effect from when dbt generated the manifest, never later than now.
    edges = [
        e["after"]
        for e in json.loads(run("audit", "--format", "json").output)
        if e.get("action") == "edge.add"
    ]
    assert edges
    source_time = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    for edge in edges:
        valid_from = datetime.fromisoformat(edge["valid_from"]).astimezone(UTC)
        assert valid_from == min(source_time, valid_from)
        assert valid_from <= finished
    trace = json.loads(
        run("lineage", "upstream", "postgres.postgres.public.customers", "--format", "json").output
    )
    assert trace, "the lineage of a future-dated manifest is in effect now"


README = Path(__file__).resolve().parents[2] / "README.md"


def quickstart_commands() -> list[list[str]]:
    """The shell commands of the README's quickstart, one list of words each,
    continuation lines joined and comments dropped, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Quickstart")
    quickstart = text[start : text.index("\n## ", start)]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", quickstart, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
    return commands


def expanded(word: str) -> str:
    """A word as the reader's shell passes it on: ``$(date -d '18 months ago' +%F)``
    becomes the date (the quickstarts' dates are relative, like the demo's)."""
    if "$(" not in word:
        return word
    done = subprocess.run(["bash", "-c", f'printf %s "{word}"'], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout, (word, done.stderr)
    return done.stdout


def test_the_readme_quickstarts_run_as_written_on_a_fresh_demo(
    demo_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    env = dict(demo_run.env)
    commands = quickstart_commands()
    assert sum(words[0] == ".venv/bin/catalogue" for words in commands) >= 10
    for words in commands:
        words = [expanded(w) for w in words]
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
        elif words[0] == ".venv/bin/catalogue":
            result = Runner(env)(*words[1:])
            assert result.exit_code == 0, (words, result.output)
            assert "Traceback" not in result.output
        else:  # a plain shell line, such as writing a change file
            line = " ".join(shlex.quote(w) if w != ">" else w for w in words)
            subprocess.run(["bash", "-c", line], cwd=tmp_path, check=True)
    shown = json.loads(Runner(env)("show", "garage-rents", "--format", "json").output)
    assert shown["review_date"] == "2027-06-01"
    assert (shown["classification"], shown["personal_data"]) == ("OFFICIAL-SENSITIVE", True)
    assert shown["update_frequency"] == "monthly"


def test_history_says_what_a_change_changed_from_and_to(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    small_lineage(run)
    assert run("update", "staff-costs", "--title", "Staff costs (all)").exit_code == 0
    text = run("history", "staff-costs").output
    assert "changed title" in text
    assert "      title: 'Staff costs' → 'Staff costs (all)'" in text
    manifest = dbt_manifest(tmp_path, "2022-12-14T10:00:00Z")
    assert run("import", "dbt", str(manifest)).exit_code == 0
    edges = run("history", "postgres.postgres.public.customers").output
    assert "(in effect from 2022-12-14 10:00 UTC)" in edges


def test_lineage_check_lines_fit_a_terminal(demo_run) -> None:  # type: ignore[no-untyped-def]
    text = demo_run("lineage", "check").output
    assert "handling mismatch(es):" in text
    assert max(len(line) for line in text.splitlines()) <= 120
    # Keys are never broken at a hyphen: the planted stale web-analytics feeds this report.
    assert "rpt-customer-contact-dashboard" in text


def test_serve_logs_lines_a_person_reads_on_a_terminal_and_json_otherwise(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from catalogue.commands.serve import log_format_for

    monkeypatch.delenv("CATALOGUE_LOG_FORMAT", raising=False)
    leader, follower = pty.openpty()
    with open(follower, "w", closefd=True) as terminal, open(tmp_path / "log", "w") as file:
        assert log_format_for(settings, terminal) == "text"
        assert log_format_for(settings, file) == "json"
        monkeypatch.setenv("CATALOGUE_LOG_FORMAT", "json")
        explicit = load_settings({"instance_path": tmp_path / "instance"})
        assert log_format_for(explicit, terminal) == "json"
    os.close(leader)

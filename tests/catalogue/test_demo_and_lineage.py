"""The demo borough end to end through the CLI: round trip, traces, as-of, checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, demo_day

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar


@pytest.mark.parametrize("fmt", ["yaml", "json", "csv"])
def test_export_apply_to_an_empty_catalogue_export_again_is_identical(
    demo_run: Runner, make_database: Any, tmp_path: Path, fmt: str
) -> None:
    run = demo_run
    first = tmp_path / f"first.{fmt}"
    assert run("export", "--format", fmt, "-o", str(first)).exit_code == 0
    empty = dict(
        run.env,
        CATALOGUE_DATABASE_URL=make_database(),
        CATALOGUE_INSTANCE_PATH=str(tmp_path / "empty"),
    )
    second_run = Runner(empty)
    applied = second_run("apply", str(first))
    assert applied.exit_code == 0, applied.output
    second = second_run("export", "--format", fmt).output
    assert second == first.read_text(encoding="utf-8")
    assert "rpt-housing-arrears-dashboard" in second


def test_trace_names_owners_and_explains_inherited_personal_data(demo_run: Runner) -> None:
    run = demo_run
    result = json.loads(
        run("lineage", "trace", "rpt-housing-arrears-dashboard", "--format", "json").output
    )
    keys = {row["key"]: row for row in result["upstream"]}
    assert keys["rent-arrears-weekly"]["hops"] == 1
    assert keys["sys-northgate-housing"]["kind"] == "source_system"
    assert keys["rent-accounts"]["owner"] == "Joanne Whitaker"  # after the 2026 handover
    explanations = [i["explanation"] for i in result["inherits"]]
    assert any(
        e.startswith("Housing rent arrears dashboard contains personal data via")
        for e in explanations
    )


def test_as_of_before_and_after_an_edge_change(demo_run: Runner) -> None:
    run = demo_run

    def upstream(as_of: str) -> set[str]:
        out = run(
            "lineage",
            "upstream",
            "rpt-housing-arrears-dashboard",
            "--depth",
            "1",
            "--as-of",
            as_of,
            "--format",
            "json",
        ).output
        return {row["key"] for row in json.loads(out)}

    # The dashboard moved from the legacy Orchard extract to the weekly arrears table
    # on 2025-10-06 (catalogue/demo/changes.yaml).
    assert upstream(demo_day("2025-06-01").isoformat()) == {
        "rent-arrears-legacy-extract",
        "tenancies",
    }
    assert upstream(demo_day("2026-01-01").isoformat()) == {"rent-arrears-weekly", "tenancies"}
    then = json.loads(
        run(
            "lineage",
            "trace",
            "rpt-housing-arrears-dashboard",
            "--as-of",
            demo_day("2025-06-01").isoformat(),
            "--format",
            "json",
        ).output
    )
    owners = {row["key"]: row["owner"] for row in then["upstream"]}
    assert owners["tenancies"] == "Stephen Mallory"  # the owner before the handover
    bad = run("lineage", "upstream", "rpt-housing-arrears-dashboard", "--as-of", "last week")
    assert bad.exit_code == 1 and "ISO 8601" in bad.output


def test_check_flags_the_open_dashboard_fed_by_personal_data(demo_run: Runner) -> None:
    run = demo_run
    found = json.loads(run("lineage", "check", "--format", "json").output)
    flagged = {m["key"]: m for m in found["mismatches"]}
    assert "rpt-homelessness-ward-dashboard" in flagged
    assert any("open" in r for r in flagged["rpt-homelessness-ward-dashboard"]["reasons"])
    assert found["stale_feeds"], "the demo has feeds older than their declared frequency"


def test_lineage_add_refuses_cycles_and_unknown_keys(demo_run: Runner) -> None:
    run = demo_run
    result = run("lineage", "add", "rpt-housing-arrears-dashboard", "rent-accounts")
    assert result.exit_code == 1 and "cycle" in result.output
    assert "rpt-housing-arrears-dashboard → rent-accounts" in result.output
    result = run("lineage", "add", "nowhere", "rent-accounts")
    assert result.exit_code == 1 and "'nowhere'" in result.output


def test_lineage_remove_keeps_history_and_path_export(demo_run: Runner) -> None:
    run = demo_run
    assert (
        run(
            "lineage", "path", "sys-northgate-housing", "rpt-housing-arrears-dashboard"
        ).output.count("→")
        >= 2
    )
    result = run("lineage", "remove", "tenancies", "rpt-housing-arrears-dashboard")
    assert result.exit_code == 0
    history = run("history", "rpt-housing-arrears-dashboard").output
    assert "tenancies no longer feeds rpt-housing-arrears-dashboard" in history
    dot = run("lineage", "export", "--format", "dot").output
    assert '"rent-arrears-weekly" -> "rpt-housing-arrears-dashboard"' in dot
    assert '"tenancies" -> "rpt-housing-arrears-dashboard"' not in dot
    graphml = run("lineage", "export", "--format", "graphml").output
    assert "<graphml" in graphml and "rent-accounts" in graphml

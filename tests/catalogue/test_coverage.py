"""Coverage of the register from the change log, now and on a past date, at the
command line on each backend; figures counted by hand."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from catalogue.db import utcnow
from catalogue.errors import Forbidden
from catalogue.governance import ReviewPolicy
from catalogue.services import assets, registers
from catalogue.services.access import Principal, operator
from catalogue.store import Catalogue
from tests.conftest import Runner, demo_day

pytestmark = pytest.mark.calendar

ADMIN = operator("test-admin")


@pytest.fixture
def history(catalogue: Catalogue) -> Catalogue:
    """Registered 60 days ago with gaps; 10 days ago a steward and a DPIA were
    added to the rents and the toilets were retired."""
    start, later = utcnow() - timedelta(days=60), utcnow() - timedelta(days=10)
    with catalogue.write(ADMIN, now=start) as w:
        assets.register(
            w,
            {
                "key": "rents",
                "kind": "dataset",
                "title": "Rents",
                "department": "Housing",
                "owner": "Priya Shah",
                "personal_data": True,
                "lawful_basis": "public_task",
            },
        )
        assets.register(
            w, {"key": "repairs", "kind": "dataset", "title": "Repairs", "department": "Housing"}
        )
        assets.register(
            w,
            {
                "key": "toilets",
                "kind": "dataset",
                "title": "Toilets",
                "department": "Environment",
                "owner": "Lee Park",
                "steward": "Sam Jones",
            },
        )
    with catalogue.write(ADMIN, now=later) as w:
        assets.update(w, "rents", {"steward": "Sam Jones", "dpia_reference": "DPIA-7"})
        assets.retire(w, "toilets")
    return catalogue


def figures(rows: list[dict], department: str, measure: str) -> tuple[int, int]:
    row = next(r for r in rows if r["department"] == department)
    return row[measure]["met"], row[measure]["of"]


def test_coverage_today_and_a_month_ago_differ_as_the_history_says(
    history: Catalogue, run: Runner
) -> None:
    today = json.loads(run("governance", "coverage", "--format", "json").output)
    assert [r["department"] for r in today] == ["Housing", "All departments"]
    assert figures(today, "Housing", "owner") == (1, 2)
    assert figures(today, "Housing", "steward") == (1, 2)
    assert figures(today, "Housing", "dpia") == (1, 1)
    month_ago = (utcnow() - timedelta(days=30)).date().isoformat()
    then = json.loads(
        run("governance", "coverage", "--as-of", month_ago, "--format", "json").output
    )
    assert [r["department"] for r in then] == ["Environment", "Housing", "All departments"]
    assert figures(then, "Housing", "steward") == (0, 2)
    assert figures(then, "Housing", "dpia") == (0, 1)
    assert figures(then, "All departments", "owner") == (2, 3)
    assert figures(then, "All departments", "steward") == (1, 3)
    before_any = (utcnow() - timedelta(days=90)).date().isoformat()
    empty = json.loads(
        run("governance", "coverage", "--as-of", before_any, "--format", "json").output
    )
    assert empty == [
        {
            "department": "All departments",
            "assets": 0,
            **{
                m: {"met": 0, "of": 0, "percent": None}
                for m in (
                    "owner",
                    "steward",
                    "description",
                    "classification",
                    "lawful_basis",
                    "retention",
                    "dpia",
                    "reviewed",
                    "fresh",
                )
            },
        }
    ]


def test_coverage_as_text_csv_and_for_one_department(history: Catalogue, run: Runner) -> None:
    text = run("governance", "coverage", "--department", "Housing")
    assert text.exit_code == 0, text.output
    assert "Housing" in text.output and "50.0% (1/2)" in text.output
    csv_out = run("governance", "coverage", "--format", "csv").output.splitlines()
    assert csv_out[0].startswith("department,assets,owner,steward,description")
    assert csv_out[-1].startswith("All departments,2,50.0% (1/2),50.0% (1/2)")
    gone = (utcnow() - timedelta(days=30)).date().isoformat()
    environment = json.loads(
        run("governance", "coverage", "--department", "Environment", "--format", "json").output
    )
    assert environment[0]["assets"] == 0  # retired since
    then = run("governance", "coverage", "--department", "Environment", "--as-of", gone)
    assert "100.0% (1/1)" in then.output


def test_coverage_refuses_a_future_date_an_unknown_department_and_non_auditors(
    history: Catalogue, run: Runner
) -> None:
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    future = run("governance", "coverage", "--as-of", tomorrow)
    assert future.exit_code == 1 and "the date is in the future" in future.output
    assert "is after today" in future.output
    unknown = run("governance", "coverage", "--department", "Housng")
    assert unknown.exit_code == 1 and "no department called 'Housng'" in unknown.output
    assert "Traceback" not in future.output + unknown.output
    steward = Principal("Sam Jones", "steward", "Housing", "sam@example.gov.uk")
    with history.reading(steward) as reader, pytest.raises(Forbidden):
        registers.coverage(reader, ReviewPolicy(), utcnow())


def test_the_demo_was_less_complete_a_month_ago(demo_run: Runner) -> None:
    """The demo's history fills in four DPIAs and three stewards in the month
    before its files were written (catalogue/demo/changes.yaml)."""
    today = json.loads(demo_run("governance", "coverage", "--format", "json").output)[-1]
    month_ago = demo_day("2026-10-25").isoformat()
    then = json.loads(
        demo_run("governance", "coverage", "--as-of", month_ago, "--format", "json").output
    )[-1]
    assert today["assets"] == then["assets"] == 212
    assert (today["steward"]["met"], then["steward"]["met"]) == (212, 209)
    assert (today["dpia"]["met"], then["dpia"]["met"]) == (98, 94)
    assert today["dpia"]["of"] == then["dpia"]["of"] == 98

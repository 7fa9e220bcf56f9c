"""Owners' reviews through the service layer and the CLI, on each backend: a
review is recorded in the history, moves the next review on, and only the
owner, steward or an admin may make one; overdue lists by person and department."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from catalogue.db import utcnow
from catalogue.errors import Forbidden, Invalid, NotFound
from catalogue.governance import ReviewPolicy, add_months
from catalogue.models import ChangeLog
from catalogue.services import assets, reviews
from catalogue.services.access import Principal, operator
from catalogue.store import Catalogue
from tests.conftest import Runner

pytestmark = pytest.mark.calendar

ADMIN = operator("test-admin")
POLICY = ReviewPolicy(12, (("report", 6),))
REGISTERED = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
PRIYA = Principal("Priya Shah", "steward", "Housing", "priya.shah@example.gov.uk")
SAM = Principal("Sam Jones", "steward", "Housing", "sam.jones@example.gov.uk")
AUDITOR = Principal("Ann Auditor", "auditor", None, "ann@example.gov.uk")

RENT = {
    "key": "rent-accounts",
    "kind": "dataset",
    "title": "Rent accounts",
    "department": "Housing",
    "owner": "Priya Shah",
    "owner_email": "priya.shah@example.gov.uk",
}
ARREARS = {
    "key": "arrears-report",
    "kind": "report",
    "title": "Arrears report",
    "department": "Housing",
    "owner": "Sam Jones",
    "owner_email": "sam.jones@example.gov.uk",
    "steward": "Priya Shah",
    "steward_email": "priya.shah@example.gov.uk",
}
LIBRARY = {
    "key": "library-loans",
    "kind": "dataset",
    "title": "Library loans",
    "department": "Culture",
    "owner": "Lee Park",
    "owner_email": "lee.park@example.gov.uk",
}


@pytest.fixture
def registered(catalogue: Catalogue) -> Catalogue:
    with catalogue.write(ADMIN, now=REGISTERED) as w:
        for record in (RENT, ARREARS, LIBRARY):
            assets.register(w, record)
    return catalogue


def log_count(catalogue: Catalogue) -> int:
    with catalogue.read() as session:
        return session.scalar(select(func.count()).select_from(ChangeLog)) or 0


def test_an_owner_review_is_recorded_in_the_history_and_moves_the_next_review(
    registered: Catalogue,
) -> None:
    reviewed_at = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
    with registered.write(PRIYA, now=reviewed_at) as w:
        record = reviews.record_review(w, "rent-accounts", POLICY, "  Checked columns and owner ")
    assert record["last_reviewed"] == "2026-04-02"
    assert record["last_reviewed_by"] == "priya.shah@example.gov.uk"
    assert record["last_review_note"] == "Checked columns and owner"
    assert record["review_date"] == "2027-04-02"
    with registered.reading(ADMIN) as reader:
        history = assets.history(reader, "rent-accounts")
        stored = assets.get(reader, "rent-accounts")
    last = history[-1]
    assert (last["action"], last["actor"]) == ("asset.review", "Priya Shah")
    assert last["before"]["last_reviewed"] is None
    assert last["after"]["last_review_note"] == "Checked columns and owner"
    assert stored["version"] == 2 and stored["review_date"] == "2027-04-02"


def test_a_steward_reviews_a_report_for_its_kinds_interval(registered: Catalogue) -> None:
    with registered.write(PRIYA, now=datetime(2026, 4, 2, tzinfo=UTC)) as w:
        record = reviews.record_review(w, "arrears-report", POLICY)
    assert record["review_date"] == "2026-10-02"  # reports every 6 months
    assert record["last_review_note"] is None


@pytest.mark.parametrize(
    ("principal", "key", "error"),
    [
        (SAM, "rent-accounts", Forbidden),  # same department, but not its owner or steward
        (AUDITOR, "rent-accounts", Forbidden),
        (PRIYA, "library-loans", Forbidden),
        (PRIYA, "no-such-asset", NotFound),
    ],
)
def test_only_the_owner_steward_or_an_admin_may_review_and_nothing_is_written(
    registered: Catalogue, principal: Principal, key: str, error: type[Exception]
) -> None:
    before = log_count(registered)
    with pytest.raises(error) as raised, registered.write(principal) as w:
        reviews.record_review(w, key, POLICY, "looks fine")
    if error is Forbidden:
        assert "only its owner, its steward or an admin" in str(raised.value)
    assert log_count(registered) == before
    with registered.reading(ADMIN) as reader:
        assert all(r["last_reviewed"] is None for r in assets.list_assets(reader))


def test_a_note_too_long_is_refused_naming_the_field(registered: Catalogue) -> None:
    with pytest.raises(Invalid) as raised, registered.write(PRIYA) as w:
        reviews.record_review(w, "rent-accounts", POLICY, "x" * 2001)
    assert raised.value.problems[0].field == "note"
    assert log_count(registered) == 3


def test_overdue_reviews_by_person_and_department(registered: Catalogue) -> None:
    today = REGISTERED.date() + timedelta(days=200)  # reports (6 months) are overdue
    with registered.reading(ADMIN) as reader:
        due = reviews.due_reviews(reader, POLICY, today)
        assert [(r["key"], r["due"], r["overdue"]) for r in due] == [
            ("arrears-report", "2025-09-10", True)
        ]
        later = REGISTERED.date() + timedelta(days=400)
        assert [r["key"] for r in reviews.due_reviews(reader, POLICY, later)] == [
            "arrears-report",
            "library-loans",
            "rent-accounts",
        ]
        mine = reviews.due_reviews(reader, POLICY, later, person=PRIYA.email)
        assert [r["key"] for r in mine] == ["arrears-report", "rent-accounts"]
        culture = reviews.due_reviews(reader, POLICY, later, department="Culture")
        assert [r["key"] for r in culture] == ["library-loans"]
        soon = reviews.due_reviews(reader, POLICY, today, within_days=200)
        assert [(r["key"], r["overdue"]) for r in soon][-1] == ("rent-accounts", False)
        with pytest.raises(NotFound, match="no department called 'Cultur'.*Culture, Housing"):
            reviews.due_reviews(reader, POLICY, later, department="Cultur")


def test_a_review_takes_an_asset_off_the_overdue_list(registered: Catalogue) -> None:
    later = REGISTERED + timedelta(days=400)
    with registered.write(PRIYA, now=later) as w:
        reviews.record_review(w, "rent-accounts", POLICY)
    with registered.reading(ADMIN) as reader:
        keys = [r["key"] for r in reviews.due_reviews(reader, POLICY, later.date())]
    assert keys == ["arrears-report", "library-loans"]


# -- the CLI ---------------------------------------------------------------------


def test_cli_review_is_recorded_and_in_the_history(catalogue: Catalogue, run: Runner) -> None:
    with catalogue.write(ADMIN, now=utcnow() - timedelta(days=400)) as w:
        for record in (RENT, ARREARS, LIBRARY):
            assets.register(w, record)
    due = run("review", "due", "--format", "json")
    assert due.exit_code == 0, due.output
    assert {r["key"] for r in json.loads(due.output)} == {
        "rent-accounts",
        "arrears-report",
        "library-loans",
    }
    result = run("review", "rent-accounts", "--note", "Owner confirmed by phone")
    assert result.exit_code == 0, result.output
    next_due = add_months(utcnow().date(), 12).isoformat()
    assert f"Reviewed rent-accounts; next review due {next_due}." in result.output
    history = run("history", "rent-accounts")
    assert "asset.review" in history.output and "test-steward" in history.output
    csv_out = run("review", "due", "--department", "Housing", "--format", "csv")
    assert csv_out.output.splitlines()[0] == "key,title,department,owner,steward,due,overdue"
    assert [line.split(",")[0] for line in csv_out.output.splitlines()[1:]] == ["arrears-report"]
    text = run("review", "due", "--person", "lee.park@example.gov.uk")
    assert "library-loans" in text.output and "rent-accounts" not in text.output


def test_cli_review_names_what_is_wrong(catalogue: Catalogue, run: Runner) -> None:
    with catalogue.write(ADMIN) as w:
        assets.register(w, RENT)
    missing = run("review", "no-such-asset")
    assert missing.exit_code == 1 and "no asset with key 'no-such-asset'" in missing.output
    department = run("review", "due", "--department", "Hosuing")
    assert department.exit_code == 1
    assert "no department called 'Hosuing'; the catalogue knows: Housing" in department.output
    assert "Traceback" not in missing.output + department.output
    assert log_count(catalogue) == 1

"""The demo's past looks like a register that was kept (#18): datasets were
refreshed on their cadence, so coverage a month ago is plausible and not a
register gone stale, and owners' annual reviews are in the history."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from catalogue.governance import ReviewPolicy, add_months
from catalogue.models import ChangeLog
from catalogue.services import registers
from catalogue.services.access import Principal
from catalogue.services.demo_history import cadence_day, history_days, refresh_updates
from catalogue.store import Catalogue
from tests.conftest import demo_day, demo_today

pytestmark = pytest.mark.calendar

AUDITOR = Principal("fatima.rahman@thamesbury.gov.uk", "auditor", "Finance")


def overall(cat: Catalogue, as_of: date | None) -> dict[str, float]:
    now = datetime.combine(demo_today(), time(23, 59), tzinfo=UTC)
    with cat.reading(AUDITOR) as reader:
        row = registers.coverage(reader, ReviewPolicy(), now, as_of)[-1]
    return {name: value["percent"] for name, value in row.items() if isinstance(value, dict)}


def test_coverage_a_month_ago_is_plausible_and_differs_from_today(
    demo_catalogue: Catalogue,
) -> None:
    today = overall(demo_catalogue, None)
    month_ago = overall(demo_catalogue, add_months(demo_today(), -1))
    # Before #18 the demo's datasets took their newer last_updated only on the
    # day its file names, so a month back only 16 % of them were "not stale".
    assert today["fresh"] > 90 and month_ago["fresh"] > 90
    assert today != month_ago  # a steward and DPIAs were added since (changes.yaml)
    # Any day of the last six weeks, not only the month's points.
    for back in range(1, 43):
        assert overall(demo_catalogue, demo_today() - timedelta(days=back))["fresh"] > 90, back


def test_owners_annual_reviews_are_in_the_demo_history(demo_catalogue: Catalogue) -> None:
    reviewed_on = add_months(demo_day("2027-03-31"), -12)  # its review falls due on 31 March
    with demo_catalogue.read() as session:
        rows = session.scalars(
            select(ChangeLog)
            .where(ChangeLog.asset_key == "sys-civica-revenues")
            .where(ChangeLog.action == "asset.review")
        ).all()
    assert len(rows) == 1
    review = rows[0]
    assert review.actor == "daniel.whitlock@thamesbury.gov.uk"  # its steward
    assert review.at.date() == reviewed_on
    assert review.before["last_reviewed"] is None
    assert review.after["last_reviewed"] == reviewed_on.isoformat()
    assert review.after["review_date"] == demo_day("2027-03-31").isoformat()
    assert review.after["last_review_note"]
    # Coverage counted the review: a day before it, that asset was due.
    with demo_catalogue.reading(AUDITOR) as reader:
        due = registers.coverage(
            reader,
            ReviewPolicy(),
            datetime.combine(demo_today(), time(23, 59), tzinfo=UTC),
            reviewed_on,
            "Revenues & Benefits",
        )[0]["reviewed"]
    assert due["met"] == due["of"]  # reviewed on the day it fell due: still in date


@pytest.mark.parametrize(
    ("frequency", "newest", "on", "expected"),
    [
        ("daily", "2026-11-25", "2026-10-31", "2026-10-31"),
        ("weekly", "2026-11-25", "2026-11-20", "2026-11-18"),
        ("monthly", "2026-11-15", "2026-10-31", "2026-10-15"),
        ("quarterly", "2026-11-15", "2026-10-31", "2026-08-15"),
        ("monthly", "2026-11-15", "2026-12-01", "2026-11-15"),  # never past its newest
        ("irregular", "2026-11-15", "2026-10-31", None),
    ],
)
def test_a_cadence_gives_the_newest_refresh_on_or_before_a_day(
    frequency: str, newest: str, on: str, expected: str | None
) -> None:
    day = cadence_day(date.fromisoformat(newest), frequency, date.fromisoformat(on))
    assert (day.isoformat() if day else None) == expected


def test_refreshes_are_never_recorded_before_the_day_they_set() -> None:
    load, today = date(2025, 4, 1), date(2026, 11, 25)
    days = history_days(load, today)
    assert days[0] > load and days[-1] < today
    assert date(2026, 10, 31) in days and date(2026, 10, 25) in days  # month end, month ago
    at_load, updates = refresh_updates("weekly", date(2026, 11, 24), load, today, days)
    assert at_load <= load and (load - at_load).days < 7  # fresh when first loaded
    assert updates[-1] == (date(2026, 11, 24), date(2026, 11, 24))
    for recorded, value in updates:
        assert value <= recorded and (recorded - value).days < 7

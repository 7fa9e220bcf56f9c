"""The demo is always current (#12): loaded on any day it looks as it did on the
day its files were written, and its past is consistent, so that a trace "as of"
a date never shows a value recorded after that date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from catalogue.config import load_settings
from catalogue.models import ChangeLog
from catalogue.services import lineage, lineage_check
from catalogue.services.access import Principal
from catalogue.services.demo import FIRST_LOADED, WRITTEN_ON, _as_first_loaded, load_demo
from catalogue.store import Catalogue
from tests.conftest import demo_day, demo_today

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

AUDITOR = Principal("fatima.rahman@thamesbury.gov.uk", "auditor", "Finance")
#: The stale feeds of active reports planted in the demo (catalogue/demo/README.md).
PLANTED_STALE_FEEDS = {
    "cs-foster-carers",
    "edu-roll-projections",
    "library-visits",
    "ph-substance-misuse",
    "web-analytics",
}


@pytest.fixture
def loaded_on(make_database: Any, tmp_path: Path) -> Iterator[Any]:
    """Loads the demo into a fresh catalogue as if on the given day."""
    opened: list[Catalogue] = []

    def load(day: date) -> Catalogue:
        folder = tmp_path / f"demo-{day.isoformat()}"
        cat = Catalogue(load_settings({"instance_path": folder, "database_url": make_database()}))
        load_demo(cat, today=day)
        opened.append(cat)
        return cat

    yield load
    for cat in opened:
        cat.close()


def stale_feeds(cat: Catalogue, today: date) -> set[str]:
    with cat.reading(AUDITOR) as reader:
        return {f["key"] for f in lineage_check.check(reader, today)["stale_feeds"]}


def newest_change(cat: Catalogue) -> datetime:
    with cat.read() as session:
        newest = session.scalar(select(func.max(ChangeLog.at)))
    assert newest is not None
    return newest if newest.tzinfo else newest.replace(tzinfo=UTC)


@pytest.mark.parametrize("backend", ["sqlite"])  # dates, not storage: one backend is enough
def test_the_demo_loaded_a_year_apart_has_the_same_fresh_and_stale_split(loaded_on: Any) -> None:
    today = demo_today()
    later = today + timedelta(days=400)
    now_demo, later_demo = loaded_on(today), loaded_on(later)
    assert stale_feeds(now_demo, today) == PLANTED_STALE_FEEDS
    assert stale_feeds(later_demo, later) == PLANTED_STALE_FEEDS
    # Its history runs up to the day it is loaded, never past it.
    for cat, day in ((now_demo, today), (later_demo, later)):
        newest = newest_change(cat).date()
        assert day - timedelta(days=1) <= newest <= day
    # The weekly arrears feed is fresh on its page's day, whatever that day is.
    graph = later_demo.graph()
    assert graph.node("rent-arrears-weekly")["last_updated"] > (later - timedelta(7)).isoformat()


def test_a_trace_as_of_a_date_never_shows_a_value_recorded_after_it(
    demo_catalogue: Catalogue,
) -> None:
    reports = ["rpt-housing-arrears-dashboard", "rpt-budget-setting-council"]
    days = [demo_day(d) for d in ("2025-04-02", "2025-06-01", "2025-10-07", "2026-03-01")]
    days.append(demo_today() - timedelta(days=90))  # "as of 3 months ago"
    with demo_catalogue.reading(AUDITOR) as reader:
        for report in reports:
            for day in days:
                as_of = datetime.combine(day, time(23, 59), tzinfo=UTC)
                trace = lineage.trace(reader, report, as_of)
                assert trace.rows, (report, day)
                for row in trace.rows:
                    shown = row.get("last_updated")
                    assert shown is None or shown <= day.isoformat(), (report, day, row["key"])
    # Before the Housing switch-over the dashboard read the legacy extract.
    june = datetime.combine(demo_day("2025-06-01"), time(12), tzinfo=UTC)
    with demo_catalogue.reading(AUDITOR) as reader:
        then = lineage.trace(reader, "rpt-housing-arrears-dashboard", june)
    assert "rent-arrears-legacy-extract" in {r["key"] for r in then.rows}


# -- the loader's moving of dates, on generated registers ------------------------------------
DAYS_BEFORE_WRITTEN = (WRITTEN_ON - date(2023, 1, 1)).days

records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "written_age": st.integers(min_value=0, max_value=DAYS_BEFORE_WRITTEN),
            "status": st.sampled_from(["active", "active", "retired"]),
            "retired_later": st.booleans(),
        }
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(records=records_strategy, shift=st.integers(min_value=-2000, max_value=4000))
def test_moved_dates_keep_the_past_consistent(records: list[dict[str, Any]], shift: int) -> None:
    offset = timedelta(days=shift)
    register = [
        {
            "key": f"asset-{i}",
            "status": r["status"],
            "last_updated": (WRITTEN_ON - timedelta(days=r["written_age"])).isoformat(),
            "review_date": WRITTEN_ON.isoformat(),
        }
        for i, r in enumerate(records)
    ]
    changes = [
        {"at": "2026-01-01T00:00:00Z", "retire": {"key": f"asset-{i}"}}
        for i, r in enumerate(records)
        if r["retired_later"] and r["status"] == "active"
    ]
    loaded, refreshes = _as_first_loaded(register, changes, offset)
    load_day = (FIRST_LOADED + offset).date()
    today = WRITTEN_ON + offset
    by_key = {r["key"]: r for r in loaded}
    for record in loaded:
        # Nothing loaded at the first load is newer than the load itself.
        assert date.fromisoformat(record["last_updated"]) <= load_day
        assert record["review_date"] == today.isoformat()
    retired = {c["retire"]["key"] for c in changes} | {
        r["key"] for r in register if r["status"] == "retired"
    }
    for refresh in refreshes:
        key, value = refresh["update"]["key"], refresh["update"]["fields"]["last_updated"]
        assert key not in retired  # nothing updates a retired asset
        # Each newer value is recorded on the day it names or later (a refresh on
        # its cadence, #18), never before it, never after today.
        assert value <= refresh["at"].date().isoformat() and load_day < refresh["at"].date()
        assert refresh["at"].date() <= today
        by_key[key] = {**by_key[key], "last_updated": value}
    # After the history, every active asset is exactly as old as in the files.
    for source in register:
        if source["key"] not in retired:
            age = WRITTEN_ON - date.fromisoformat(source["last_updated"])
            assert date.fromisoformat(by_key[source["key"]]["last_updated"]) == today - age

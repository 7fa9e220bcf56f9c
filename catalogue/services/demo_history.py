"""The demo's past between its first load and the day it is loaded: datasets
refreshed on their declared cadence, and owners' annual reviews (#18).

Pure: records in, timestamped operations out. Each operation is recorded no
earlier than the value it sets (a ``last_updated`` of day D is recorded on D or
later), so a trace or coverage "as of" a date never shows a value recorded
after it.

A daily dataset refreshed every day of a year and a half would be tens of
thousands of changes; instead the history records each dataset's refreshes on
*history days* (every month end, which are the points of the coverage trend,
the same day of each past month as the load day, and every other day of the
last six weeks, so "a month ago" looks as it did), each moving ``last_updated``
to the newest day its cadence had reached. The loader writes one transaction
per history day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from catalogue.coverage import month_ends
from catalogue.governance import ReviewPolicy, add_months

#: How often each declared frequency refreshes a dataset: (days, months).
CADENCE: dict[str, tuple[int, int]] = {
    "continuous": (1, 0),
    "daily": (1, 0),
    "weekly": (7, 0),
    "fortnightly": (14, 0),
    "monthly": (0, 1),
    "bimonthly": (0, 2),
    "quarterly": (0, 3),
    "biannual": (0, 6),
    "annual": (0, 12),
    "biennial": (0, 24),
}
#: A review is recorded in the morning of the day it fell due; on the load day
#: itself at its start, so that a demo loaded at any hour has no change in the future.
REVIEWED_AT = time(9, 30, tzinfo=UTC)
START_OF_DAY = time(0, 0, tzinfo=UTC)
REVIEW_NOTES = (
    "Annual review: description, owner and handling checked; no changes needed.",
    "Annual review with the steward: retention and lawful basis still right.",
    "Reviewed at the year-end round; columns and sharing checked against the system.",
)


#: The recent past is kept in detail: every other day of these last weeks has its
#: refreshes (a daily dataset is stale after three days), so the register looks
#: as it did on any day of the last six weeks, not only on the month's points.
RECENT_DAYS = 42


def history_days(first_day: date, today: date) -> list[date]:
    """The days after ``first_day`` and before ``today`` on which the demo's
    history records refreshes: each month end, today's day of each past month,
    and every other day of the last ``RECENT_DAYS``."""
    months = (today.year - first_day.year) * 12 + today.month - first_day.month + 1
    same_day = (add_months(today, -back) for back in range(1, months + 1))
    recent = (today - timedelta(days=back) for back in range(2, RECENT_DAYS + 1, 2))
    days = set(month_ends(today, months)[:-1]) | set(same_day) | set(recent)
    return sorted(d for d in days if first_day < d < today)


def cadence_day(newest: date, frequency: str | None, on: date) -> date | None:
    """The newest day, on or before ``on``, that a dataset refreshed on
    ``frequency`` and last refreshed on ``newest`` was refreshed; None when the
    frequency has no cadence (irregular, never, none)."""
    if frequency not in CADENCE:
        return None
    if on >= newest:
        return newest
    days, months = CADENCE[frequency]
    if days:
        steps = -(-(newest - on).days // days)  # ceiling: the first step at or before ``on``
        return newest - timedelta(days=steps * days)
    back = 1
    while add_months(newest, -back * months) > on:
        back += 1
    return add_months(newest, -back * months)


def refresh_updates(
    frequency: str | None, newest: date, load_day: date, today: date, days: Iterable[date]
) -> tuple[date, list[tuple[date, date]]]:
    """A dataset's ``last_updated`` at the first load and its later refreshes as
    ``(recorded on, value)``, oldest first, ending with ``newest`` recorded on
    its own day. ``newest`` must be after ``load_day``.

    Without a cadence the dataset is, at the load, as old as it is ``today``."""
    at_load = cadence_day(newest, frequency, load_day)
    if at_load is None:
        return newest - (today - load_day), [(newest, newest)]
    updates, current = [], at_load
    for day in days:
        if load_day < day < newest:
            value = cadence_day(newest, frequency, day)
            if value is not None and value != current:
                updates.append((day, value))
                current = value
    updates.append((newest, newest))
    return at_load, updates


def refresh_change(key: str, on: date, value: date, actor: str) -> dict[str, Any]:
    """An update of ``key``'s ``last_updated`` to ``value``, recorded at the start of ``on``."""
    return {
        "at": datetime.combine(on, START_OF_DAY),
        "actor": actor,
        "update": {"key": key, "fields": {"last_updated": value.isoformat()}},
    }


def batched(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Refreshes recorded at the same moment, as one ``refresh`` operation each
    (one transaction); other changes as they are. Oldest first."""
    by_moment: dict[datetime, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for change in changes:
        if set(change) == {"at", "actor", "update"} and set(change["update"]["fields"]) == {
            "last_updated"
        }:
            batch = by_moment.get(change["at"])
            if batch is None:
                batch = by_moment[change["at"]] = {**change, "update": None, "refresh": []}
                del batch["update"]
                out.append(batch)
            batch["refresh"].append(change["update"])
        else:
            out.append(change)
    return sorted(out, key=lambda c: c["at"])


def reviews_in_history(
    records: list[dict[str, Any]],
    inactive: set[str],
    load_day: date,
    today: date,
    policy: ReviewPolicy | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records as first loaded and the owners' reviews since.

    An active asset whose review falls due on ``review_date`` was last reviewed
    one interval before; when that day is after the first load (and not after
    today) the record is loaded due on that day, and a review by its steward
    (or owner) on that day moves it on to ``review_date``. Assets past their
    review, and those retired, are not reviewed."""
    policy = policy or ReviewPolicy()
    loaded, reviews = [], []
    for number, record in enumerate(records):
        due = record.get("review_date")
        reviewer = record.get("steward_email") or record.get("owner_email")
        if not due or not reviewer or record["key"] in inactive:
            loaded.append(record)
            continue
        reviewed = add_months(date.fromisoformat(str(due)), -policy.months_for(record.get("kind")))
        if not load_day < reviewed <= today:
            loaded.append(record)
            continue
        loaded.append({**record, "review_date": reviewed.isoformat()})
        moment = REVIEWED_AT if reviewed < today else START_OF_DAY
        reviews.append(
            {
                "at": datetime.combine(reviewed, moment),
                "actor": reviewer,
                "review": {"key": record["key"], "note": REVIEW_NOTES[number % len(REVIEW_NOTES)]},
            }
        )
    return loaded, reviews


def inactive_keys(
    records: Iterable[Mapping[str, Any]], changes: Iterable[Mapping[str, Any]]
) -> set[str]:
    """Assets retired in the files or later in the history: nothing updates them."""
    retired = {r["key"] for r in records if r.get("status", "active") != "active"}
    return retired | {c["retire"]["key"] for c in changes if "retire" in c}

"""Owners' reviews: an Information Asset Owner (or the steward) confirms that an
asset's record is still correct, and the catalogue says whose reviews are due.

A review is a change like any other: it moves the asset's review date on by its
kind's interval, records who reviewed it, when and why, and appends
``asset.review`` to the change log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import Forbidden, Invalid, NotFound, Problem
from catalogue.governance import ReviewPolicy, add_months
from catalogue.models import Department
from catalogue.services.access import Principal, require_read
from catalogue.services.assets import get_asset, list_assets
from catalogue.services.changes import Writer
from catalogue.services.context import Reader
from catalogue.services.record_types import AssetRecord, DueReview
from catalogue.services.records import asset_record

NOTE_MAX = 2000


def may_review(principal: Principal, record: Mapping[str, Any]) -> bool:
    """The asset's owner or steward, or an admin (who may act for them)."""
    return principal.role == "admin" or (principal.signed_in and principal.is_person_of(record))


def record_review(
    writer: Writer, key: str, policy: ReviewPolicy, note: str | None = None
) -> AssetRecord:
    """Record that ``writer.principal`` confirmed asset ``key`` is still correct.

    The next review falls one interval (its kind's, in months) after today.
    Raises NotFound (no such asset, or one the caller may not see), Forbidden
    (not its owner, steward or an admin) or Invalid (a note over 2,000
    characters); nothing is written then.
    """
    asset = get_asset(writer.session, key)
    before = asset_record(asset)
    require_read(writer.principal, before, key)
    if not may_review(writer.principal, before):
        raise Forbidden(
            f"you may not review {key!r}: only its owner, its steward or an admin may "
            "confirm it is still correct"
        )
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise Invalid(
            "the review is not valid",
            [Problem(f"must be at most {NOTE_MAX} characters", field="note", key=key)],
        )
    today = writer.now.date()
    asset.last_reviewed = today
    asset.last_reviewed_by = writer.principal.email or writer.principal.name
    asset.last_review_note = note
    asset.review_date = add_months(today, policy.months_for(asset.kind))
    asset.updated_at = writer.now
    after: AssetRecord = {**asset_record(asset), "version": before["version"] + 1}
    writer.log("asset.review", key, before, after)
    return after


def department_names(session: Session) -> list[str]:
    return list(session.scalars(select(Department.name).order_by(Department.name)))


def check_department(session: Session, department: str | None) -> None:
    """NotFound naming the known departments when ``department`` is not one."""
    if department is None:
        return
    names = department_names(session)
    if department not in names:
        raise NotFound(
            f"no department called {department!r}; the catalogue knows: " + ", ".join(names)
        )


def due_reviews(
    reader: Reader,
    policy: ReviewPolicy,
    today: date,
    *,
    department: str | None = None,
    person: str | None = None,
    within_days: int = 0,
) -> list[DueReview]:
    """Active assets the caller may see whose review is due on or before
    ``today + within_days``, soonest first. ``person`` (an email or name) keeps
    the assets they own or steward. Each row is the asset's record plus ``due``
    (ISO date) and ``overdue`` (True when the due day is before ``today``).

    Raises NotFound for a department the catalogue does not know.
    """
    session = reader.session
    check_department(session, department)
    horizon = date.fromordinal(today.toordinal() + within_days)
    rows: list[DueReview] = []
    for record in list_assets(reader, department=department):
        if person and not Principal(person, email=person).is_person_of(record):
            continue
        due = policy.next_review(record)
        if due is None or due > horizon:
            continue
        rows.append({**record, "due": due.isoformat(), "overdue": due < today})
    return sorted(rows, key=lambda r: (r["due"], r["title"].lower()))

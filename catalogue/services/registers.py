"""What the Senior Information Risk Owner must be able to produce: the
Information Asset Register and the Article 30 record of processing, from the
assets as they are now, and the register's coverage now or on a past date.

Only auditors and admins may produce a register: it lists restricted assets
across every department.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import select

from catalogue.coverage import coverage as governance_coverage
from catalogue.coverage import coverage_trend, latest_records, month_ends
from catalogue.errors import Forbidden, Invalid, Problem
from catalogue.governance import (
    ROPA_COLUMNS,
    Controller,
    ReviewPolicy,
    iar_columns,
    processing_activities,
    register_rows,
    ropa_rows,
)
from catalogue.models import ChangeLog
from catalogue.services.access import Principal
from catalogue.services.assets import list_assets
from catalogue.services.context import Reader
from catalogue.services.reviews import check_department


@dataclass(frozen=True)
class Register:
    """A register's title, its column headings and its rows (heading → text)."""

    title: str
    headings: list[str]
    rows: list[dict[str, str]]


def require_governance(principal: Principal) -> None:
    """Forbidden unless an auditor or admin: the registers span every department."""
    if not principal.sees_everything:
        raise Forbidden(
            "only auditors and admins may produce the council's registers: "
            "they list restricted assets of every department"
        )


def information_asset_register(
    reader: Reader, policy: ReviewPolicy, department: str | None = None
) -> Register:
    """One row per active information asset (datasets, reports and source
    systems; pipelines move data but hold none), by department then title.

    Raises Forbidden (not an auditor or admin) or NotFound (unknown department).
    """
    session, principal = reader.session, reader.principal
    require_governance(principal)
    check_department(session, department)
    records = [r for r in list_assets(reader, department=department) if r["kind"] != "pipeline"]
    records.sort(key=lambda r: ((r["department"] or "").lower(), r["title"].lower()))
    columns = iar_columns(policy)
    return Register(
        title="Information Asset Register",
        headings=[c.heading for c in columns],
        rows=register_rows(records, columns),
    )


def record_of_processing(
    reader: Reader, controller: Controller, department: str | None = None
) -> tuple[list[dict[str, Any]], Register]:
    """The Article 30 record of processing activities: the groups (by purpose,
    with lists) and the same as a register of one row per purpose.

    Raises Forbidden (not an auditor or admin) or NotFound (unknown department).
    """
    session, principal = reader.session, reader.principal
    require_governance(principal)
    check_department(session, department)
    records = list_assets(reader, department=department)
    groups = processing_activities(records, controller)
    register = Register(
        title="Record of processing activities",
        headings=[heading for heading, _key, _point in ROPA_COLUMNS],
        rows=ropa_rows(groups),
    )
    return groups, register


def coverage(
    reader: Reader,
    policy: ReviewPolicy,
    now: datetime,
    as_of: date | None = None,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """How complete the register is at the end of ``as_of`` (UTC), or at ``now``,
    replayed from the change log so a past date shows the register as it stood.

    Raises Forbidden (not an auditor or admin), NotFound (unknown department)
    or Invalid (``as_of`` after today).
    """
    session, principal = reader.session, reader.principal
    require_governance(principal)
    check_department(session, department)
    if as_of is not None and as_of > now.date():
        raise Invalid(
            "the date is in the future",
            [Problem(f"{as_of.isoformat()} is after today ({now.date().isoformat()})", "as_of")],
        )
    cutoff = now if as_of is None else datetime.combine(as_of, time.max, tzinfo=UTC)
    rows = session.execute(
        select(ChangeLog.asset_key, ChangeLog.after)
        .where(ChangeLog.at <= cutoff, ChangeLog.action.like("asset.%"))
        .order_by(ChangeLog.seq)
    )
    typed = cast("Iterable[tuple[str, dict[str, Any] | None]]", rows)
    records = latest_records([(key, after) for key, after in typed])
    day = as_of or now.date()
    if department is None:
        return governance_coverage(records, day, policy)
    # The overall row of one department's assets is that department's row, and
    # it is there (with noughts) even on a day the department held nothing.
    mine = [r for r in records if r.get("department") == department]
    return [{**governance_coverage(mine, day, policy)[-1], "department": department}]


def coverage_over_time(reader: Reader, policy: ReviewPolicy, now: datetime) -> list[dict[str, Any]]:
    """The overall coverage at the end of each of the last 12 months and today,
    from one read of the change log. Raises Forbidden (not an auditor or admin)."""
    session, principal = reader.session, reader.principal
    require_governance(principal)
    rows = session.execute(
        select(ChangeLog.at, ChangeLog.asset_key, ChangeLog.after)
        .where(ChangeLog.at <= now, ChangeLog.action.like("asset.%"))
        .order_by(ChangeLog.seq)
    )
    typed = cast("Iterable[tuple[datetime, str, dict[str, Any] | None]]", rows)
    changes = [(at.astimezone(UTC).date(), key, after) for at, key, after in typed]
    return coverage_trend(changes, month_ends(now.date()), policy)

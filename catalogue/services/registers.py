"""The registers the Senior Information Risk Owner must be able to produce:
the Information Asset Register, from the assets as they are now.

Only auditors and admins may produce a register: it lists restricted assets
across every department.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from catalogue.errors import Forbidden
from catalogue.governance import (
    ROPA_COLUMNS,
    Controller,
    ReviewPolicy,
    iar_columns,
    processing_activities,
    register_rows,
    ropa_rows,
)
from catalogue.services.access import Principal
from catalogue.services.assets import list_assets
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
    session: Session, principal: Principal, policy: ReviewPolicy, department: str | None = None
) -> Register:
    """One row per active information asset (datasets, reports and source
    systems; pipelines move data but hold none), by department then title.

    Raises Forbidden (not an auditor or admin) or NotFound (unknown department).
    """
    require_governance(principal)
    check_department(session, department)
    records = [
        r for r in list_assets(session, principal, department=department) if r["kind"] != "pipeline"
    ]
    records.sort(key=lambda r: ((r["department"] or "").lower(), r["title"].lower()))
    columns = iar_columns(policy)
    return Register(
        title="Information Asset Register",
        headings=[c.heading for c in columns],
        rows=register_rows(records, columns),
    )


def record_of_processing(
    session: Session, principal: Principal, controller: Controller, department: str | None = None
) -> tuple[list[dict[str, Any]], Register]:
    """The Article 30 record of processing activities: the groups (by purpose,
    with lists) and the same as a register of one row per purpose.

    Raises Forbidden (not an auditor or admin) or NotFound (unknown department).
    """
    require_governance(principal)
    check_department(session, department)
    records = list_assets(session, principal, department=department)
    groups = processing_activities(records, controller)
    register = Register(
        title="Record of processing activities",
        headings=[heading for heading, _key, _point in ROPA_COLUMNS],
        rows=ropa_rows(groups),
    )
    return groups, register

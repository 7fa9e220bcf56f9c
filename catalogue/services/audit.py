"""The auditors' trail: every change to the catalogue (``change_log``) and every
sign-in, failed sign-in, token and account change (``auth_events``), in time order.

Both tables are append-only through the application: no service updates or
deletes their rows, and the guard registered with the models
(``catalogue.models.AppendOnly``) refuses any ORM or Core UPDATE/DELETE of them,
whoever tries. Only auditors and admins may read the trail: it names assets of
every department.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from catalogue.errors import Forbidden, Invalid, Problem
from catalogue.models import AuthEvent, ChangeLog
from catalogue.services.accounts import find_user
from catalogue.services.context import Reader
from catalogue.services.record_types import AuditEntry

AUDIT_COLUMNS = ("time", "source", "seq", "actor", "action", "asset", "detail", "remote_addr")
BOOKKEEPING = {"version", "created_at", "updated_at"}


def parse_moment(value: str | None, field: str, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time (UTC unless it says otherwise); None if empty.

    A bare date means the start of that day, or its end with ``end_of_day``, so
    ``--since 2025-05-01 --until 2025-05-31`` covers all of May. Raises Invalid.
    """
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time.max if end_of_day else time.min, UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            f"{field} {value!r} is not a date",
            [Problem("use an ISO 8601 date (2025-10-01) or date-time (2025-10-01T09:30Z)", field)],
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def describe_change(row: ChangeLog) -> str:
    """One line saying what a change did, e.g. "changed owner, title"."""
    before, after = row.before or {}, row.after or {}
    if row.action.startswith("access."):
        return describe_access_step(row.action, after)
    if row.action.startswith("edge."):
        edge = after or before
        verb = "now feeds" if row.action == "edge.add" else "no longer feeds"
        via = f" via {edge['via']}" if edge.get("via") else ""
        return f"{edge.get('upstream')} {verb} {edge.get('downstream')}{via}"
    if not before and row.action == "glossary.create":
        return f"added the glossary term {after.get('name')!r}"
    if not before:
        return f"registered {after.get('kind')} {after.get('title')!r}"
    names = sorted(k for k in after if k not in BOOKKEEPING and before.get(k) != after.get(k))
    return "changed " + ", ".join(names) if names else "no field changed"


def describe_access_step(action: str, after: dict[str, Any]) -> str:
    """An access request's step (#17), e.g. "asked for access until 2027-01-31: …"."""
    if action == "access.request":
        return f"asked for access until {after.get('until')}: {after.get('reason')}"
    verb = "approved" if action == "access.approve" else "declined"
    return (
        f"{verb} {after.get('requester')}'s access request {after.get('request')} "
        f"(until {after.get('until')}): {after.get('decision_reason')}"
    )


def _actor_names(session: Session, actor: str) -> set[str]:
    """The names one person appears under: their username (auth events) and
    email (changes), when ``actor`` is an account; else just ``actor``."""
    names = {actor.strip().lower()}
    user = find_user(session, actor)
    if user is not None:
        names |= {user.username, *([user.email] if user.email else [])}
    return names


def _window(query: Select, column: Any, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column <= until)
    return query


def _change_entries(
    session: Session,
    since: datetime | None,
    until: datetime | None,
    names: set[str] | None,
    asset: str | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    query = _window(select(ChangeLog), ChangeLog.at, since, until)
    if names:
        query = query.where(func.lower(ChangeLog.actor).in_(names))
    if asset:
        query = query.where(ChangeLog.asset_key == asset)
    query = query.order_by(ChangeLog.seq.desc()).limit(limit)
    return [
        {
            "at": row.at,
            "source": "change",
            "seq": row.seq,
            "actor": row.actor,
            "action": row.action,
            "asset": row.asset_key,
            "detail": describe_change(row),
            "remote_addr": None,
            "before": row.before,
            "after": row.after,
        }
        for row in session.scalars(query)
    ]


def _auth_entries(
    session: Session,
    since: datetime | None,
    until: datetime | None,
    names: set[str] | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    query = _window(select(AuthEvent), AuthEvent.at, since, until)
    if names:
        by = [AuthEvent.detail.startswith(f"by {name}:", autoescape=True) for name in names]
        query = query.where(or_(func.lower(AuthEvent.username).in_(names), *by))
    query = query.order_by(AuthEvent.at.desc(), AuthEvent.id.desc()).limit(limit)
    return [
        {
            "at": row.at,
            "source": "auth",
            "seq": None,
            "actor": row.username,
            "action": f"auth.{row.kind}",
            "asset": None,
            "detail": row.detail,
            "remote_addr": row.remote_addr,
            "before": None,
            "after": None,
        }
        for row in session.scalars(query)
    ]


def audit_entries(
    reader: Reader,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
    asset: str | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Changes and auth events between ``since`` and ``until`` (inclusive), oldest
    first; with ``limit``, the newest ``limit`` of them.

    ``actor`` matches who acted (a change's actor; an auth event's account, or
    the admin who acted on it), by username or email. ``asset`` keeps only the
    changes to that asset. Each entry has AUDIT_COLUMNS (``time`` ISO 8601 UTC)
    plus ``before``/``after`` snapshots for changes. Raises Forbidden unless the
    principal is an auditor or admin, Invalid for a limit below 1.
    """
    session, principal = reader.session, reader.principal
    if not principal.sees_everything:
        raise Forbidden("the audit trail is for auditors and admins")
    if limit is not None and limit < 1:
        raise Invalid("limit must be 1 or more", [Problem("must be 1 or more", "limit")])
    names = _actor_names(session, actor) if actor else None
    entries = _change_entries(session, since, until, names, asset, limit)
    if not asset:
        entries += _auth_entries(session, since, until, names, limit)
    entries.sort(key=lambda e: (e["at"], e["source"] == "change", e["seq"] or 0))
    if limit is not None:
        entries = entries[-limit:]
    return [_entry(e) for e in entries]


def _entry(found: dict[str, Any]) -> AuditEntry:
    """An entry as the trail shows it: its time in ISO 8601 UTC, first."""
    return {
        "time": found["at"].astimezone(UTC).isoformat(),
        "source": found["source"],
        "seq": found["seq"],
        "actor": found["actor"],
        "action": found["action"],
        "asset": found["asset"],
        "detail": found["detail"],
        "remote_addr": found["remote_addr"],
        "before": found["before"],
        "after": found["after"],
    }

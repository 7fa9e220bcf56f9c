"""Watching (#19): a person watches an asset, a department, or a report with
everything upstream of it, and hears of what changes there.

Owners and stewards watch their own assets without asking; removing that watch
keeps a ``muted`` row, so the opt-out lasts. A person may watch only what they
may see: an asset they may not see is "not found", as everywhere else.
Watches belong to accounts (``users``): a watch is a person's, not an actor name's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased

from catalogue.db import utcnow
from catalogue.errors import Invalid, NotFound, Problem
from catalogue.models import Asset, Department, Person, User
from catalogue.notify_models import NotifyCursor, NotifyPreference, Watch
from catalogue.services.access import Principal, require_read
from catalogue.services.accounts import find_user, principal_for
from catalogue.services.assets import department_names, get_asset
from catalogue.services.changes import latest_seq
from catalogue.services.record_types import WatchRecord
from catalogue.services.records import asset_record

TARGET_KINDS = ("asset", "department")
EMAIL_MODES = ("immediate", "daily", "off")


@dataclass(frozen=True)
class Target:
    """What a watch names: an asset key or a department name."""

    kind: str
    name: str


def account_of(session: Session, principal: Principal) -> User:
    """The account of whoever is acting (by e-mail, else name). Raises NotFound
    saying that watches belong to accounts when there is none."""
    for name in (principal.email, principal.name):
        user = find_user(session, name) if name else None
        if user is not None:
            return user
    raise NotFound(
        f"no account for {principal.name!r}: watches belong to accounts "
        "(an admin adds one with `catalogue user add`)"
    )


def _check_target(session: Session, user: User, target: Target) -> None:
    """NotFound for an asset the person may not see or a department nobody uses."""
    if target.kind not in TARGET_KINDS:
        raise Invalid(
            f"cannot watch a {target.kind!r}",
            [Problem(f"must be one of {', '.join(TARGET_KINDS)}", "kind")],
        )
    if target.kind == "asset":
        record = asset_record(get_asset(session, target.name))
        require_read(principal_for(user), record, target.name)
    elif target.name not in department_names(session):
        known = ", ".join(sorted(department_names(session))) or "none yet"
        raise NotFound(f"no department {target.name!r} (departments: {known})")


def start_listening(session: Session) -> None:
    """The first time anyone listens, the worker starts from the newest change:
    what happened before anyone watched is not news."""
    session.execute(
        update(NotifyCursor)
        .where(NotifyCursor.id == 1, NotifyCursor.seq.is_(None))
        .values(seq=latest_seq(session))
    )


def _row(session: Session, user: User, target: Target) -> Watch | None:
    return session.scalar(
        select(Watch).where(
            Watch.user_id == user.id, Watch.target_kind == target.kind, Watch.target == target.name
        )
    )


def owns(session: Session, user: User, key: str) -> bool:
    """Whether the person is the asset's owner or steward (by e-mail): one
    indexed read of the asset (asked on every asset page a person opens)."""
    if not user.email:
        return False
    owner, steward = aliased(Person), aliased(Person)
    row = session.execute(
        select(owner.email, steward.email)
        .select_from(Asset)
        .outerjoin(owner, Asset.owner_id == owner.id)
        .outerjoin(steward, Asset.steward_id == steward.id)
        .where(Asset.key == key, Asset.status == "active")
    ).first()
    return row is not None and user.email.lower() in {(e or "").lower() for e in row}


def own_assets(session: Session, user: User) -> dict[str, str]:
    """The keys of the assets the person owns or stewards, with which they are."""
    if not user.email:
        return {}
    owner, steward = aliased(Person), aliased(Person)
    email = user.email.lower()
    rows = session.execute(
        select(Asset.key, func.lower(owner.email), func.lower(steward.email))
        .outerjoin(owner, Asset.owner_id == owner.id)
        .outerjoin(steward, Asset.steward_id == steward.id)
        .where(or_(func.lower(owner.email) == email, func.lower(steward.email) == email))
        .where(Asset.status == "active")
    )
    typed = cast("Iterable[tuple[str, str, str]]", rows)
    return {key: "owner" if o == email else "steward" for key, o, _s in typed}


def add_watch(
    session: Session,
    user: User,
    target: Target,
    upstream: bool = False,
    now: datetime | None = None,
) -> WatchRecord:
    """Watch ``target`` (again: a muted own-asset watch is unmuted). Raises
    NotFound for what the person may not see, Invalid for a bad target kind."""
    _check_target(session, user, target)
    if upstream and target.kind != "asset":
        raise Invalid(
            "only an asset (usually a report) can be watched with its upstream",
            [Problem("leave out upstream for a department", "upstream")],
        )
    row = _row(session, user, target)
    if row is None:
        row = Watch(user_id=user.id, target_kind=target.kind, target=target.name)
        row.created_at = now or utcnow()
        session.add(row)
    row.upstream, row.muted = upstream, False
    start_listening(session)
    session.flush()
    return watch_record(row)


def remove_watch(session: Session, user: User, target: Target) -> str:
    """Stop watching. An owner's or steward's own asset keeps a muted row (their
    opt-out). Raises NotFound when the person does not watch it."""
    row = _row(session, user, target)
    own = target.kind == "asset" and owns(session, user, target.name)
    if row is None and not own or row is not None and row.muted:
        raise NotFound(f"you do not watch {target.kind} {target.name!r}")
    if own:
        if row is None:
            row = Watch(user_id=user.id, target_kind=target.kind, target=target.name)
            row.created_at = utcnow()
            session.add(row)
        row.muted, row.upstream = True, False
        return "muted"
    session.delete(row)
    return "removed"


def watch_record(row: Watch, source: str = "chosen") -> WatchRecord:
    return {
        "kind": row.target_kind,
        "target": row.target,
        "upstream": bool(row.upstream),
        "source": source,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }


def list_watches(session: Session, user: User) -> list[WatchRecord]:
    """What the person watches: their own choices, then the assets they own or
    steward (unless they opted out), sorted by kind and name."""
    rows = list(session.scalars(select(Watch).where(Watch.user_id == user.id)))
    chosen = [watch_record(r) for r in rows if not r.muted]
    muted = {r.target for r in rows if r.muted and r.target_kind == "asset"}
    have = {(w["kind"], w["target"]) for w in chosen}
    own: list[WatchRecord] = [
        {"kind": "asset", "target": key, "upstream": False, "source": role, "created_at": None}
        for key, role in own_assets(session, user).items()
        if key not in muted and ("asset", key) not in have
    ]
    return sorted(chosen + own, key=lambda w: (w["kind"], w["target"]))


def is_watching(session: Session, user: User, target: Target) -> bool:
    row = _row(session, user, target)
    if row is not None:
        return not row.muted
    return target.kind == "asset" and owns(session, user, target.name)


def set_email_mode(session: Session, user: User, mode: str) -> None:
    """immediate, daily or off; Invalid naming the allowed values otherwise."""
    if mode not in EMAIL_MODES:
        raise Invalid(
            f"e-mail must be one of {', '.join(EMAIL_MODES)}",
            [Problem(f"got {mode!r}", "email")],
        )
    row = session.get(NotifyPreference, user.id)
    if row is None:
        session.add(NotifyPreference(user_id=user.id, email=mode))
    else:
        row.email = mode


def email_mode(session: Session, user: User) -> str:
    row = session.get(NotifyPreference, user.id)
    return row.email if row else "immediate"


def department_exists(session: Session, name: str) -> bool:
    return session.scalar(select(Department.id).where(Department.name == name)) is not None

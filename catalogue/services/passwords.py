"""Changing a local account's password (#13): by its owner, who must give the
current one, or by an admin. Either way the account's signed-in sessions end at
once (a browser that had the old password is signed out), and the change is an
audit line (``password_changed``).

Giving the current password is a sign-in attempt: a wrong one is counted with
failed sign-ins and the same throttling applies (see ``authentication.lockout_remaining``),
so the page cannot be used to guess a password the sign-in form would refuse.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.errors import Invalid, Problem
from catalogue.models import User
from catalogue.services import accounts, authentication
from catalogue.services.access import Principal
from catalogue.services.record_types import UserRecord

WRONG_CURRENT = "is not correct"


def _new_password_problems(user: User, new: str, field: str) -> list[Problem]:
    return [Problem(p.message, field) for p in accounts.password_problems(new, user.username)]


def _set_password(
    session: Session,
    user: User,
    new: str,
    by: str,
    remote_addr: str | None,
    now: datetime,
) -> None:
    user.password_hash = accounts._hasher.hash(new)
    accounts.record_event(session, "password_changed", user.username, by, remote_addr, now)
    accounts.end_user_sessions(session, user.id, "password changed", now)
    session.flush()


def change_own_password(
    session: Session,
    principal: Principal,
    current: str,
    new: str,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> None:
    """The signed-in ``principal`` changes their password; every session of the
    account ends (the caller starts a fresh one for the browser that asked).

    Raises TooManyAttempts while sign-ins are throttled (the current password
    is then not checked), Invalid naming ``current_password`` when it is wrong
    (recorded, and committed, as a failed sign-in) or ``new_password`` when the
    new one cannot be used. Nothing changes unless all is well.
    """
    now = now or utcnow()
    user = accounts.get_user(session, principal.email or principal.name)
    authentication._hold_account(session, user.username)
    wait = authentication.lockout_remaining(session, user.username, now, remote_addr)
    if wait is not None:
        detail = "changing password: current password not checked"
        accounts.record_event(session, "sign_in_locked", user.username, detail, remote_addr, now)
        session.commit()
        raise authentication.too_many_attempts(wait)
    if not authentication._verify(user, current):
        detail = "changing password: wrong current password"
        accounts.record_event(session, "sign_in_failed", user.username, detail, remote_addr, now)
        session.commit()
        raise Invalid("the current password is wrong", [Problem(WRONG_CURRENT, "current_password")])
    problems = _new_password_problems(user, new, "new_password")
    if new == current:
        problems.append(Problem("must not be your current password", "new_password"))
    if problems:
        raise Invalid("that password cannot be used", problems)
    _set_password(session, user, new, "by themselves", remote_addr, now)


def set_password(
    session: Session, actor: Principal, username: str, new: str, now: datetime | None = None
) -> UserRecord:
    """An admin sets ``username``'s password (a forgotten one): every session
    of the account ends. Raises Forbidden, NotFound or Invalid (``password``)."""
    accounts.require_admin(actor, "set passwords")
    user = accounts.get_user(session, username)
    problems = _new_password_problems(user, new, "password")
    if problems:
        raise Invalid(f"cannot set the password of {user.username!r}", problems)
    _set_password(session, user, new, f"by {actor.name}", None, now or utcnow())
    return accounts.user_record(user)

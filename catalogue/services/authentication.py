"""Who a request is: signing in with a password, or an API token.

Failed sign-ins are counted in the database (``auth_events``), so the rate
limit holds across worker processes and hosts. The ``authenticate_*``
functions commit themselves: a refused sign-in must leave its trace even
though they raise.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.errors import CatalogueError, Unauthorized
from catalogue.models import ApiToken, AuthEvent, User
from catalogue.services import accounts
from catalogue.services.access import Principal
from catalogue.services.accounts import find_user, principal_for, record_event, token_digest

#: Failed sign-ins within FAILURE_WINDOW that lock an account: MAX_FAILURES from
#: one network address lock it for that address only, so whoever guesses cannot
#: lock its owner out from elsewhere; ACCOUNT_MAX_FAILURES from anywhere lock it
#: everywhere (guessing spread over many addresses). ADDRESS_MAX_FAILURES from one
#: address, whatever the usernames, stop that address (password spraying).
MAX_FAILURES = 5
ACCOUNT_MAX_FAILURES = 50
ADDRESS_MAX_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)
# last_used_at is written at most this often per token: an API client making
# many calls a second should not turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
WRONG_PASSWORD = "wrong username or password"


class TooManyAttempts(CatalogueError):
    status = 429
    title = "Too many failed sign-ins"


@cache
def _dummy_hash() -> str:
    return accounts._hasher.hash(secrets.token_hex(16))


def _failure_times(session: Session, limit: int, since: datetime, *where: Any) -> list[datetime]:
    """The newest `limit` failed sign-ins since `since` matching `where`."""
    return list(
        session.scalars(
            select(AuthEvent.at)
            .where(AuthEvent.kind == "sign_in_failed", AuthEvent.at > since, *where)
            .order_by(AuthEvent.at.desc())
            .limit(limit)
        )
    )


def lockout_remaining(
    session: Session, username: str, now: datetime, remote_addr: str | None = None
) -> timedelta | None:
    """How long a sign-in as ``username`` from ``remote_addr`` must wait, or None.

    Locked: MAX_FAILURES failures for the account from this address, or
    ACCOUNT_MAX_FAILURES from anywhere, since its last successful sign-in within
    FAILURE_WINDOW; or ADDRESS_MAX_FAILURES failures from this address for any
    usernames. The wait ends when the oldest failure that counts is that old.
    """
    since = now - FAILURE_WINDOW
    last_success = session.scalar(
        select(func.max(AuthEvent.at)).where(
            AuthEvent.username == username, AuthEvent.kind == "sign_in", AuthEvent.at > since
        )
    )
    after = max(since, last_success or since)
    address = (
        AuthEvent.remote_addr == remote_addr[:100]
        if remote_addr
        else AuthEvent.remote_addr.is_(None)
    )
    checks = [
        (MAX_FAILURES, after, (AuthEvent.username == username, address)),
        (ACCOUNT_MAX_FAILURES, after, (AuthEvent.username == username,)),
    ]
    if remote_addr:
        checks.append((ADDRESS_MAX_FAILURES, since, (address,)))
    waits = []
    for limit, start, where in checks:
        failures = _failure_times(session, limit, start, *where)
        if len(failures) >= limit:
            waits.append(failures[-1] + FAILURE_WINDOW - now)
    return max(waits) if waits else None


def too_many_attempts(wait: timedelta) -> TooManyAttempts:
    """The refusal while locked: how long to wait. Not the account's name: an
    alias or email must not reveal the username."""
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return TooManyAttempts(
        f"too many failed sign-ins: wait {minutes} minute(s) and try again, or ask an administrator"
    )


def _hold_account(session: Session, given: str) -> None:
    """Take the account's row lock for this transaction (a write that changes
    nothing), so that concurrent sign-ins to one account are counted one after
    another: without it, parallel guesses all read the same count and all get
    their password checked. Taken before anything is read (SQLite too)."""
    session.execute(
        update(User)
        .where(or_(User.username == given, User.email == given))
        .values(disabled=User.disabled)
    )


def _verify(user: User | None, password: str) -> bool:
    """Check a password; an unknown user costs the same time as a known one."""
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        accounts._hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def authenticate_password(
    session: Session,
    username: str,
    password: str,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> Principal:
    """Who signs in with this username (or email) and password. Commits.

    Raises Unauthorized ("wrong username or password", or a disabled account,
    said only once the password is right) or TooManyAttempts while locked (see
    lockout_remaining), without checking the password. Attempts at one account
    are counted one at a time. Every attempt is recorded as an auth event.
    """
    now = now or utcnow()
    given = (username or "").strip().lower()[:320]
    if not given or not password:
        raise Unauthorized("enter your username and password")
    _hold_account(session, given)
    user = find_user(session, given)
    who = user.username if user is not None else given
    wait = lockout_remaining(session, who, now, remote_addr)
    if wait is not None:
        record_event(session, "sign_in_locked", who, "password not checked", remote_addr, now)
        session.commit()
        raise too_many_attempts(wait)
    ok = _verify(user, password)
    if not ok or user is None or user.disabled:
        reason = "account disabled" if ok else "wrong password" if user else "no such user"
        record_event(session, "sign_in_failed", who, reason, remote_addr, now)
        session.commit()
        raise Unauthorized(
            "this account is disabled: ask an administrator" if ok else WRONG_PASSWORD
        )
    if accounts._hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = accounts._hasher.hash(password)
    user.last_sign_in_at = now
    record_event(session, "sign_in", who, "password", remote_addr, now)
    session.commit()
    return principal_for(user)


def load_signed_in(session: Session, user_id: int) -> Principal | None:
    """The Principal of a signed-in session's user; None if gone or disabled."""
    user = session.get(User, user_id)
    return None if user is None or user.disabled else principal_for(user)


def authenticate_token(session: Session, raw_token: str, now: datetime | None = None) -> Principal:
    """Who this API token acts as. Commits (last_used_at, at most once a minute).

    Raises Unauthorized, saying why, for an unknown, revoked or expired token or
    a disabled account: each is refused at once, on the very next request.
    """
    now = now or utcnow()
    raw_token = raw_token.strip()
    token = None
    if 0 < len(raw_token) <= 256:
        digest = token_digest(raw_token)
        token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None:
        raise Unauthorized("that API token is not recognised")
    if token.revoked_at is not None:
        raise Unauthorized(f"that API token was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC")
    if token.expires_at <= now:
        raise Unauthorized(
            f"that API token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC: "
            "ask an administrator for a new one"
        )
    if token.user.disabled:
        raise Unauthorized("the account that API token belongs to is disabled")
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
        session.commit()
    return principal_for(token.user)

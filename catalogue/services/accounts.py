"""Accounts: users, passwords, and who a request is (by password or API token).

Passwords are kept only as argon2 hashes, API tokens only as SHA-256 digests of
a high-entropy secret shown once (their lifecycle is in ``services.tokens``).
Failed sign-ins are counted in the database (``auth_events``), so the rate
limit holds across worker processes and hosts.

Management functions (add a user, create a token…) take the acting
:class:`Principal`, flush, and leave the commit to the caller. The two
``authenticate_*`` functions commit themselves: a refused sign-in must leave
its trace even though they raise.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, object_session

from catalogue.db import utcnow
from catalogue.errors import (
    CatalogueError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Problem,
    Unauthorized,
)
from catalogue.models import ApiToken, AuthEvent, SignInSession, User
from catalogue.services.access import ROLES, Principal
from catalogue.services.grants import granted_keys

EVENT_KINDS = (
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",  # refused during a lockout, without checking the password
    "token_created",
    "token_revoked",
    "user_added",
    "role_changed",
    "user_disabled",
    "user_enabled",
    "department_changed",
    "sso_sign_in",
    "sso_refused",  # single sign-on refused; the detail says why (never a token)
    "sso_linked",
)
#: Failed sign-ins within FAILURE_WINDOW that lock an account: MAX_FAILURES from
#: one network address lock it for that address only, so whoever guesses cannot
#: lock its owner out from elsewhere; ACCOUNT_MAX_FAILURES from anywhere lock it
#: everywhere (guessing spread over many addresses). ADDRESS_MAX_FAILURES from one
#: address, whatever the usernames, stop that address (password spraying).
MAX_FAILURES = 5
ACCOUNT_MAX_FAILURES = 50
ADDRESS_MAX_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)
PASSWORD_MIN_LENGTH = 12
# last_used_at is written at most this often per token: an API client making
# many calls a second should not turn every read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRONG_PASSWORD = "wrong username or password"

_hasher = PasswordHasher()


class TooManyAttempts(CatalogueError):
    status = 429
    title = "Too many failed sign-ins"


# -- records -------------------------------------------------------------------
def principal_for(user: User, granted: frozenset[str] | None = None) -> Principal:
    """The Principal a user acts as: named by email (the name owners and stewards
    are recorded under), else username; with the access granted to them (#17),
    read from the user's session unless ``granted`` gives it."""
    return Principal(
        name=user.email or user.username,
        role=user.role,
        department=user.department,
        email=user.email,
        granted=granted_keys(object_session(user), user.id) if granted is None else granted,
    )


def user_record(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "department": user.department,
        "disabled": user.disabled,
        "source": user.source or "local",
        "created_at": user.created_at.isoformat(),
        "last_sign_in_at": user.last_sign_in_at.isoformat() if user.last_sign_in_at else None,
    }


def record_event(
    session: Session,
    kind: str,
    username: str,
    detail: str | None = None,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> None:
    """Append an auth event (never changed afterwards)."""
    session.add(
        AuthEvent(
            at=now or utcnow(),
            kind=kind,
            username=username[:320],
            detail=detail,
            remote_addr=remote_addr[:100] if remote_addr else None,
        )
    )


# -- users ---------------------------------------------------------------------
def require_admin(actor: Principal, what: str) -> None:
    """Raise Forbidden unless ``actor`` is an admin."""
    if actor.role != "admin":
        raise Forbidden(f"only admins may {what}")


def find_user(session: Session, name: str) -> User | None:
    """The user with this username or email (either case), or None."""
    name = name.strip().lower()
    return session.scalar(select(User).where(or_(User.username == name, User.email == name)))


def get_user(session: Session, name: str) -> User:
    """The user with this username or email; NotFound naming it otherwise."""
    user = find_user(session, name)
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def password_problems(password: str, username: str = "") -> list[Problem]:
    if len(password) < PASSWORD_MIN_LENGTH:
        return [Problem(f"must be at least {PASSWORD_MIN_LENGTH} characters", "password")]
    if len(password) > 1024:
        return [Problem("must be at most 1024 characters", "password")]
    if username and password.strip().lower() == username.lower():
        return [Problem("must not be the username", "password")]
    return []


def role_problems(role: str) -> list[Problem]:
    return [] if role in ROLES else [Problem(f"must be one of {', '.join(ROLES)}", "role")]


def hash_password(password: str, username: str = "") -> str:
    """An argon2 hash of an acceptable password; raises Invalid saying what is wrong."""
    problems = password_problems(password, username)
    if problems:
        raise Invalid("that password cannot be used", problems)
    return _hasher.hash(password)


def add_user(
    session: Session,
    actor: Principal,
    username: str,
    *,
    name: str,
    role: str,
    email: str | None = None,
    department: str | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Add a local account (admins only). Raises Invalid listing every problem,
    or Conflict if the username or email is taken. A user without a password
    can only use API tokens. ``password_hash`` is for a hash already made."""
    require_admin(actor, "add users")
    username, email = username.strip().lower(), (email or "").strip().lower() or None
    problems = role_problems(role)
    if not USERNAME.match(username):
        problems.append(Problem("use a-z, 0-9, '.', '_' or '-' (at most 100)", "username"))
    if email is not None and not EMAIL.match(email):
        problems.append(Problem("is not an email address", "email"))
    if not name.strip():
        problems.append(Problem("is required", "name"))
    if password is not None:
        problems.extend(password_problems(password, username))
    if problems:
        raise Invalid(f"cannot add user {username!r}", problems)
    for taken in filter(None, (username, email)):
        if find_user(session, taken) is not None:
            raise Conflict(f"a user with username or email {taken!r} already exists")
    now = now or utcnow()
    user = User(
        username=username,
        email=email,
        name=name.strip(),
        role=role,
        department=(department or "").strip() or None,
        password_hash=password_hash or (_hasher.hash(password) if password else None),
        disabled=False,
        created_at=now,
    )
    session.add(user)
    detail = f"by {actor.name}: role {role}, department {user.department or 'none'}"
    record_event(session, "user_added", username, detail, now=now)
    session.flush()
    return user_record(user)


def list_users(session: Session, actor: Principal) -> list[dict[str, Any]]:
    """Every account, by username (admins and auditors)."""
    if not actor.sees_everything:
        raise Forbidden("only admins and auditors may list users")
    return [user_record(u) for u in session.scalars(select(User).order_by(User.username))]


def set_role(
    session: Session, actor: Principal, username: str, role: str, now: datetime | None = None
) -> dict[str, Any]:
    """Give a user another role (admins only); takes effect on their next request."""
    require_admin(actor, "change roles")
    if problems := role_problems(role):
        raise Invalid(f"cannot give {username!r} the role {role!r}", problems)
    user = get_user(session, username)
    if user.role != role:
        detail = f"by {actor.name}: {user.role} → {role}"
        user.role = role
        record_event(session, "role_changed", user.username, detail, now=now)
        end_user_sessions(session, user.id, "role changed", now)
    session.flush()
    return user_record(user)


def set_department(
    session: Session,
    actor: Principal,
    username: str,
    department: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Move a user to another department, or none (admins only). Their sessions
    end, so what they may see changes on their next request. An SSO account's
    department is read again from the directory at its next sign-in."""
    require_admin(actor, "change departments")
    department = (department or "").strip() or None
    if department is not None and len(department) > 200:
        raise Invalid(
            "cannot change the department", [Problem("at most 200 characters", "department")]
        )
    user = get_user(session, username)
    if user.department != department:
        detail = f"by {actor.name}: {user.department or 'none'} → {department or 'none'}"
        user.department = department
        record_event(session, "department_changed", user.username, detail, now=now)
        end_user_sessions(session, user.id, "department changed", now)
    session.flush()
    return user_record(user)


def set_disabled(
    session: Session, actor: Principal, username: str, disabled: bool, now: datetime | None = None
) -> dict[str, Any]:
    """Disable (or enable again) an account (admins only). A disabled user's
    session and tokens are refused from their next request on."""
    require_admin(actor, "disable or enable users")
    user = get_user(session, username)
    if user.disabled != disabled:
        user.disabled = disabled
        kind = "user_disabled" if disabled else "user_enabled"
        record_event(session, kind, user.username, f"by {actor.name}", now=now)
        if disabled:
            end_user_sessions(session, user.id, "account disabled", now)
    session.flush()
    return user_record(user)


def end_user_sessions(
    session: Session, user_id: int, reason: str, now: datetime | None = None
) -> None:
    """End every open signed-in session of one account (see services.sessions):
    its browsers are signed out on their next request."""
    session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user_id, SignInSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason, id_token_hint=None)
    )


# -- API tokens ----------------------------------------------------------------
def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# -- authentication ------------------------------------------------------------
@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


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
        _hasher.verify(stored or _dummy_hash(), password)
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
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
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

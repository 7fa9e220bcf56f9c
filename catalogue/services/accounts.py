"""Accounts: users and their passwords, roles and departments.

Passwords are kept only as argon2 hashes, API tokens only as SHA-256 digests of
a high-entropy secret shown once (their lifecycle is in ``services.tokens``).
Signing in is in ``services.authentication``.

Management functions (add a user, create a token…) take the acting
:class:`Principal`, flush, and leave the commit to the caller.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, object_session

from catalogue.db import utcnow
from catalogue.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Problem,
)
from catalogue.models import AuthEvent, SignInSession, User
from catalogue.services.access import ROLES, Principal
from catalogue.services.context import Reader
from catalogue.services.grants import granted_keys
from catalogue.services.record_types import UserRecord

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
PASSWORD_MIN_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()


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


def user_record(user: User) -> UserRecord:
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
) -> UserRecord:
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


def list_users(reader: Reader) -> list[UserRecord]:
    """Every account, by username (admins and auditors)."""
    if not reader.principal.sees_everything:
        raise Forbidden("only admins and auditors may list users")
    return [user_record(u) for u in reader.session.scalars(select(User).order_by(User.username))]


def set_role(
    session: Session, actor: Principal, username: str, role: str, now: datetime | None = None
) -> UserRecord:
    """Give a user another role (admins only); takes effect on their next request."""
    require_admin(actor, "change roles")
    if problems := role_problems(role):
        raise Invalid(f"cannot give {username!r} the role {role!r}", problems)
    return _change_user(session, actor, username, "role", role, now)


def set_department(
    session: Session,
    actor: Principal,
    username: str,
    department: str | None,
    now: datetime | None = None,
) -> UserRecord:
    """Move a user to another department, or none (admins only). Their sessions
    end, so what they may see changes on their next request. An SSO account's
    department is read again from the directory at its next sign-in."""
    require_admin(actor, "change departments")
    department = (department or "").strip() or None
    if department is not None and len(department) > 200:
        raise Invalid(
            "cannot change the department", [Problem("at most 200 characters", "department")]
        )
    return _change_user(session, actor, username, "department", department, now)


def _change_user(
    session: Session,
    actor: Principal,
    username: str,
    field: str,
    value: str | None,
    now: datetime | None,
) -> UserRecord:
    """Set a user's role or department; a change is audited (old → new) and ends
    their sessions, so what they may do changes on their next request."""
    user = get_user(session, username)
    before = getattr(user, field)
    if before != value:
        setattr(user, field, value)
        detail = f"by {actor.name}: {before or 'none'} → {value or 'none'}"
        record_event(session, f"{field}_changed", user.username, detail, now=now)
        end_user_sessions(session, user.id, f"{field} changed", now)
    session.flush()
    return user_record(user)


def set_disabled(
    session: Session, actor: Principal, username: str, disabled: bool, now: datetime | None = None
) -> UserRecord:
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

"""Signed-in sessions kept on the server, so that they can be ended.

A browser's session cookie carries only a random secret; the ``sessions`` table
holds its SHA-256, the user, and when it began, was last seen and ended. Every
request resumes the session from the table, so signing out, disabling the
account or changing its role ends it at once (accounts.end_user_sessions),
wherever a copy of the cookie is;
a session also ends when idle too long or older than its lifetime.

Single sign-on will start its sessions here too: the rest of the catalogue
sees only the Principal a session resumes as.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.models import SignInSession, User
from catalogue.services.access import Principal
from catalogue.services.accounts import principal_for

#: last_seen_at is written at most this often (not on every request).
SEEN_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lasts: idle (since last seen) and at most (since begun)."""

    idle: timedelta = timedelta(minutes=60)
    absolute: timedelta = timedelta(hours=12)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def start_session(
    session: Session, user: User, now: datetime | None = None, id_token_hint: str | None = None
) -> str:
    """Begin a session for ``user`` and return its secret (for the cookie only).
    ``id_token_hint``: a single sign-on's ID token, for signing out at the provider."""
    now = now or datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    session.add(
        SignInSession(
            secret_hash=_digest(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            id_token_hint=id_token_hint,
        )
    )
    session.flush()
    return secret


def resume_session(
    session: Session, secret: str, lifetimes: Lifetimes, now: datetime | None = None
) -> Principal | None:
    """The Principal a session secret stands for, or None if there is no such
    session, it has ended, its account is disabled, or it has been idle or alive
    too long (then it is ended, saying why). Commits what it changes."""
    now = now or datetime.now(UTC)
    row = session.scalar(select(SignInSession).where(SignInSession.secret_hash == _digest(secret)))
    if row is None or row.ended_at is not None:
        return None
    user = session.get(User, row.user_id)
    reason = None
    if user is None or user.disabled:
        reason = "account disabled"
    elif now - row.created_at > lifetimes.absolute:
        reason = "lifetime reached"
    elif now - row.last_seen_at > lifetimes.idle:
        reason = "idle"
    if reason is not None:
        row.ended_at, row.end_reason, row.id_token_hint = now, reason, None
        session.commit()
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = now
        session.commit()
    assert user is not None
    return principal_for(user)


def end_session(
    session: Session, secret: str, reason: str = "signed out", now: datetime | None = None
) -> str | None:
    """End the session ``secret`` stands for (nothing if already ended or unknown).
    Returns its ID token hint (single sign-on), for signing out at the provider."""
    hint = session.scalar(
        select(SignInSession.id_token_hint).where(
            SignInSession.secret_hash == _digest(secret), SignInSession.ended_at.is_(None)
        )
    )
    session.execute(
        update(SignInSession)
        .where(SignInSession.secret_hash == _digest(secret), SignInSession.ended_at.is_(None))
        .values(ended_at=now or datetime.now(UTC), end_reason=reason, id_token_hint=None)
    )
    return hint

"""API tokens for scripts: created with a label and an expiry, shown once,
stored only as a SHA-256 digest, revoked at once.

A token is ``cat_`` followed by 32 random bytes (URL-safe base64), so a digest
without a salt is enough: nobody can guess their way to a match. Checking a
token on a request is :func:`catalogue.services.authentication.authenticate_token`.
Like the other management functions these flush; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.errors import Conflict, Forbidden, Invalid, NotFound, Problem
from catalogue.models import ApiToken, User
from catalogue.services.access import Principal
from catalogue.services.accounts import get_user, record_event, require_admin, token_digest
from catalogue.services.context import Reader
from catalogue.services.record_types import TokenRecord

TOKEN_SCHEME = "cat_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366


@dataclass(frozen=True)
class NewToken:
    """A token just created: ``secret`` is shown to its owner once and never stored."""

    token: TokenRecord
    secret: str


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= (now or utcnow()) else "active"


def token_record(token: ApiToken, now: datetime | None = None) -> TokenRecord:
    """A token as people see it: never its secret or its hash."""

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": token.id,
        "username": token.user.username,
        "label": token.label,
        "prefix": token.prefix,
        "state": token_state(token, now),
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "revoked_at": iso(token.revoked_at),
        "last_used_at": iso(token.last_used_at),
    }


def _require_self_or_admin(actor: Principal, user: User, what: str) -> None:
    mine = actor.name.lower() in {user.username, user.email or ""}
    if not mine and actor.role != "admin":
        raise Forbidden(f"only admins may {what} for someone else")


def create_token(
    session: Session,
    actor: Principal,
    username: str,
    label: str,
    expires_in_days: int = DEFAULT_TOKEN_DAYS,
    now: datetime | None = None,
) -> NewToken:
    """A new API token for ``username`` (an admin, or the user themselves).

    The secret is in the result and nowhere else. Raises Invalid for a blank
    label or an expiry outside 1..MAX_TOKEN_DAYS days, NotFound for no such
    user, Conflict for a disabled one.
    """
    user = get_user(session, username)
    _require_self_or_admin(actor, user, "create tokens")
    if user.disabled:
        raise Conflict(f"user {user.username!r} is disabled: enable them first")
    problems = []
    if not label.strip():
        problems.append(Problem("is required: say what the token is for", "label"))
    if not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
        problems.append(Problem(f"must be between 1 and {MAX_TOKEN_DAYS}", "expires_in_days"))
    if problems:
        raise Invalid("cannot create that token", problems)
    now = now or utcnow()
    secret = TOKEN_SCHEME + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        label=label.strip()[:200],
        token_hash=token_digest(secret),
        prefix=secret[:12],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    session.add(token)
    session.flush()
    detail = f"by {actor.name}: token {token.id} {token.prefix}… {token.label!r}"
    record_event(session, "token_created", user.username, detail, now=now)
    return NewToken(token=token_record(token, now), secret=secret)


def list_tokens(reader: Reader, username: str | None = None) -> list[TokenRecord]:
    """Tokens of one user (or of everyone, for admins), newest first."""
    session, actor = reader.session, reader.principal
    query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.id.desc())
    if username is not None:
        user = get_user(session, username)
        _require_self_or_admin(actor, user, "list tokens")
        query = query.where(ApiToken.user_id == user.id)
    else:
        require_admin(actor, "list everyone's tokens")
    return [token_record(t) for t in session.scalars(query)]


def revoke_token(
    session: Session, actor: Principal, token_id: int, now: datetime | None = None
) -> TokenRecord:
    """Revoke a token at once (its owner or an admin). Revoking twice is harmless.
    Raises NotFound for an id the actor may not see."""
    token = session.get(ApiToken, token_id)
    if token is None or (
        actor.role != "admin" and actor.name.lower() not in {token.user.username, token.user.email}
    ):
        raise NotFound(f"no API token {token_id}")
    if token.revoked_at is None:
        now = now or utcnow()
        token.revoked_at = now
        detail = f"by {actor.name}: token {token.id} {token.prefix}… {token.label!r}"
        record_event(session, "token_revoked", token.user.username, detail, now=now)
    session.flush()
    return token_record(token)

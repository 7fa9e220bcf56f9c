"""The grants in force for one person (#17): the keys of the assets whose owner
or steward approved their access request, up to and including its date.

Read whenever a ``Principal`` is made for an account, so a grant past its date
stops counting on the next request, in every surface at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.access_models import AccessRequest
from catalogue.db import utcnow


def granted_keys(
    session: Session | None, user_id: int, today: date | None = None
) -> frozenset[str]:
    """Keys of the assets granted to ``user_id`` and in force on ``today`` (UTC)."""
    if session is None:
        return frozenset()
    today = today or utcnow().date()
    return frozenset(
        session.scalars(
            select(AccessRequest.asset_key).where(
                AccessRequest.requester_id == user_id,
                AccessRequest.status == "approved",
                AccessRequest.until >= today,
            )
        )
    )


def granted_by_user(session: Session, today: date | None = None) -> dict[int, frozenset[str]]:
    """The grants in force on ``today`` of every account, in one query (for the
    notification worker, which makes a principal for everyone who listens)."""
    today = today or utcnow().date()
    found: dict[int, set[str]] = defaultdict(set)
    query = select(AccessRequest.requester_id, AccessRequest.asset_key).where(
        AccessRequest.status == "approved", AccessRequest.until >= today
    )
    for user_id, key in session.execute(query):
        found[user_id].add(key)
    return {user_id: frozenset(keys) for user_id, keys in found.items()}

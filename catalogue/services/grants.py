"""The grants in force for one person (#17): the keys of the assets whose owner
or steward approved their access request, up to and including its date.

Read whenever a ``Principal`` is made for an account, so a grant past its date
stops counting on the next request, in every surface at once.
"""

from __future__ import annotations

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

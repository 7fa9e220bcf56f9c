"""Overdue owners' reviews as news (#19). They are not changes, so they are not
in the change log: once a day the worker looks for reviews that fell due since
it last looked, and each is news once, told like any change of that asset.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.governance import ReviewPolicy
from catalogue.models import Asset
from catalogue.services.news import News

REVIEW_OVERDUE = "asset.review_overdue"


def overdue_news(
    session: Session, policy: ReviewPolicy, today: date, since: date | None, now: datetime
) -> list[News]:
    """News of each active asset whose review fell due on a day from ``since``
    (the last day looked; None: yesterday only) up to yesterday."""
    first = since if since is not None else today - timedelta(days=1)
    rows = session.execute(
        select(
            Asset.key,
            Asset.kind,
            Asset.status,
            Asset.review_date,
            Asset.last_reviewed,
            Asset.created_at,
        ).where(Asset.status == "active")  # fmt: skip
    )
    found = []
    for key, kind, status, review_date, last_reviewed, created_at in rows:
        record = {"kind": kind, "status": status, "review_date": review_date,
                  "last_reviewed": last_reviewed, "created_at": created_at}  # fmt: skip
        due = policy.overdue_since(record, today)
        if due is None or due < first:
            continue
        found.append(
            News(
                seq=0,
                time=now.isoformat(),
                actor="catalogue",
                kind=REVIEW_OVERDUE,
                text=f"{{0}} is overdue for its owner's review (due {due:%-d %B %Y})",
                refs=(key,),
                subjects=(key,),
                event=f"review-{key}-{due.isoformat()}",
            )
        )
    return found

"""Assets as they stood at a past moment, read back from the change log.

Shared by the lineage answers given ``as_of`` (traces, neighbourhoods, the
Marquez-style API). Reads are batched by key and use the change log's index on
``asset_key``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import ChangeLog

#: Keys named in one ``IN (…)`` of a change-log read.
KEYS_PER_QUERY = 500


def records_as_of(session: Session, keys: Iterable[str], as_of: datetime) -> dict[str, dict]:
    """Each asset's record as it stood at ``as_of`` (from its latest change by then)."""
    keys = list(keys)
    found: dict[str, dict] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        rows = session.execute(
            select(ChangeLog.asset_key, ChangeLog.after)
            .where(
                ChangeLog.asset_key.in_(keys[start : start + KEYS_PER_QUERY]),
                ChangeLog.at <= as_of,
                ChangeLog.action.like("asset.%"),
            )
            .order_by(ChangeLog.seq)
        )
        for key, after in cast("Iterable[tuple[str, Any]]", rows):
            found[key] = after
    return found


def changed_since(session: Session, keys: Iterable[str], as_of: datetime) -> set[str]:
    """Which of ``keys`` have an asset change recorded after ``as_of`` (an indexed
    read of keys alone: no record is decoded)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        found.update(
            session.scalars(
                select(ChangeLog.asset_key)
                .where(
                    ChangeLog.asset_key.in_(keys[start : start + KEYS_PER_QUERY]),
                    ChangeLog.at > as_of,
                    ChangeLog.action.like("asset.%"),
                )
                .distinct()
            )
        )
    return found

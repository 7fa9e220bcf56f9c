"""Assets as they stood at a past moment, read back from the change log.

Shared by the lineage answers given ``as_of`` (traces, neighbourhoods, the
Marquez-style API). Reads are batched by key and use the change log's index on
``asset_key``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, exists, func, or_, select
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


def _then_statement() -> Select[tuple[str, Any]]:
    """The read of ``records_then``, built once (parameters: keys, as_of, subject)."""
    log = cast("Table", ChangeLog.__table__)
    later, latest = log.alias("later"), log.alias("latest")
    as_of = bindparam("as_of", type_=log.c.at.type)
    changed_after = exists().where(
        later.c.asset_key == log.c.asset_key, later.c.at > as_of, later.c.action.like("asset.%")
    )
    last_by_then = (
        select(func.max(latest.c.seq))
        .where(
            latest.c.asset_key == log.c.asset_key,
            latest.c.at <= as_of,
            latest.c.action.like("asset.%"),
        )
        .scalar_subquery()
    )
    # Unchanged keys fail the first test, so only the others' latest record is sought.
    return select(log.c.asset_key, log.c.after).where(
        log.c.asset_key.in_(bindparam("keys", expanding=True)),
        or_(log.c.asset_key == bindparam("subject"), changed_after),
        log.c.seq == last_by_then,
    )


_THEN = _then_statement()


def records_then(
    session: Session, keys: Iterable[str], as_of: datetime, subject: str | None = None
) -> dict[str, dict]:
    """The record as it stood at ``as_of`` of each of ``keys`` with an asset change
    recorded after ``as_of``, and of ``subject`` whether or not it changed since:
    in one read of the change log (a batch of KEYS_PER_QUERY keys each).

    An asset unchanged since ``as_of`` stood then as it stands now, so only the
    changed ones need their record; a key absent from the answer had none by
    then (or, but for ``subject``, has not changed since). Only each key's latest
    record by ``as_of`` is decoded. The same answers as ``records_as_of`` of the
    keys changed since and of the subject, which took three reads.
    """
    keys = list(dict.fromkeys([*keys, *([subject] if subject is not None else [])]))
    found: dict[str, dict] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        params = {"keys": keys[start : start + KEYS_PER_QUERY], "as_of": as_of, "subject": subject}
        for key, after in cast("Iterable[tuple[str, Any]]", session.execute(_THEN, params)):
            found[key] = after
    return found

"""Assets as they stood at a past moment, read back from the change log.

Shared by the lineage answers given ``as_of`` (traces, neighbourhoods, the
Marquez-style API). Reads are batched by key and use the change log's index on
``asset_key``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CompoundSelect, Table, bindparam, func, literal_column, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from catalogue.models import ChangeLog

#: Keys named in one ``IN (…)`` of a change-log read.
KEYS_PER_QUERY = 500

#: The actions that change an asset's record. Written into the statements, not
#: bound: SQLite matches a bound LIKE pattern at about twice the cost.
ASSET_CHANGE: ColumnClause[str] = literal_column("'asset.%'")


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
                ChangeLog.action.like(ASSET_CHANGE),
            )
            .order_by(ChangeLog.seq)
        )
        for key, after in cast("Iterable[tuple[str, Any]]", rows):
            found[key] = after
    return found


def _then_statement() -> CompoundSelect:
    """The read of ``records_then``, built once (parameters: keys, as_of, subject).

    Two parts: the subject's latest asset change by ``as_of``; and the same of
    each of ``keys`` with an asset change after ``as_of``. Each step is a seek
    per key in the index on (asset_key, at, action): most keys have no change
    since, so their rows are never visited (#21)."""
    log = cast("Table", ChangeLog.__table__)
    mine, changed, latest = log.alias("mine"), log.alias("changed"), log.alias("latest")
    as_of = bindparam("as_of", type_=log.c.at.type)
    subject_then = (
        select(func.max(mine.c.seq))
        .where(
            mine.c.asset_key == bindparam("subject"),
            mine.c.at <= as_of,
            mine.c.action.like(ASSET_CHANGE),
        )
        .scalar_subquery()
    )
    changed_since = select(changed.c.asset_key).where(
        changed.c.asset_key.in_(bindparam("keys", expanding=True)),
        changed.c.at > as_of,
        changed.c.action.like(ASSET_CHANGE),
    )
    changed_then = (
        select(func.max(latest.c.seq))
        .where(
            latest.c.asset_key.in_(changed_since),
            latest.c.at <= as_of,
            latest.c.action.like(ASSET_CHANGE),
        )
        .group_by(latest.c.asset_key)
    )
    return union_all(
        select(log.c.asset_key, log.c.after).where(log.c.seq == subject_then),
        select(log.c.asset_key, log.c.after).where(log.c.seq.in_(changed_then)),
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

"""The change log: every write's audit row and the outbox of the derived views.

A write transaction first takes the lock on ``log_head`` (its very first
statement, so SQLite takes its write lock at once and PostgreSQL a row lock).
While that lock is held no other writer can commit, so the sequence numbers this
transaction hands out become visible in the order they were given: a view that
reads ``seq > applied`` never skips a row that commits late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from catalogue.db import utcnow
from catalogue.models import ChangeLog, LogHead
from catalogue.services.access import Principal
from catalogue.services.context import Reader
from catalogue.services.record_types import ChangeEntry
from catalogue.services.row_copy import insert_rows

if TYPE_CHECKING:
    from catalogue.services.views import Views

log = logging.getLogger(__name__)
CHANGE_LOG = cast(Table, ChangeLog.__table__)


@dataclass(kw_only=True)
class Writer(Reader):
    """One write transaction: the session, who is acting, the time of the change,
    and (as a Reader) the views, its ``graph`` being the graph as this
    transaction sees the database.

    Two times: ``now`` is when the change takes effect (an edge's valid-from, a
    run's start), ``recorded_at`` when the catalogue recorded it (the change
    log's time, what ``audit --since`` and ``history`` show). They differ when a
    source says when something happened (a dbt manifest, an OpenLineage event).

    Services receive a Writer, never a request: the caller says who acts.
    """

    now: datetime
    head: int
    pending: list[dict[str, Any]] = field(default_factory=list)
    recorded_at: datetime | None = None  # None: the same as ``now``

    @property
    def actor(self) -> str:
        return self.principal.name

    # Lineage this transaction has changed so far, for the cycle rule.
    edges_added: list[tuple[str, str]] = field(default_factory=list)
    edges_ended: list[tuple[str, str]] = field(default_factory=list)

    def log(
        self,
        action: str,
        key: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """Append a change_log row to this transaction (written in one batch at commit)."""
        self.pending.append(
            {
                "seq": self.head + len(self.pending) + 1,
                "asset_key": key,
                "action": action,
                "actor": self.actor,
                "at": self.recorded_at or self.now,
                "before": before,
                "after": after,
            }
        )


@contextmanager
def writing(
    sessions: sessionmaker,
    principal: Principal,
    now: datetime | None = None,
    happened_at: datetime | None = None,
    views_of: Callable[[], Views] | None = None,
) -> Iterator[Writer]:
    """A transaction that commits the change and its change_log rows together.

    ``now`` sets both times (a replayed history, a test's clock). ``happened_at``
    is what a source says: the change takes effect then (never later than the
    clock: a source dated in the future takes effect now), and is recorded at
    the clock's time, so an import is always found under the day it was made.
    Anything raised inside rolls everything back: no change, no log row.
    ``views_of`` gives the writer its graph and index (``Catalogue.write`` passes
    the process's views).
    """
    if not principal.signed_in or not principal.name:
        raise ValueError("a write needs a signed-in, named actor")
    with sessions() as session, session.begin():
        bind = session.get_bind()
        session.execute(update(LogHead).where(LogHead.id == 1).values(seq=LogHead.seq))
        head = session.scalar(select(LogHead.seq).where(LogHead.id == 1))
        if head is None:
            raise RuntimeError("the database has no log_head row: run `catalogue db upgrade`")
        clock = now or utcnow()
        effective = min(happened_at, clock) if happened_at else clock
        writer = Writer(
            session=session,
            principal=principal,
            views_of=views_of,
            now=effective,
            head=head,
            recorded_at=clock,
        )
        yield writer
        if writer.pending:
            session.flush()
            # Core rows (COPY on PostgreSQL), not the ORM's bulk insert: at
            # 40,000 rows its per-row bookkeeping cost seconds (#21).
            insert_rows(session, CHANGE_LOG, writer.pending)
            session.execute(
                update(LogHead).where(LogHead.id == 1).values(seq=writer.head + len(writer.pending))
            )
    if len(writer.pending) >= STATISTICS_AFTER:
        refresh_statistics(bind)


#: A write of at least this many changes refreshes PostgreSQL's planner statistics.
STATISTICS_AFTER = 1000


def refresh_statistics(bind: Engine | Connection) -> None:
    """After a large write (an apply or import of a whole register), ANALYZE on
    PostgreSQL. Until its statistics are fresh the planner treats the new rows
    as if they were not there and picks sequential scans: a recursive lineage
    query on 20,000 just-loaded assets took 37 ms a trace before ANALYZE and 5 ms
    after. Autovacuum would get there within minutes; the first users would not
    wait for it. SQLite plans well without statistics. The write has committed,
    so a failure here is only logged."""
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    except SQLAlchemyError as error:
        log.warning("planner statistics not refreshed after a large write: %s", error)


def change_entry(row: ChangeLog) -> ChangeEntry:
    """A change_log row as the views receive it (docs/records.md)."""
    return {
        "seq": row.seq,
        "action": row.action,
        "key": row.asset_key,
        "actor": row.actor,
        "time": row.at.isoformat(),
        "before": row.before,
        "after": row.after,
    }


def written_entries(writer: Writer) -> list[ChangeEntry]:
    """The change_log rows a committed write transaction added, as the views
    receive them (the same as ``change_entry`` of each row read back: the rows
    were stored as JSON, so they hold only JSON's types)."""
    return [
        {
            "seq": row["seq"],
            "action": row["action"],
            "key": row["asset_key"],
            "actor": row["actor"],
            "time": row["at"].isoformat(),
            "before": row["before"],
            "after": row["after"],
        }
        for row in writer.pending
    ]


def latest_seq(session: Session) -> int:
    """The newest committed sequence number (one indexed read)."""
    return session.scalar(select(LogHead.seq).where(LogHead.id == 1)) or 0


def changes_after(session: Session, seq: int, limit: int | None = None) -> list[ChangeEntry]:
    """Committed changes newer than ``seq``, oldest first."""
    query = select(ChangeLog).where(ChangeLog.seq > seq).order_by(ChangeLog.seq)
    if limit:
        query = query.limit(limit)
    return [change_entry(row) for row in session.scalars(query)]


def count_changes(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChangeLog)) or 0

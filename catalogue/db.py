"""Engine, session factory and the declarative base.

The naming convention keeps Alembic migrations stable across SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from catalogue.config import SettingError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zones; storing naive UTC there and aware values in
    PostgreSQL would make comparisons differ between the two, so both store UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    Raises SettingError naming CATALOGUE_DATABASE_URL when the URL is not one, or
    names a database whose driver is not installed.
    """
    try:
        return _make_engine(url, **kwargs)
    except ArgumentError:
        raise SettingError(
            f"CATALOGUE_DATABASE_URL {_hide_password(url)!r} is not a database URL; "
            "e.g. postgresql+psycopg://user:password@host/database or sqlite:///catalogue.db"
        ) from None
    except (NoSuchModuleError, ImportError) as error:
        raise SettingError(
            f"CATALOGUE_DATABASE_URL {_hide_password(url)!r} names a database this "
            f"installation has no driver for ({error}); the catalogue runs on "
            "PostgreSQL (postgresql+psycopg://…) or SQLite (sqlite:///…)"
        ) from None


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions that note in ``info["wrote"]`` whether they ever wrote (see ``end_read``)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "do_orm_execute", _note_write)
    event.listen(factory, "after_flush", _note_flush)
    return factory


def _note_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info["wrote"] = True


def _note_flush(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


def end_read(session: Session) -> None:
    """End a session that was meant only to read: COMMIT its transaction if it
    wrote nothing (the same as a rollback for a transaction that only read),
    else roll back as closing it would have.

    Why: psycopg forgets every statement it has prepared on a connection when a
    transaction there rolls back, and a session that is closed without a commit
    rolls back. Every page and API read did, so on PostgreSQL no statement was
    ever prepared and the server parsed and planned each one afresh (#21).
    Committing a read leaves them prepared (psycopg prepares a statement after
    its fifth run on a connection)."""
    if session.in_transaction() and not session.info.get("wrote"):
        session.commit()

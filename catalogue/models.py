"""The catalogue's tables, as typed SQLAlchemy 2.x mapped classes.

``change_log`` is the audit trail and the outbox of the derived views; its
sequence numbers are handed out under the lock on ``log_head`` so that they
become visible in commit order (see ``services.changes``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Delete,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Update,
    event,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, mapped_column, relationship
from sqlalchemy.orm import Session as OrmSession

from catalogue.db import Base, UTCDateTime
from catalogue.errors import Forbidden


class AssetKind(Base):
    __tablename__ = "asset_kinds"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Person(Base):
    """An owner or steward. Found by email where one is given, else by name."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


asset_tags = Table(
    "asset_tags",
    Base.metadata,
    Column("asset_id", ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Asset(Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(ForeignKey("asset_kinds.name"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    source_system: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(2000))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    steward_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    classification: Mapped[str] = mapped_column(String(40), default="OFFICIAL")
    access: Mapped[str] = mapped_column(String(20), default="internal")
    licence: Mapped[str | None] = mapped_column(String(100))
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)
    lawful_basis: Mapped[str | None] = mapped_column(String(40))
    article9_condition: Mapped[str | None] = mapped_column(String(200))
    retention_period: Mapped[str | None] = mapped_column(String(200))
    dpia_reference: Mapped[str | None] = mapped_column(String(100))
    # What UK GDPR Article 30(1) asks of the record of processing (#18).
    purpose: Mapped[str | None] = mapped_column(String(500))
    data_subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    personal_data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    international_transfers: Mapped[str | None] = mapped_column(String(1000))
    update_frequency: Mapped[str | None] = mapped_column(String(20))
    last_updated: Mapped[date | None] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date)
    # The owner's (or steward's) last confirmation that the record is still correct (#18).
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    last_reviewed_by: Mapped[str | None] = mapped_column(String(320))
    last_review_note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    # When an imported record was created and last changed where it came from (a
    # CKAN package's metadata_created/modified), republished as they were (#14).
    source_created: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship(lazy="joined")
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    steward: Mapped[Person | None] = relationship(foreign_keys=[steward_id], lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=asset_tags, lazy="selectin")
    columns: Mapped[list[AssetColumn]] = relationship(
        order_by="AssetColumn.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    # Optimistic locking in the database as well as in the service: two writers
    # that both read version N cannot both write N+1.
    __mapper_args__ = {"version_id_col": version}


class AssetColumn(Base):
    __tablename__ = "asset_columns"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    personal: Mapped[bool] = mapped_column(Boolean, default=False)


class Edge(Base):
    """``upstream`` feeds ``downstream``, optionally via a pipeline, for an interval.

    Ending an edge sets ``valid_to``; rows are never deleted, so the graph as it
    stood on any date can be rebuilt for an audit.
    """

    __tablename__ = "edges"
    # One current edge per pair: the migration makes this index partial, WHERE
    # valid_to IS NULL, so ended edges may repeat a pair. The condition is not
    # restated here: naming it for SQLite and PostgreSQL (sqlite_where=,
    # postgresql_where=) makes SQLAlchemy import both database dialects, the
    # PostgreSQL one with its asyncio drivers, whenever the models are imported,
    # which is a tenth of `catalogue show`'s start-up (#20). Alembic does not
    # compare index conditions, so the models still match the migrations.
    __table_args__ = (Index("uq_edges_current_pair", "upstream_id", "downstream_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upstream_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    downstream_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    via_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    description: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)

    upstream: Mapped[Asset] = relationship(foreign_keys=[upstream_id], lazy="joined")
    downstream: Mapped[Asset] = relationship(foreign_keys=[downstream_id], lazy="joined")
    via: Mapped[Asset | None] = relationship(foreign_keys=[via_id], lazy="joined")


class LogHead(Base):
    """One row holding the newest change sequence; its row lock orders writers."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)


class ChangeLog(Base):
    """Append-only: the audit trail and the outbox of the search index and graph."""

    __tablename__ = "change_log"
    # An asset's changes by time, the action at hand: whether an asset changed
    # after a past date, and its last record by then, are read from this index
    # alone (an auditor's trace as of a date, #21). It also serves every read by
    # asset key, as the index on the key alone did.
    __table_args__ = (Index("ix_change_log_asset_key_at", "asset_key", "at", "action"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    asset_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# -- identity and audit (#5) ---------------------------------------------------
# Roles are the ones services.access knows; the check keeps a typo out of the table.
ROLE_CHECK = "role IN ('viewer', 'steward', 'auditor', 'admin')"


class User(Base):
    """A local account. Its department decides what restricted assets it sees;
    its role what it may change. Only an argon2 hash of the password is kept."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role"),
        UniqueConstraint("sso_issuer", "sso_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "local" (made by an admin) or "sso" (made at a first single sign-on); an SSO
    # account is the provider's (issuer, subject), whatever its email becomes.
    source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sso_issuer: Mapped[str | None] = mapped_column(String(500))
    sso_subject: Mapped[str | None] = mapped_column(String(255))


class ApiToken(Base):
    """A token for scripts. Only the SHA-256 of the secret is kept; ``prefix``
    (the secret's first characters) lets people tell their tokens apart."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class SignInSession(Base):
    """A signed-in browser session, kept here so it can be ended from the server
    (sign-out, an account disabled or given another role) and expire when idle
    or too old. The browser's cookie holds a random secret; only its SHA-256 is
    kept, so a copy of this table signs no one in."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    # A single sign-on session's ID token, sent back to the provider at sign-out
    # (RP-initiated logout's id_token_hint); cleared when the session ends.
    id_token_hint: Mapped[str | None] = mapped_column(Text)


class AuthEvent(Base):
    """Append-only, like ``change_log``: sign-ins, failures, tokens and account
    changes. Failed sign-ins counted here are the sign-in rate limit."""

    __tablename__ = "auth_events"
    __table_args__ = (
        Index("ix_auth_events_username_kind_at", "username", "kind", "at"),
        Index("ix_auth_events_remote_addr_kind_at", "remote_addr", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(320))
    detail: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(100))


class AppendOnly(Forbidden):
    """Someone tried to change or delete an audit row: nobody may."""

    title = "Audit rows cannot change"


APPEND_ONLY_TABLES = frozenset({"change_log", "auth_events"})


def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    raise AppendOnly(f"{target.__tablename__} rows are append-only: they are never changed")


def _refuse_bulk_change(state: ORMExecuteState) -> None:
    """Bulk ``update(ChangeLog)`` / ``delete(AuthEvent)`` through any Session."""
    if not (state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name in APPEND_ONLY_TABLES:
        raise AppendOnly(f"{name} rows are append-only: they are never changed")


def _refuse_core_change(_conn: Any, clause: Any, *_args: Any) -> None:
    """The same for Core ``update()`` / ``delete()`` run on a Connection."""
    if isinstance(clause, Update | Delete):
        name = getattr(getattr(clause, "table", None), "name", None)
        if name in APPEND_ONLY_TABLES:
            raise AppendOnly(f"{name} rows are append-only: they are never changed")


# Registered once, when the tables are defined: whatever imports the models gets
# the guard, so no command, route or service can rewrite the audit trail.
for _model in (ChangeLog, AuthEvent):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
event.listen(OrmSession, "do_orm_execute", _refuse_bulk_change)
event.listen(Engine, "before_execute", _refuse_core_change)


# -- watching and being told (#19), access requests and grants (#17), the
# business glossary (#18), OpenLineage (#6, #19) and the harvest (#15): in their
# own modules, registered here -----------------------------------------------------
from catalogue import harvest_models, openlineage_models  # noqa: E402, F401
from catalogue.access_models import AccessRequest  # noqa: E402, F401
from catalogue.glossary_models import GlossaryTerm  # noqa: E402, F401
from catalogue.notify_models import (  # noqa: E402, F401
    Notification,
    NotifyCursor,
    NotifyPreference,
    Watch,
    Webhook,
)

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
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.db import Base, UTCDateTime


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
    update_frequency: Mapped[str | None] = mapped_column(String(20))
    last_updated: Mapped[date | None] = mapped_column(Date)
    review_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
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
    __table_args__ = (
        Index(
            "uq_edges_current_pair",
            "upstream_id",
            "downstream_id",
            unique=True,
            sqlite_where=Column("valid_to").is_(None),
            postgresql_where=Column("valid_to").is_(None),
        ),
    )

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

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    asset_key: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(320), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

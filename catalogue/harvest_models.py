"""Tables of the harvest (#15): what a harvest found in a source system, and
the columns it flagged as maybe personal for a person to review.

Registered on the catalogue's metadata by ``catalogue.models``, which imports
this module, so Alembic and ``catalogue db check`` see every table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.db import Base, UTCDateTime


class HarvestedAsset(Base):
    """An asset a harvest found in a source system: which object it is there
    (``schema.table``, or a file and sheet), and when a harvest last saw it.
    A later harvest of the same scope retires what it no longer finds."""

    __tablename__ = "harvested_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_key: Mapped[str] = mapped_column(String(200), unique=True)
    source_system: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(1000))
    object_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    # A view's definition and the columns it read, hashed, and the tables it read:
    # an unchanged view is not parsed again. A PostgreSQL table's structure as
    # the database describes it, hashed: an unchanged table is not read again.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    reads: Mapped[list[str] | None] = mapped_column(JSON)
    first_harvested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_harvested_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HarvestReview(Base):
    """A column a harvest thinks may hold personal data, for a person to review.
    The harvest only flags: classification, access and lawful basis stay a
    person's decision."""

    __tablename__ = "harvest_reviews"
    __table_args__ = (Index("uq_harvest_reviews_column", "asset_key", "column", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_key: Mapped[str] = mapped_column(String(200), index=True)
    column: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))

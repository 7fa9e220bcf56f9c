"""The table of access requests (#17): a signed-in person asks an asset's owner
and steward for read access until a date, and they approve or decline it with a
reason. An approved request is a grant, in force until the end of its date.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.db import Base, UTCDateTime


class AccessRequest(Base):
    """One person's request for one asset. ``status``: pending, approved or declined.

    ``asset_key`` is the key as the requester gave it, not a foreign key: a request
    for a key that names nothing is kept like any other, so the answer never
    tells someone who may not see a restricted asset that it exists.
    """

    __tablename__ = "access_requests"
    __table_args__ = (Index("ix_access_requests_requester_status", "requester_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_key: Mapped[str] = mapped_column(String(200), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    requester: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)

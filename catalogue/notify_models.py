"""Tables of watching and being told (#19): who watches what, the worker's
cursor on the change log, the outbox of deliveries and the webhooks.

The outbox holds one row per change and recipient, keyed by an idempotency key
(``{seq}:{channel}:{recipient}``): the worker writes the rows and moves its
cursor in one transaction, so a crash neither loses nor repeats a change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.db import Base, UTCDateTime


class Watch(Base):
    """A person watching an asset, a department, or a report with everything
    upstream of it. ``muted`` is an owner's or steward's opt-out of the watch
    they hold on their own assets by default."""

    __tablename__ = "watches"
    __table_args__ = (
        Index("uq_watches_user_target", "user_id", "target_kind", "target", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))  # asset | department
    target: Mapped[str] = mapped_column(String(200))
    upstream: Mapped[bool] = mapped_column(Boolean, default=False)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotifyPreference(Base):
    """How a person is told: ``immediate`` (a message a change), ``daily`` (one
    digest a day) or ``off``. No row: immediate."""

    __tablename__ = "notify_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(20), default="immediate")


class NotifyCursor(Base):
    """One row: the last change sequence the notification worker has handled
    (None until it first runs or someone first watches: history from before
    anyone listened is not news)."""

    __tablename__ = "notify_cursor"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    # The last day overdue reviews were looked for: each is news once, after it falls due.
    reviews_checked_on: Mapped[date | None] = mapped_column(Date)


class Webhook(Base):
    """A URL another system receives events at, signed with ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """The outbox: one change for one recipient on one channel (``email``,
    ``digest`` or ``webhook``), and what became of its delivery."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

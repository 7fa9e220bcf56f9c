"""The notification worker (#19): the third reader of the change log.

``run_once`` (what ``catalogue notify run`` repeats) first turns new changes
into outbox rows, then delivers what is due:

- **Fan-out.** One transaction reads a batch of changes after the cursor,
  writes one outbox row per change and recipient, and moves the cursor. A crash
  rolls all three back: nothing lost, nothing written twice (the idempotency key
  is also unique in the table).
- **Delivery.** Each row is sent, then marked sent in its own commit. A worker
  killed between the two sends that one row again on restart, with the same
  Message-ID or event id, so the receiver can tell it is the same.
- **One at a time.** A worker holds a lock for its whole pass: a PostgreSQL
  advisory lock (released if the process dies), or on SQLite a lock on a file
  beside the database. A second worker waits for it.
"""

from __future__ import annotations

import fcntl
import logging
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from sqlalchemy import Engine, Table, delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.notify_models import Notification, NotifyCursor, Webhook
from catalogue.services import mail, webhooks
from catalogue.services.changes import changes_after, latest_seq
from catalogue.services.fanout import Audience, FanOut, outbox_rows
from catalogue.services.news import news_of
from catalogue.services.notify_settings import NotifySettings
from catalogue.services.overdue import overdue_news
from catalogue.store import Catalogue

log = logging.getLogger(__name__)
#: pg_advisory_lock key of the worker: "notify" as a number.
ADVISORY_KEY = 0x6E6F74696679
FAN_OUT_BATCH = 500
DELIVERY_BATCH = 200


@dataclass
class Pass:
    """What one pass did."""

    changes: int = 0
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    pruned: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@contextmanager
def one_worker(engine: Engine, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the worker lock; if another worker holds it, call ``waiting`` once and wait."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            if not got.scalar():
                if waiting:
                    waiting()
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        return
    path = Path(make_url(engine.url).database or "catalogue.db").with_suffix(".notify-lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def next_digest(now: datetime, hour: int) -> datetime:
    """The next daily digest time (``hour`` o'clock UTC) after ``now``."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)


def fan_out_batch(cat: Catalogue, settings: NotifySettings, now: datetime) -> tuple[int, int]:
    """Turn the next batch of changes into outbox rows: (changes handled, rows queued)."""
    graph = cat.graph()
    with cat.sessions() as session, session.begin():
        cursor = session.get(NotifyCursor, 1, with_for_update=True)
        if cursor is None:
            raise RuntimeError("the database has no notify_cursor row: run `catalogue db upgrade`")
        if cursor.seq is None:
            cursor.seq = latest_seq(session)
            return 0, 0
        changes = changes_after(session, cursor.seq, FAN_OUT_BATCH)
        if not changes:
            return 0, 0
        news = [n for n in map(news_of, changes) if n is not None]
        rows: list[dict] = []
        if news:
            fan = FanOut(graph, Audience.load(session), settings.base_url)
            rows = outbox_rows(fan, news, now, next_digest(now, settings.digest_hour))
        if rows:  # Core, not the ORM's bulk insert: a batch can be 10,000 rows
            session.connection().execute(insert(cast(Table, Notification.__table__)), rows)
        cursor.seq = changes[-1]["seq"]
    return len(changes), len(rows)


def overdue_reviews(cat: Catalogue, settings: NotifySettings, now: datetime) -> int:
    """Once a day: overdue owners' reviews become outbox rows. Returns rows queued."""
    today = now.date()
    graph = cat.graph()
    with cat.sessions() as session, session.begin():
        cursor = session.get(NotifyCursor, 1, with_for_update=True)
        if cursor is None or cursor.seq is None or cursor.reviews_checked_on == today:
            return 0
        news = overdue_news(
            session, cat.settings.review_policy, today, cursor.reviews_checked_on, now
        )
        rows: list[dict] = []
        if news:
            fan = FanOut(graph, Audience.load(session), settings.base_url)
            rows = outbox_rows(fan, news, now, next_digest(now, settings.digest_hour))
        if rows:
            session.connection().execute(insert(cast(Table, Notification.__table__)), rows)
        cursor.reviews_checked_on = today
    return len(rows)


def _after_failure(row: Notification, settings: NotifySettings, now: datetime, retry: bool) -> str:
    """Schedule the next attempt with exponential backoff, or give up."""
    row.attempts += 1
    wait = timedelta(seconds=settings.retry_seconds * 2 ** (row.attempts - 1))
    wait = min(wait, timedelta(hours=1))
    if not retry or now + wait - row.created_at > timedelta(hours=settings.give_up_hours):
        row.state = "failed"
        return "failed"
    row.due_at = now + wait
    return "retrying"


def deliver_due(cat: Catalogue, settings: NotifySettings, now: datetime, done: Pass) -> None:
    """Send every due row: e-mails, webhooks, then digests grouped by person."""
    relay = mail.Relay(settings)
    # Without a relay, e-mail waits (it is not tried, so it is not given up on).
    channels = ("email", "webhook") if settings.smtp_host else ("webhook",)
    try:
        with cat.sessions() as session:
            while True:
                rows = list(
                    session.scalars(
                        select(Notification)
                        .where(Notification.state == "pending", Notification.due_at <= now)
                        .where(Notification.channel.in_(channels))
                        .order_by(Notification.id)
                        .limit(DELIVERY_BATCH)
                    )
                )
                for row in rows:
                    _deliver(session, row, relay, settings, now, done)
                if len(rows) < DELIVERY_BATCH:
                    break
            if settings.smtp_host:
                _deliver_digests(session, relay, settings, now, done)
    finally:
        relay.close()


def _deliver(
    session: Session,
    row: Notification,
    relay: mail.Relay,
    settings: NotifySettings,
    now: datetime,
    done: Pass,
) -> None:
    if row.channel == "webhook":
        hook = session.get(Webhook, row.webhook_id)
        assert hook is not None, "a webhook's deliveries are deleted with it"
        posted = webhooks.post(hook, webhooks.cloud_event(row, settings), settings, now)
        row.last_status = posted.status
        ok, retry, error = posted.ok, posted.retry, posted.error
    else:
        ok, retry, error = _mail(relay, mail.immediate(settings, row.recipient, row.payload,
                                                       row.idempotency_key, now))  # fmt: skip
    _record(row, ok, retry, error, settings, now, done)
    session.commit()


def _record(
    row: Notification,
    ok: bool,
    retry: bool,
    error: str | None,
    settings: NotifySettings,
    now: datetime,
    done: Pass,
) -> None:
    if ok:
        row.state, row.sent_at, row.last_error = "sent", now, None
        row.attempts += 1
        done.sent += 1
        return
    row.last_error = error
    outcome = _after_failure(row, settings, now, retry)
    setattr(done, outcome, getattr(done, outcome) + 1)
    log.warning("delivery %s to %s: %s (%s)", row.id, row.recipient, error, outcome)


def _mail(relay: mail.Relay, message: EmailMessage) -> tuple[bool, bool, str | None]:
    """(sent, worth trying again, why not)."""
    try:
        relay.send(message)
    except smtplib.SMTPRecipientsRefused as error:
        return False, False, f"the relay refused the address: {error.recipients}"
    except (OSError, smtplib.SMTPException) as error:
        relay.close()
        return False, True, f"could not send through the SMTP relay: {error}"
    return True, False, None


def _deliver_digests(
    session: Session, relay: mail.Relay, settings: NotifySettings, now: datetime, done: Pass
) -> None:
    """One message per person whose digest is due, with all its changes."""
    due = select(Notification).where(
        Notification.state == "pending",
        Notification.channel == "digest",
        Notification.due_at <= now,
    )
    people = sorted(set(session.scalars(due.with_only_columns(Notification.recipient))))
    for person in people:
        rows = list(session.scalars(due.where(Notification.recipient == person).order_by(
            Notification.seq)))  # fmt: skip
        key = f"digest:{person}:{rows[-1].idempotency_key}"
        message = mail.digest(settings, person, [r.payload for r in rows], key, now)
        ok, retry, error = _mail(relay, message)
        for row in rows:
            _record(row, ok, retry, error, settings, now, Pass())
        done.sent += ok
        done.retrying += not ok
        session.commit()


def run_once(
    cat: Catalogue,
    settings: NotifySettings,
    now: Callable[[], datetime] = utcnow,
    waiting: Callable[[], None] | None = None,
) -> Pass:
    """One pass under the worker lock: every new change fanned out, everything due sent."""
    done = Pass()
    with one_worker(cat.engine, waiting):
        while True:
            handled, queued = fan_out_batch(cat, settings, now())
            done.changes += handled
            done.queued += queued
            if handled == 0:
                break
        done.queued += overdue_reviews(cat, settings, now())
        deliver_due(cat, settings, now(), done)
        done.pruned = prune_sent(cat, settings, now())
    return done


def prune_sent(cat: Catalogue, settings: NotifySettings, now: datetime) -> int:
    """Delete deliveries sent more than ``keep_sent_days`` ago, so the outbox does
    not grow for ever; returns how many. Pending and failed ones stay (the
    delivery log shows them and ``notify resend`` needs them). A pruned change is
    never fanned out again: the worker's cursor is past it."""
    cutoff = now - timedelta(days=settings.keep_sent_days)
    with cat.sessions() as session, session.begin():
        gone = session.execute(
            delete(Notification).where(Notification.state == "sent", Notification.sent_at < cutoff)
        )
    return int(getattr(gone, "rowcount", 0) or 0)

"""Webhooks (#19): other systems (a Teams or Slack workflow, a ticketing
system) receive each piece of news as a CloudEvents 1.0 event in structured
mode, signed so they can tell it came from the catalogue.

Signature: ``Catalogue-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256, keyed with the webhook's secret, of ``"<t>." + body``. A receiver
recomputes it, compares in constant time, and refuses old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.db import utcnow
from catalogue.errors import NotFound
from catalogue.notify_models import Notification, Webhook
from catalogue.services.access import Principal
from catalogue.services.accounts import require_admin
from catalogue.services.context import Reader
from catalogue.services.notify_settings import NotifySettings
from catalogue.services.record_types import DeliveryRecord, NewWebhook, WebhookRecord
from catalogue.services.watches import start_listening

SIGNATURE_HEADER = "Catalogue-Signature"
EVENT_TYPE_PREFIX = "catalogue."
#: Statuses worth trying again: the receiver is busy, down or slow.
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """The check a receiver makes (documented in the README; used by the tests)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if not parts.get("t", "").isdigit() or "v1" not in parts:
        return False
    return hmac.compare_digest(sign(secret, int(parts["t"]), body), header)


def cloud_event(row: Notification, settings: NotifySettings) -> dict[str, Any]:
    """The CloudEvents 1.0 structured-mode envelope of one outbox row."""
    data = row.payload
    return {
        "specversion": "1.0",
        "id": row.idempotency_key,
        "source": f"{settings.base_url}/api/v1",
        "type": EVENT_TYPE_PREFIX + data["kind"],
        "subject": data.get("subject"),
        "time": data["time"],
        "datacontenttype": "application/json",
        "data": data,
    }


def add_webhook(
    session: Session,
    actor: Principal,
    url: str,
    settings: NotifySettings,
    description: str | None = None,
    secret: str | None = None,
) -> NewWebhook:
    """Register a webhook (admins only). Its secret is generated unless given,
    and returned this once. Raises Forbidden, or Invalid for a URL the settings
    do not allow."""
    require_admin(actor, "register webhooks")
    settings.check_webhook_url(url)
    hook = Webhook(
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        description=description,
        active=True,
        created_by=actor.name,
        created_at=utcnow(),
    )
    session.add(hook)
    start_listening(session)
    session.flush()
    return {**webhook_record(hook), "secret": hook.secret}


def webhook_record(hook: Webhook) -> WebhookRecord:
    return {
        "id": hook.id,
        "url": hook.url,
        "description": hook.description,
        "active": hook.active,
        "created_by": hook.created_by,
        "created_at": hook.created_at.isoformat(),
    }


#: The largest id the database holds (a 32-bit integer): a larger one names nothing.
MAX_ID = 2**31 - 1


def get_webhook(session: Session, hook_id: int) -> Webhook:
    hook = session.get(Webhook, hook_id) if 0 < hook_id <= MAX_ID else None
    if hook is None:
        raise NotFound(f"no webhook {hook_id} (see `catalogue webhook list`)")
    return hook


def list_webhooks(reader: Reader) -> list[WebhookRecord]:
    session, actor = reader.session, reader.principal
    require_admin(actor, "see webhooks")
    return [webhook_record(h) for h in session.scalars(select(Webhook).order_by(Webhook.id))]


def remove_webhook(session: Session, actor: Principal, hook_id: int) -> None:
    """Stop sending to a webhook; its delivery log stays."""
    require_admin(actor, "remove webhooks")
    get_webhook(session, hook_id).active = False


def delivery_record(row: Notification) -> DeliveryRecord:
    return {
        "id": row.id,
        "event": row.idempotency_key,
        "channel": row.channel,
        "recipient": row.recipient,
        "kind": row.payload.get("kind"),
        "text": row.payload.get("text"),
        "state": row.state,
        "attempts": row.attempts,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
        "due_at": row.due_at.isoformat(),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }


def delivery_log(
    reader: Reader, hook_id: int | None = None, limit: int = 100
) -> list[DeliveryRecord]:
    """Newest deliveries first, of one webhook or of every channel (admins only)."""
    session, actor = reader.session, reader.principal
    require_admin(actor, "read the delivery log")
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if hook_id is not None:
        get_webhook(session, hook_id)
        query = query.where(Notification.webhook_id == hook_id)
    return [delivery_record(r) for r in session.scalars(query)]


def send_again(
    session: Session, actor: Principal, delivery_id: int, now: datetime
) -> DeliveryRecord:
    """Queue a delivery again (its event keeps its id, so a receiver can tell)."""
    require_admin(actor, "send deliveries again")
    row = session.get(Notification, delivery_id) if 0 < delivery_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no delivery {delivery_id} (see `catalogue notify log`)")
    row.state, row.attempts, row.due_at, row.created_at = "pending", 0, now, now
    row.last_error = None
    return delivery_record(row)


@dataclass
class Posted:
    """What one attempt came to: ``ok``; else whether to try again, and why."""

    ok: bool
    retry: bool = False
    status: int | None = None
    error: str | None = None


def post(hook: Webhook, event: dict[str, Any], settings: NotifySettings, now: datetime) -> Posted:
    """POST one event to a webhook; never raises for what the receiver does."""
    if not hook.active:
        return Posted(False, error="the webhook was removed")
    if not settings.webhook_allowed(hook.url):
        return Posted(False, error="the URL's host is not in CATALOGUE_WEBHOOK_ALLOWED_HOSTS")
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/cloudevents+json; charset=utf-8",
            SIGNATURE_HEADER: sign(hook.secret, int(now.timestamp()), body),
            "User-Agent": "council-catalogue-webhooks",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.webhook_timeout) as response:  # noqa: S310 - the URL is checked against the allowed hosts
            return Posted(True, status=response.status)
    except urllib.error.HTTPError as error:
        reason = f"the receiver answered {error.code} {error.reason}"
        return Posted(False, retry=error.code in RETRY_STATUSES, status=error.code, error=reason)
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        why = getattr(error, "reason", None) or error
        return Posted(False, retry=True, error=f"could not reach the receiver: {why}")

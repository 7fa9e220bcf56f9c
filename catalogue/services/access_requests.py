"""Access requests and grants (#17): a signed-in person asks for read access to
one asset until a date and says why; its owner and steward hear of it by e-mail
(a row in the notifications outbox of #19, with a link to their pending
requests) and approve or decline it with a reason; the requester hears the
answer the same way. An approved request is a grant: ``services.grants`` reads
it into the ``Principal``, and ``services.access`` enforces it with every other
read rule, until the end of its date.

Every step is a ``change_log`` row (``access.request``, ``access.approve``,
``access.decline``) on the asset's key: the audit trail. A request for a key the
requester may not see is answered exactly as one for a key that names nothing,
so asking never tells anyone that a restricted asset exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from catalogue.access_models import AccessRequest
from catalogue.errors import Conflict, Forbidden, Invalid, NotFound, Problem
from catalogue.models import Asset, Person, User
from catalogue.notify_models import Notification
from catalogue.services.access import Principal, can_read
from catalogue.services.changes import Writer
from catalogue.services.context import Reader
from catalogue.services.record_types import AccessRequestRecord
from catalogue.services.records import asset_record

STATUSES = ("pending", "approved", "declined")
SCOPES = ("mine", "to-decide", "all")
REASON_MAX = 2000
REASON_HINT = "say why you need it and what you will use it for"
REQUESTED, APPROVED, DECLINED = "access.request", "access.approve", "access.decline"
ACTIONS = (REQUESTED, APPROVED, DECLINED)


# -- asking ----------------------------------------------------------------------------
def request_access(
    writer: Writer, key: str, reason: str, until: date, *, max_days: int, base_url: str
) -> AccessRequestRecord:
    """Ask for read access to ``key`` until ``until`` (inclusive), saying why.

    Raises Forbidden for someone without an account, Invalid naming the field for
    no reason or a date in the past or more than ``max_days`` ahead, and Conflict
    for an asset the requester may already see and use (open; restricted and
    theirs to see) or one they already asked for or hold a grant to.
    """
    session, principal, today = writer.session, writer.principal, writer.now.date()
    user = _account(session, principal)
    reason = _reason(reason, "reason", REASON_HINT)
    _check_until(until, today, max_days)
    key = key.strip()
    asset = session.scalar(select(Asset).where(Asset.key == key))
    record = asset_record(asset) if asset is not None else None
    if record is not None and can_read(principal, record):
        _refuse_if_needless(principal, record, key)
    _refuse_if_asked(session, user.id, key, today)
    row = AccessRequest(asset_key=key, requester_id=user.id, requester=principal.name,
                        reason=reason, until=until, status="pending",
                        requested_at=writer.now)  # fmt: skip
    session.add(row)
    session.flush()
    writer.log(REQUESTED, key, None, _snapshot(row))
    if record is not None:
        text = (
            f"{principal.name} asks for access to {record['title']} ({key}) until "
            f"{until:%-d %B %Y}: {reason}"
        )
        link = f"{base_url.rstrip('/')}/access/requests/{row.id}"
        for role, email in (("owner", record["owner_email"]), ("steward", record["steward_email"])):
            to = (email or "").strip().lower()
            why = f"you are the {role} of {record['title']} ({key}): approve or decline it"
            if to and to != (principal.email or "").lower():
                _tell(writer, row, "requested", to, text, link, why)
    return request_record(row, principal, record)


def _account(session: Session, principal: Principal) -> User:
    name = (principal.email or principal.name or "").strip().lower()
    user = session.scalar(select(User).where(or_(User.email == name, User.username == name)))
    if not principal.signed_in or user is None:
        raise Forbidden("sign in with your council account to request access")
    return user


def _reason(text: str | None, field: str, hint: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(f"a {field} is needed", [Problem(hint, field)])
    if len(text) > REASON_MAX:
        raise Invalid(
            f"the {field} is too long", [Problem(f"at most {REASON_MAX} characters", field)]
        )
    return text


def _check_until(until: date, today: date, max_days: int) -> None:
    last = today + timedelta(days=max_days)
    if until < today:
        raise Invalid(
            f"the date {until.isoformat()} has passed",
            [Problem(f"give a date from today ({today.isoformat()}) on", "until")],
        )
    if until > last:
        raise Invalid(
            f"the date {until.isoformat()} is too far ahead",
            [Problem(f"at most {max_days} days ahead: {last.isoformat()} or sooner", "until")],
        )


def _refuse_if_needless(principal: Principal, record: Mapping[str, Any], key: str) -> None:
    """An asset the requester may already see needs no request, except an internal
    one they want to use for a new purpose."""
    if record.get("access") == "open":
        raise Conflict(f"{key!r} is open data: anyone may see and use it, no request needed")
    if record.get("access") != "internal" or principal.sees_everything:
        raise Conflict(f"you may already see {key!r}: no request needed")


def _refuse_if_asked(session: Session, user_id: int, key: str, today: date) -> None:
    open_one = session.scalar(
        select(AccessRequest.status).where(
            AccessRequest.requester_id == user_id,
            AccessRequest.asset_key == key,
            or_(
                AccessRequest.status == "pending",
                (AccessRequest.status == "approved") & (AccessRequest.until >= today),
            ),
        )
    )
    if open_one is not None:
        held = "are waiting for an answer" if open_one == "pending" else "hold a grant"
        raise Conflict(f"you already asked for access to {key!r} and {held}")


# -- deciding --------------------------------------------------------------------------
def decide(
    writer: Writer, request_id: int, approve: bool, reason: str, *, base_url: str
) -> AccessRequestRecord:
    """Approve (a grant until the requested date) or decline a pending request,
    with a reason. Only the asset's owner or steward, or an admin, may; never
    the requester. Raises NotFound, Forbidden, Invalid (no reason) or Conflict
    (already decided; its date has passed; no such asset)."""
    session, principal = writer.session, writer.principal
    row = session.get(AccessRequest, request_id)
    if row is None:
        raise NotFound(f"no access request {request_id}")
    asset = session.scalar(select(Asset).where(Asset.key == row.asset_key))
    record = asset_record(asset) if asset is not None else None
    may = principal.role == "admin" or (
        record is not None and principal.signed_in and principal.is_person_of(record)
    )
    if not may or row.requester.lower() == (principal.email or principal.name).lower():
        raise Forbidden(
            f"you may not decide access request {request_id}: only the asset's owner or "
            "steward (or an admin) may, and never for themselves"
        )
    verb = "approve" if approve else "decline"
    reason = _reason(reason, "reason", f"say why you {verb} it; the requester is told")
    if row.status != "pending":
        raise Conflict(f"access request {request_id} was already {row.status}")
    if approve and record is None:
        raise Conflict(f"no asset has the key {row.asset_key!r}: decline the request instead")
    if approve and row.until < writer.now.date():
        raise Conflict(f"access request {request_id} asked until {row.until}, which has passed")
    before = _snapshot(row)
    row.status = "approved" if approve else "declined"
    row.decided_by, row.decided_at, row.decision_reason = principal.name, writer.now, reason
    session.flush()
    writer.log(APPROVED if approve else DECLINED, row.asset_key, before, _snapshot(row))
    answer = f"approved until {row.until:%-d %B %Y}" if approve else "declined"
    text = f"Your request for access to {row.asset_key} was {answer} by {principal.name}: {reason}"
    link = f"{base_url.rstrip('/')}/" + (f"assets/{row.asset_key}" if approve else "access")
    requester = session.get(User, row.requester_id)
    if requester is not None and requester.email:
        _tell(writer, row, row.status, requester.email, text, link, "you asked for access")
    return request_record(row, principal, record)


def _tell(writer: Writer, row: AccessRequest, step: str, to: str, text: str, link: str,
          why: str) -> None:  # fmt: skip
    """An e-mail in the notifications outbox (#19): the worker delivers it."""
    payload = {"seq": writer.pending[-1]["seq"], "time": writer.now.isoformat(),
               "kind": f"access.{step}", "actor": writer.actor, "text": text,
               "subject": None, "link": link, "reasons": [why], "reports": []}  # fmt: skip
    writer.session.execute(
        insert(Notification),
        [{"idempotency_key": f"access-{row.id}-{step}:email:{to}"[:200],
          "seq": payload["seq"], "channel": "email", "recipient": to, "webhook_id": None,
          "payload": payload, "state": "pending", "attempts": 0,
          "created_at": writer.now, "due_at": writer.now}],
    )  # fmt: skip


# -- reading ---------------------------------------------------------------------------
def _snapshot(row: AccessRequest) -> dict[str, Any]:
    """What the change log keeps of a request at each step."""
    return {
        "request": row.id,
        "requester": row.requester,
        "reason": row.reason,
        "until": row.until.isoformat(),
        "status": row.status,
        "decided_by": row.decided_by,
        "decision_reason": row.decision_reason,
    }


def request_record(
    row: AccessRequest,
    viewer: Principal,
    record: Mapping[str, Any] | None,
    today: date | None = None,
) -> AccessRequestRecord:
    """A request as the surfaces show it; the asset's title only if ``viewer`` may see it."""
    shown = record is not None and can_read(viewer, record)
    in_force = row.status == "approved" and (today is None or row.until >= today)
    return {
        "id": row.id,
        "asset": row.asset_key,
        "title": record["title"] if shown and record else None,
        "access": record.get("access") if shown and record else None,
        "requester": row.requester,
        "reason": row.reason,
        "until": row.until.isoformat(),
        "status": row.status,
        "in_force": in_force,
        "requested_at": row.requested_at.isoformat(),
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        "decision_reason": row.decision_reason,
    }


def list_requests(
    reader: Reader, scope: str, today: date, status: str | None = None
) -> list[AccessRequestRecord]:
    """Requests, newest first. ``mine``: those the principal made; ``to-decide``:
    pending ones for assets they own or steward (every pending one for an admin);
    ``all``: every request, for auditors and admins. Raises Invalid for an unknown
    scope or status, Forbidden for ``all`` asked by anyone else."""
    session, principal = reader.session, reader.principal
    if scope not in SCOPES:
        raise Invalid(f"no scope {scope!r}", [Problem(f"one of {', '.join(SCOPES)}", "scope")])
    if status is not None and status not in STATUSES:
        problem = Problem(f"one of {', '.join(STATUSES)}", "status")
        raise Invalid(f"no status {status!r}", [problem])
    query = select(AccessRequest, Asset).outerjoin(Asset, Asset.key == AccessRequest.asset_key)
    if scope == "mine":
        if not principal.signed_in:
            return []
        query = query.where(func.lower(AccessRequest.requester) == principal.name.lower())
    elif scope == "to-decide":
        query = query.where(AccessRequest.status == "pending")
        if principal.role != "admin":
            mine = (principal.email or principal.name or "").lower()
            if not principal.signed_in or "@" not in mine:
                return []
            people = select(Person.id).where(func.lower(Person.email) == mine)
            query = query.where(or_(Asset.owner_id.in_(people), Asset.steward_id.in_(people)))
    elif not principal.sees_everything:
        raise Forbidden("every access request and grant is for auditors and admins")
    if status is not None:
        query = query.where(AccessRequest.status == status)
    query = query.order_by(AccessRequest.id.desc())
    return [
        request_record(row, principal, asset_record(asset) if asset else None, today)
        for row, asset in session.execute(query)
    ]


def get_request(reader: Reader, request_id: int, today: date) -> AccessRequestRecord:
    """One request, for its requester, the asset's owner and steward, auditors and
    admins; NotFound for anyone else (as for a number that names nothing)."""
    session, principal = reader.session, reader.principal
    row = session.get(AccessRequest, request_id)
    asset = session.scalar(select(Asset).where(Asset.key == row.asset_key)) if row else None
    record = asset_record(asset) if asset is not None else None
    if row is None or not (
        principal.sees_everything
        or (principal.signed_in and row.requester.lower() == principal.name.lower())
        or (record is not None and principal.signed_in and principal.is_person_of(record))
    ):
        raise NotFound(f"no access request {request_id}")
    return request_record(row, principal, record, today)

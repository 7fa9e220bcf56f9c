"""The audit log for auditors and admins: every change and sign-in, filtered by
who, which asset, what and when, as a page and as CSV. The entries are
``services.audit.audit_entries`` (the same call as ``catalogue audit``), which
refuses anyone else."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from flask import Response, render_template, request

from catalogue.errors import Invalid
from catalogue.http import reading
from catalogue.services.record_types import AuditEntry
from catalogue.web.blueprint import bp
from catalogue.web.presenters import signed_in

SHOWN = 100
ACTION_CHOICES = {
    "": "Anything",
    "asset.create": "Assets registered",
    "asset.update": "Assets changed",
    "asset.retire": "Assets retired",
    "asset.schema_change": "Schema changes found by a harvest",
    "edge.add": "Feeds added",
    "edge.end": "Feeds ended",
    "auth": "Sign-ins, tokens and accounts",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _date(name: str, end_of_day: bool) -> tuple[datetime | None, dict[str, str], str | None]:
    """A GOV.UK date input's moment (start or end of the day, UTC), its values, its error."""
    from catalogue.services.audit import parse_moment

    parts = {p: request.args.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")}
    if not any(parts.values()):
        return None, parts, None
    if not all(parts.values()):
        return None, parts, "The date must include a day, month and year"
    text = f"{parts['year']:0>4}-{parts['month']:0>2}-{parts['day']:0>2}"
    try:
        return parse_moment(text, name, end_of_day=end_of_day), parts, None
    except Invalid:
        return None, parts, "The date must be a real date, for example 1 6 2025"


def _filters() -> dict[str, Any]:
    since, since_parts, since_error = _date("since", end_of_day=False)
    until, until_parts, until_error = _date("until", end_of_day=True)
    action = request.args.get("action", "")
    return {
        "actor": request.args.get("actor", "").strip(),
        "asset": request.args.get("asset", "").strip(),
        "action": action if action in ACTION_CHOICES else "",
        "since": since,
        "until": until,
        "parts": {"since": since_parts, "until": until_parts},
        "errors": {
            name: message
            for name, message in (("since", since_error), ("until", until_error))
            if message
        },
    }


def _entries(filters: dict[str, Any], limit: int | None) -> list[AuditEntry]:
    """Matching entries, oldest first (the newest ``limit`` with a limit)."""
    from catalogue.services.audit import audit_entries

    action = filters["action"]
    with reading() as reader:
        entries = audit_entries(
            reader,
            since=filters["since"],
            until=filters["until"],
            actor=filters["actor"] or None,
            asset=filters["asset"] or None,
            limit=None if action else limit,
        )
    if action == "auth":
        entries = [e for e in entries if e["action"].startswith("auth.")]
    elif action:
        entries = [e for e in entries if e["action"] == action]
    return entries[-limit:] if limit else entries


def _query() -> str:
    return request.query_string.decode("utf-8", "replace")


@bp.get("/audit")
@signed_in
def audit_log() -> Any:
    """The newest matching entries, newest first, with filters and a CSV link."""
    filters = _filters()
    entries = [] if filters["errors"] else _entries(filters, SHOWN + 1)
    more = len(entries) > SHOWN
    shown = list(reversed(entries[-SHOWN:]))
    return render_template(
        "web/audit.html",
        filters=filters,
        entries=shown,
        more=more,
        shown=SHOWN,
        actions=ACTION_CHOICES,
        csv_query=_query(),
    )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@bp.get("/audit.csv")
@signed_in
def audit_csv() -> Any:
    """Every matching entry, oldest first, as CSV."""
    from catalogue.services.audit import AUDIT_COLUMNS

    filters = _filters()
    if filters["errors"]:
        raise Invalid("; ".join(filters["errors"].values()), [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(AUDIT_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    for entry in _entries(filters, None):
        writer.writerow({name: _cell(entry.get(name)) for name in AUDIT_COLUMNS})
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )

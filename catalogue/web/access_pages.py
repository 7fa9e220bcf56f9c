"""Access, explained and requested (#17): what an asset's access level allows
and who decides, on its page; a form to ask for access; the owners' and
stewards' page of requests to decide; every request and grant for auditors.

The pages call the same services as the API and ``catalogue access``. Asking for
a key one may not see looks exactly like asking for a key that names nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for

from catalogue.db import utcnow
from catalogue.errors import Conflict, Invalid, Problem
from catalogue.http import catalogue, current_principal
from catalogue.services import access_requests
from catalogue.services.access import Principal, can_read
from catalogue.services.assets import find
from catalogue.services.records import asset_record
from catalogue.web.blueprint import bp
from catalogue.web.presenters import signed_in

ALLOWS = {
    "open": "Anyone may see and use it, inside or outside the council, under its licence.",
    "internal": (
        "Any member of council staff who signs in may see it and use it for the work it "
        "was collected for. Using it for a new purpose needs its owner's or steward's agreement."
    ),
    "restricted": (
        "Only {department}, its owner and steward, auditors, and people its owner or "
        "steward have granted access to until a date may see it or use it."
    ),
}


def _today() -> date:
    return utcnow().date()


def access_explained(record: dict[str, Any]) -> dict[str, Any]:
    """What the asset page says about access: what the level allows, who decides,
    why this reader may see it, and whether they may ask for more."""
    principal = current_principal()
    level = record.get("access") or "internal"
    department = record.get("department")
    staff = f"staff of {department}" if department else "its department"
    allows = ALLOWS.get(level, ALLOWS["internal"]).format(department=staff)
    deciders = [
        f"{record[role] or record[role + '_email']} ({label})"
        for role, label in (("owner", "owner"), ("steward", "steward"))
        if record.get(role) or record.get(f"{role}_email")
    ]
    grant = None
    if principal.signed_in and record["key"] in principal.granted:
        with catalogue().reading(principal) as reader:
            mine = access_requests.list_requests(reader, "mine", _today(), "approved")
        grant = next((r for r in mine if r["asset"] == record["key"] and r["in_force"]), None)
    return {
        "allows": allows,
        "deciders": " and ".join(deciders) if deciders else None,
        "yours": _why_you_see(principal, record, level, grant),
        "grant": grant,
        "may_request": principal.signed_in
        and level == "internal"
        and not principal.sees_everything
        and grant is None,
    }


def _why_you_see(
    principal: Principal, record: dict[str, Any], level: str, grant: Mapping[str, Any] | None
) -> str | None:
    if grant is not None:
        return (
            f"You may see it until {date.fromisoformat(grant['until']):%-d %B %Y}: "
            f"{grant['decided_by']} granted your request."
        )
    if level != "restricted" or not principal.signed_in:
        return None
    if principal.sees_everything:
        return "You see it as an auditor or administrator."
    if principal.is_person_of(record):
        return "You see it as its owner or steward."
    return f"You see it as a member of {record.get('department')}."


@bp.get("/assets/<key>/request-access")
@signed_in
def request_access_form(key: str) -> str:
    """The form to ask for access to an asset: why, and until when."""
    return _form(key, {}, {})


def _form(key: str, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Any:
    title = None
    with catalogue().read() as session:
        asset = find(session, key)
        if asset is not None and can_read(current_principal(), asset_record(asset)):
            title = asset.title
    max_days = catalogue().settings.access_grant_max_days
    page = render_template(
        "web/request_access.html", key=key, title=title, values=values, errors=errors,
        last_day=_today() + timedelta(days=max_days), max_days=max_days,
    )  # fmt: skip
    return (page, status) if status != 200 else page


@bp.post("/assets/<key>/request-access")
@signed_in
def request_access(key: str) -> Any:
    """Send the request to the asset's owner and steward."""
    values = {name: request.form.get(name, "").strip() for name in ("reason", "until")}
    cat = catalogue()
    try:
        until = _parse_date(values["until"])
    except Invalid as error:  # say everything missing at once
        errors = {"reason": access_requests.REASON_HINT} if not values["reason"] else {}
        return _form(key, values, errors | {"until": error.problems[0].message}, 422)
    try:
        with cat.write(current_principal()) as writer:
            access_requests.request_access(
                writer, key, values["reason"], until,
                max_days=cat.settings.access_grant_max_days, base_url=request.host_url,
            )  # fmt: skip
    except Invalid as error:
        errors = {p.field or "reason": p.message for p in error.problems}
        return _form(key, values, errors, 422)
    except Conflict as error:
        return _form(key, values, {"reason": str(error.message)}, 409)
    flash(
        f"Your request for access to {key} is recorded. If its owner or steward approve "
        "it, you will be told by e-mail and it will show here.",
        "success",
    )
    return redirect(url_for("web.access_requests_page"))


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            "the last day of access is not a date",
            [Problem("enter the last day you need it, for example 2027-03-31", "until")],
        ) from None


@bp.get("/access")
@signed_in
def access_requests_page() -> str:
    """Requests to decide (owners and stewards), your own, and for auditors every
    request and grant."""
    principal, today = current_principal(), _today()
    with catalogue().reading(principal) as reader:
        to_decide = access_requests.list_requests(reader, "to-decide", today)
        mine = access_requests.list_requests(reader, "mine", today)
        everything = (
            access_requests.list_requests(reader, "all", today)
            if principal.sees_everything
            else None
        )
    return render_template(
        "web/access_requests.html", to_decide=to_decide, mine=mine, everything=everything
    )


@bp.get("/access/request")
@signed_in
def access_request_by_key() -> Any:
    """From the "ask by key" form: the request form of that key."""
    key = request.args.get("key", "").strip()
    if not key:
        flash("Enter the key of the asset you need.", "error")
        return redirect(url_for("web.access_requests_page"))
    return redirect(url_for("web.request_access_form", key=key))


@bp.get("/access/requests/<int:request_id>")
@signed_in
def access_request_page(request_id: int) -> str:
    """One request, with the form to approve or decline it for those who decide."""
    return _request_page(request_id, {}, {})


def _request_page(request_id: int, values: dict, errors: dict, status: int = 200) -> Any:
    principal = current_principal()
    with catalogue().reading(principal) as reader:
        item = access_requests.get_request(reader, request_id, _today())
        asset = find(reader.session, item["asset"])
        record = asset_record(asset) if asset is not None else None
    may_decide = (
        item["status"] == "pending"
        and (principal.role == "admin" or (record is not None and principal.is_person_of(record)))
        and item["requester"].lower() != principal.name.lower()
    )
    page = render_template(
        "web/access_request.html", item=item, may_decide=may_decide, values=values, errors=errors
    )
    return (page, status) if status != 200 else page


@bp.post("/access/requests/<int:request_id>")
@signed_in
def decide_access_request(request_id: int) -> Any:
    """Approve or decline (``decision``), with a reason the requester is told."""
    values = {name: request.form.get(name, "").strip() for name in ("decision", "reason")}
    if values["decision"] not in ("approve", "decline"):
        return _request_page(request_id, values, {"decision": "Choose approve or decline"}, 422)
    try:
        with catalogue().write(current_principal()) as writer:
            decided = access_requests.decide(
                writer, request_id, values["decision"] == "approve", values["reason"],
                base_url=request.host_url,
            )  # fmt: skip
    except Invalid as error:
        errors = {p.field or "reason": p.message for p in error.problems}
        return _request_page(request_id, values, errors, 422)
    flash(f"You {decided['status']} {decided['requester']}'s request for {decided['asset']}.",
          "success")  # fmt: skip
    return redirect(url_for("web.access_requests_page"))


def register_access_helpers(app: Flask) -> None:
    """The helper the asset page calls: access_explained."""
    app.jinja_env.globals["access_explained"] = access_explained

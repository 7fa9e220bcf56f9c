"""Governance pages: an owner confirms an asset is still correct; overdue and
upcoming reviews per person and per department; the Information Asset Register
for auditors and admins (page, CSV, XLSX, ODS).

Everything comes from ``services.reviews`` and ``services.registers``, the calls
the CLI makes, with the signed-in principal.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from catalogue import spreadsheets
from catalogue.db import utcnow
from catalogue.governance import ReviewPolicy
from catalogue.http import catalogue, current_principal
from catalogue.services import registers, reviews
from catalogue.services.access import Principal
from catalogue.web.blueprint import bp
from catalogue.web.presenters import department_slug, nice_date, signed_in

#: "What I need to review" also lists reviews falling due this many days ahead.
UPCOMING_DAYS = 60


def today() -> date:
    return utcnow().date()


def _policy() -> ReviewPolicy:
    return catalogue().settings.review_policy


def review_state(record: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """What the asset page says about its review: when it is due, since when it
    is overdue, and whether the reader may confirm it."""
    policy = _policy()
    return {
        "due": policy.next_review(record),
        "overdue_since": policy.overdue_since(record, today()),
        "can_review": record.get("status") == "active" and reviews.may_review(principal, record),
    }


@bp.post("/assets/<key>/review")
@signed_in
def review_asset(key: str) -> Any:
    """The owner or steward confirms the asset is still correct (403 for anyone else)."""
    note = request.form.get("note", "")
    with catalogue().write(current_principal()) as writer:
        record = reviews.record_review(writer, key, _policy(), note)
    flash(
        f"You confirmed {record['title']} is still correct. "
        f"Its next review is due on {nice_date(record['review_date'])}.",
        "success",
    )
    return redirect(url_for("web.asset", key=key))


def _split(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return [r for r in rows if r["overdue"]], [r for r in rows if not r["overdue"]]


@bp.get("/reviews")
@signed_in
def my_reviews() -> Any:
    """The signed-in person's reviews: what I need to review."""
    principal = current_principal()
    if not principal.email:
        abort(404, description="Your account has no email address, so no asset names you.")
    return redirect(url_for("web.person_reviews", email=principal.email))


@bp.get("/people/<email>/reviews")
def person_reviews(email: str) -> str:
    """Reviews overdue or due soon for the assets one person owns or stewards."""
    email = email.strip().lower()
    principal = current_principal()
    with catalogue().read() as session:
        rows = reviews.due_reviews(
            session, principal, _policy(), today(), person=email, within_days=UPCOMING_DAYS
        )
    overdue, upcoming = _split(rows)
    me = (principal.email or "").lower() == email
    named = next((r["owner"] for r in rows if (r["owner_email"] or "") == email), None) or next(
        (r["steward"] for r in rows if (r["steward_email"] or "") == email), None
    )
    return render_template(
        "web/reviews.html",
        heading="What I need to review" if me else f"Reviews for {named or email}",
        caption=named or email if me else "Owners' reviews",
        overdue=overdue,
        upcoming=upcoming,
        upcoming_days=UPCOMING_DAYS,
        back=("Back to " + (named or email), url_for("web.person", email=email)),
        show_department=True,
    )


@bp.get("/departments/<slug>/reviews")
def department_reviews(slug: str) -> str:
    """Reviews overdue or due soon in one department."""
    cat = catalogue()
    principal = current_principal()
    with cat.read() as session:
        names = {department_slug(n): n for n in reviews.department_names(session)}
        if slug not in names:
            abort(404, description="There is no department at this address.")
        rows = reviews.due_reviews(
            session,
            principal,
            _policy(),
            today(),
            department=names[slug],
            within_days=UPCOMING_DAYS,
        )
    overdue, upcoming = _split(rows)
    return render_template(
        "web/reviews.html",
        heading=f"Reviews in {names[slug]}",
        caption="Owners' reviews",
        overdue=overdue,
        upcoming=upcoming,
        upcoming_days=UPCOMING_DAYS,
        back=("Back to " + names[slug], url_for("web.department", slug=slug)),
        show_department=False,
    )


# -- the Information Asset Register --------------------------------------------------


def _register(department: str | None) -> registers.Register:
    with catalogue().read() as session:
        return registers.information_asset_register(
            session, current_principal(), _policy(), department
        )


@bp.get("/governance/iar")
@signed_in
def iar() -> str:
    """The Information Asset Register as a table, with downloads (auditors, admins)."""
    department = request.args.get("department") or None
    register = _register(department)
    with catalogue().read() as session:
        departments = sorted(reviews.department_names(session))
    return render_template(
        "web/iar.html", register=register, department=department, departments=departments
    )


@bp.get("/governance/iar.<fmt>")
@signed_in
def iar_file(fmt: str) -> Response:
    """The register as a file: csv, xlsx or ods."""
    if fmt not in spreadsheets.MEDIA_TYPES:
        abort(404, description="The register comes as .csv, .xlsx or .ods.")
    register = _register(request.args.get("department") or None)
    data = spreadsheets.file_bytes(fmt, register.title, register.headings, register.rows)
    return Response(
        data,
        mimetype=spreadsheets.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename=information-asset-register.{fmt}"},
    )


# -- the record of processing activities (Article 30) ------------------------------


def _record_of_processing(department: str | None) -> tuple[list[dict[str, Any]], Any]:
    with catalogue().read() as session:
        return registers.record_of_processing(
            session, current_principal(), catalogue().settings.controller, department
        )


@bp.get("/governance/ropa")
@signed_in
def ropa() -> str:
    """The Article 30 record of processing, grouped by purpose (auditors, admins)."""
    department = request.args.get("department") or None
    groups, _register = _record_of_processing(department)
    with catalogue().read() as session:
        departments = reviews.department_names(session)
    return render_template(
        "web/ropa.html",
        groups=groups,
        department=department,
        departments=departments,
        controller=catalogue().settings.controller,
    )


@bp.get("/governance/ropa.<fmt>")
@signed_in
def ropa_file(fmt: str) -> Response:
    """The record of processing as a file: csv, xlsx or ods (one row per purpose)."""
    if fmt not in spreadsheets.MEDIA_TYPES:
        abort(404, description="The record of processing comes as .csv, .xlsx or .ods.")
    _groups, register = _record_of_processing(request.args.get("department") or None)
    data = spreadsheets.file_bytes(fmt, register.title, register.headings, register.rows)
    return Response(
        data,
        mimetype=spreadsheets.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename=record-of-processing.{fmt}"},
    )

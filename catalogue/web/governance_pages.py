"""Governance pages: an owner confirms an asset is still correct; overdue and
upcoming reviews per person and per department; the Information Asset Register
for auditors and admins (page, CSV, XLSX, ODS).

Everything comes from ``services.reviews`` and ``services.registers``, the calls
the CLI makes, with the signed-in principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from catalogue import spreadsheets
from catalogue.coverage import MEASURES, missed_targets
from catalogue.db import utcnow
from catalogue.governance import ReviewPolicy
from catalogue.http import catalogue, current_principal, reading
from catalogue.services import registers, reviews
from catalogue.services.access import Principal
from catalogue.services.record_types import DueReview
from catalogue.web.blueprint import bp
from catalogue.web.lineage_pages import as_of_from_request
from catalogue.web.presenters import department_slug, nice_date, signed_in

#: "What I need to review" also lists reviews falling due this many days ahead.
UPCOMING_DAYS = 60


def today() -> date:
    return utcnow().date()


def _policy() -> ReviewPolicy:
    return catalogue().settings.review_policy


def review_state(record: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
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


def _split(rows: list[DueReview]) -> tuple[list[DueReview], list[DueReview]]:
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
    with catalogue().reading(principal) as reader:
        rows = reviews.due_reviews(
            reader, _policy(), today(), person=email, within_days=UPCOMING_DAYS
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
    with cat.reading(principal) as reader:
        names = {department_slug(n): n for n in reviews.department_names(reader.session)}
        if slug not in names:
            abort(404, description="There is no department at this address.")
        rows = reviews.due_reviews(
            reader,
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
    with reading() as reader:
        return registers.information_asset_register(reader, _policy(), department)


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
    with reading() as reader:
        return registers.record_of_processing(reader, catalogue().settings.controller, department)


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


# -- coverage: the governance page ---------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 640, 260, 40


def trend_chart(trend: list[dict[str, Any]], measure: str, target: float) -> dict[str, Any]:
    """Where to draw the trend of one measure: a point per month (None where the
    measure applied to nothing), the target's height and the axis labels."""
    inner_w = CHART_WIDTH - 2 * CHART_MARGIN
    inner_h = CHART_HEIGHT - 2 * CHART_MARGIN
    step = inner_w / max(1, len(trend) - 1)

    def y(percent: float) -> float:
        return round(CHART_MARGIN + inner_h * (1 - percent / 100), 1)

    points = []
    for index, row in enumerate(trend):
        percent = row[measure]["percent"]
        x = round(CHART_MARGIN + index * step, 1)
        points.append({"x": x, "y": y(percent) if percent is not None else None, "row": row})
    drawn = [p for p in points if p["y"] is not None]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_MARGIN,
        "right": CHART_WIDTH - CHART_MARGIN,
        "bottom": CHART_HEIGHT - CHART_MARGIN,
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in drawn),
        "target_y": y(target),
        "gridlines": [{"label": f"{v}%", "y": y(v)} for v in (0, 25, 50, 75, 100)],
    }


@bp.get("/governance")
@signed_in
def governance_home() -> tuple[str, int]:
    """Coverage of the register per department, now or as of a date, the
    departments that miss their targets, and the trend over 12 months."""
    cat = catalogue()
    principal = current_principal()
    settings = cat.settings
    form = as_of_from_request()
    measure = request.args.get("measure", "reviewed")
    if measure not in {m.name for m in MEASURES}:
        measure = "reviewed"
    now = utcnow()
    error = form.error
    as_of = form.moment.date() if form.moment and not error else None
    if as_of is not None and as_of > now.date():
        error, as_of = "The date must be today or in the past", None
    with cat.reading(principal) as reader:
        rows = registers.coverage(reader, settings.review_policy, now, as_of)
        trend = registers.coverage_over_time(reader, settings.review_policy, now)
    targets = settings.coverage_targets
    return render_template(
        "web/governance.html",
        rows=rows,
        measures=MEASURES,
        targets=targets,
        missed=missed_targets(rows, targets),
        trend=trend,
        chart=trend_chart(trend, measure, targets[measure]),
        measure=next(m for m in MEASURES if m.name == measure),
        as_of=as_of,
        date_parts=form.parts,
        date_error=error,
    ), (422 if error else 200)

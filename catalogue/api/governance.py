"""``/api/v1`` governance: owners' reviews, the Information Asset Register, the
Article 30 record of processing and the register's coverage (#18).

The same calls as the pages and the CLI (``services.reviews``,
``services.registers``), with the same permissions: anyone sees the reviews due
on the assets they may see, the owner or steward (or an admin) records a review,
and only auditors and admins read the registers and coverage.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields, validate

from catalogue.api.base import document, load_body, load_query, signed_in
from catalogue.api.blueprint import bp
from catalogue.coverage import MEASURES, missed_targets
from catalogue.db import utcnow
from catalogue.http import catalogue, reading
from catalogue.services import registers, reviews

TAG = "governance"
NOT_GOVERNANCE = "only auditors and admins: the registers list every department's assets"
UNKNOWN_DEPARTMENT = "no such department"


# -- schemas ------------------------------------------------------------------------
class DepartmentQuery(Schema):
    department = fields.String(metadata={"description": "only this department"})


class DueQuery(DepartmentQuery):
    person = fields.String(metadata={"description": "only assets this email owns or stewards"})
    within = fields.Integer(
        load_default=0,
        validate=validate.Range(0, 3660),
        metadata={"description": "also reviews falling due within this many days"},
    )


class ReviewInSchema(Schema):
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=reviews.NOTE_MAX),
        metadata={"description": "what you checked, or what changed (kept in the history)"},
    )


class ReviewOutSchema(Schema):
    key = fields.String()
    last_reviewed = fields.Date()
    last_reviewed_by = fields.String()
    last_review_note = fields.String(allow_none=True)
    review_date = fields.Date(metadata={"description": "the next review falls due then"})
    version = fields.Integer()


class DueSchema(Schema):
    key = fields.String()
    title = fields.String()
    department = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    owner_email = fields.String(allow_none=True)
    steward = fields.String(allow_none=True)
    steward_email = fields.String(allow_none=True)
    due = fields.Date()
    overdue = fields.Boolean()


class DueListSchema(Schema):
    reviews = fields.List(fields.Nested(DueSchema))


class RegisterSchema(Schema):
    title = fields.String()
    headings = fields.List(fields.String(), metadata={"description": "the columns, in order"})
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))


class ProcessingSchema(Schema):
    controller = fields.Dict(metadata={"description": "name, contact and DPO (configuration)"})
    purposes = fields.List(
        fields.Dict(), metadata={"description": "one group per purpose, Article 30(1) items"}
    )


class CoverageQuery(DepartmentQuery):
    as_of = fields.Date(metadata={"description": "the register at the end of this day (UTC)"})


class CoverageSchema(Schema):
    as_of = fields.Date(allow_none=True)
    measures = fields.List(fields.Dict(), metadata={"description": "name and heading of each"})
    targets = fields.Dict(keys=fields.String(), values=fields.Float())
    rows = fields.List(
        fields.Dict(),
        metadata={"description": "per department then overall: assets, and met/of/percent"},
    )
    missed = fields.List(fields.Dict(), metadata={"description": "departments below a target"})


class TrendSchema(Schema):
    points = fields.List(
        fields.Dict(), metadata={"description": "overall coverage at each month end, then today"}
    )


GOVERNANCE_RESPONSES: dict[int, Any] = {403: NOT_GOVERNANCE, 404: UNKNOWN_DEPARTMENT}


# -- routes -------------------------------------------------------------------------
@bp.post("/assets/<key>/review")
@document(
    "Review an asset",
    tag=TAG,
    body=ReviewInSchema,
    auth=True,
    responses={
        200: ("the review recorded", ReviewOutSchema),
        403: "only its owner, its steward or an admin",
        404: "no such asset (or not one you may see)",
    },
)
def review_asset(key: str) -> Response:
    """Confirm the asset's record is still correct, as its owner or steward: the
    next review falls one interval on, and the review is in its history."""
    principal = signed_in()
    note = load_body(ReviewInSchema)["note"]
    cat = catalogue()
    with cat.write(principal) as writer:
        record = reviews.record_review(writer, key, cat.settings.review_policy, note)
    return jsonify({name: record.get(name) for name in ReviewOutSchema().fields})


@bp.get("/reviews")
@document(
    "Reviews due",
    tag=TAG,
    query=DueQuery,
    responses={200: ("overdue first, soonest first", DueListSchema), 404: UNKNOWN_DEPARTMENT},
)
def reviews_due() -> Response:
    """Active assets you may see whose owner's review is overdue (or due within
    ``within`` days), by ``department`` or ``person``, soonest first."""
    params = load_query(DueQuery)
    with reading() as reader:
        rows = reviews.due_reviews(
            reader,
            catalogue().settings.review_policy,
            utcnow().date(),
            department=params.get("department"),
            person=params.get("person"),
            within_days=params["within"],
        )
    names = list(DueSchema().fields)
    return jsonify(reviews=[{name: row.get(name) for name in names} for row in rows])


@bp.get("/governance/iar")
@document(
    "Information Asset Register",
    tag=TAG,
    query=DepartmentQuery,
    auth=True,
    responses={200: ("the register", RegisterSchema), **GOVERNANCE_RESPONSES},
)
def information_asset_register() -> Response:
    """One row per information asset, with the columns the README lists (the
    same as ``catalogue governance iar --format json``)."""
    principal = signed_in()
    department = load_query(DepartmentQuery).get("department")
    with catalogue().reading(principal) as reader:
        register = registers.information_asset_register(
            reader, catalogue().settings.review_policy, department
        )
    return jsonify(asdict(register))


@bp.get("/governance/ropa")
@document(
    "Record of processing (Article 30)",
    tag=TAG,
    query=DepartmentQuery,
    auth=True,
    responses={200: ("the record, by purpose", ProcessingSchema), **GOVERNANCE_RESPONSES},
)
def record_of_processing() -> Response:
    """The Article 30 record of processing activities, grouped by purpose, with
    the controller and DPO from configuration."""
    principal = signed_in()
    department = load_query(DepartmentQuery).get("department")
    controller = catalogue().settings.controller
    with catalogue().reading(principal) as reader:
        groups, _register = registers.record_of_processing(reader, controller, department)
    return jsonify(controller=asdict(controller), purposes=groups)


@bp.get("/governance/coverage")
@document(
    "Coverage of the register",
    tag=TAG,
    query=CoverageQuery,
    auth=True,
    responses={
        200: ("per department and overall", CoverageSchema),
        **GOVERNANCE_RESPONSES,
        422: "as_of is not a date, or is after today",
    },
)
def coverage() -> Response:
    """How complete the register is, per department and overall, now or at the
    end of ``as_of`` (replayed from the change log), and which departments miss
    their targets."""
    principal = signed_in()
    params = load_query(CoverageQuery)
    settings = catalogue().settings
    with catalogue().reading(principal) as reader:
        rows = registers.coverage(
            reader,
            settings.review_policy,
            utcnow(),
            params.get("as_of"),
            params.get("department"),
        )
    as_of = params.get("as_of")
    return jsonify(
        as_of=as_of.isoformat() if as_of else None,
        measures=[{"name": m.name, "heading": m.heading} for m in MEASURES],
        targets=settings.coverage_targets,
        rows=rows,
        missed=missed_targets(rows, settings.coverage_targets),
    )


@bp.get("/governance/coverage/trend")
@document(
    "Coverage over 12 months",
    tag=TAG,
    auth=True,
    responses={200: ("the points, oldest first", TrendSchema), 403: NOT_GOVERNANCE},
)
def coverage_trend() -> Response:
    """The overall coverage at the end of each of the last 12 months and today:
    the data of the governance page's chart."""
    principal = signed_in()
    settings = catalogue().settings
    with catalogue().reading(principal) as reader:
        points = registers.coverage_over_time(reader, settings.review_policy, utcnow())
    return jsonify(points=points)

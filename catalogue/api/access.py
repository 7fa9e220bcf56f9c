"""``/api/v1``: access requests and grants (#17). The same services as the
pages and ``catalogue access``: ask for access to an asset, decide a request on
an asset you own or steward, and, for auditors, every request and grant."""

from __future__ import annotations

from flask import Response, jsonify, request
from marshmallow import Schema, fields, validate

from catalogue.api.base import document, load_body, load_query, signed_in
from catalogue.api.blueprint import bp
from catalogue.db import utcnow
from catalogue.http import catalogue
from catalogue.services import access_requests
from catalogue.services.access import Principal

TAG = "access"


class AccessRequestInSchema(Schema):
    """Why you need the asset, and until when (at most the configured days ahead)."""

    reason = fields.String(required=True, validate=validate.Length(1, access_requests.REASON_MAX))
    until = fields.Date(required=True, metadata={"description": "the last day of access"})


class DecisionInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, access_requests.REASON_MAX))


class AccessRequestSchema(Schema):
    id = fields.Integer()
    asset = fields.String()
    title = fields.String(allow_none=True, metadata={"description": "if you may see the asset"})
    access = fields.String(allow_none=True)
    requester = fields.String()
    reason = fields.String()
    until = fields.String()
    status = fields.String(metadata={"enum": list(access_requests.STATUSES)})
    in_force = fields.Boolean(metadata={"description": "approved and not past its date"})
    requested_at = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class AccessRequestListSchema(Schema):
    items = fields.List(fields.Nested(AccessRequestSchema))


class AccessRequestQuery(Schema):
    scope = fields.String(
        load_default="mine", validate=validate.OneOf(access_requests.SCOPES),
        metadata={"description": "mine, to-decide (yours to answer) or all (auditors)"},
    )  # fmt: skip
    status = fields.String(validate=validate.OneOf(access_requests.STATUSES))


def _base_url() -> str:
    return request.host_url


@bp.post("/assets/<key>/access-requests")
@document(
    "Request access to an asset",
    tag=TAG,
    body=AccessRequestInSchema,
    auth=True,
    responses={
        201: ("the request, pending", AccessRequestSchema),
        403: "not signed in with an account",
        409: "you may already see it, or already asked",
    },
)
def request_access(key: str) -> Response:
    """Ask the asset's owner and steward for read access until a date; they are
    e-mailed. A key you may not see is answered as one that names nothing (201):
    asking never tells you a restricted asset exists."""
    principal = signed_in()
    body = load_body(AccessRequestInSchema)
    cat = catalogue()
    with cat.write(principal) as writer:
        record = access_requests.request_access(
            writer, key, body["reason"], body["until"],
            max_days=cat.settings.access_grant_max_days, base_url=_base_url(),
        )  # fmt: skip
    response = jsonify(record)
    response.status_code = 201
    return response


@bp.get("/access-requests")
@document(
    "Access requests",
    tag=TAG,
    query=AccessRequestQuery,
    auth=True,
    responses={200: ("newest first", AccessRequestListSchema), 403: "all is for auditors"},
)
def list_requests() -> Response:
    """Your requests (``scope=mine``), the pending ones on assets you own or
    steward (``to-decide``), or every one (``all``, auditors and admins)."""
    principal = signed_in()
    query = load_query(AccessRequestQuery)
    return _listed(principal, query["scope"], query.get("status"))


@bp.get("/access-grants")
@document(
    "Access grants",
    tag=TAG,
    auth=True,
    responses={200: ("newest first", AccessRequestListSchema), 403: "for auditors and admins"},
)
def list_grants() -> Response:
    """Every approved request, in force or past its date (``in_force``): auditors
    and admins."""
    return _listed(signed_in(), "all", "approved")


def _listed(principal: Principal, scope: str, status: str | None) -> Response:
    with catalogue().reading(principal) as reader:
        items = access_requests.list_requests(reader, scope, utcnow().date(), status)
    return jsonify({"items": items})


@bp.get("/access-requests/<int:request_id>")
@document(
    "An access request",
    tag=TAG,
    auth=True,
    responses={200: ("the request", AccessRequestSchema), 404: "not one you may see"},
)
def get_request(request_id: int) -> Response:
    """One request: for its requester, the asset's owner and steward, auditors, admins."""
    principal = signed_in()
    with catalogue().reading(principal) as reader:
        record = access_requests.get_request(reader, request_id, utcnow().date())
    return jsonify(record)


def _decide(request_id: int, approve: bool) -> Response:
    principal = signed_in()
    body = load_body(DecisionInSchema)
    with catalogue().write(principal) as writer:
        record = access_requests.decide(
            writer, request_id, approve, body["reason"], base_url=_base_url()
        )
    return jsonify(record)


DECISION_RESPONSES = {
    200: ("the request, decided", AccessRequestSchema),
    403: "not the asset's owner or steward",
    404: "no such request",
    409: "already decided, or past its date",
}


@bp.post("/access-requests/<int:request_id>/approve")
@document(
    "Approve an access request",
    tag=TAG, body=DecisionInSchema, auth=True, responses=DECISION_RESPONSES,
)  # fmt: skip
def approve_request(request_id: int) -> Response:
    """Grant the requester read access to the asset until the date they asked for,
    with a reason they are told. The asset's owner or steward, or an admin."""
    return _decide(request_id, True)


@bp.post("/access-requests/<int:request_id>/decline")
@document(
    "Decline an access request",
    tag=TAG, body=DecisionInSchema, auth=True, responses=DECISION_RESPONSES,
)  # fmt: skip
def decline_request(request_id: int) -> Response:
    """Decline, with a reason the requester is told. The asset's owner or steward,
    or an admin."""
    return _decide(request_id, False)

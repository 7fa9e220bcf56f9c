"""``/api/v1/watches``: what the signed-in person watches (#19). The same
services as ``catalogue watch``; an asset they may not see is 404."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalogue.api.base import document, load_body, signed_in
from catalogue.api.blueprint import bp
from catalogue.http import catalogue
from catalogue.services import watches

TAG = "watches"


#: In the OpenAPI document: exactly one of asset and department.
BODY_RULES = {"WatchIn": {"oneOf": [{"required": ["asset"]}, {"required": ["department"]}]}}


class JsonBoolean(fields.Boolean):
    """true or false, as JSON says them: 0, 1 and "yes" are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class WatchInSchema(Schema):
    """Name an asset (optionally with everything upstream) or a department."""

    asset = fields.String(validate=validate.Length(1, 200))
    department = fields.String(validate=validate.Length(1, 200))
    upstream = JsonBoolean(load_default=False)

    @validates_schema
    def one_target(self, data: dict, **_: object) -> None:
        if ("asset" in data) == ("department" in data):
            raise ValidationError("give either asset or department", "asset")


class WatchSchema(Schema):
    kind = fields.String(metadata={"enum": list(watches.TARGET_KINDS)})
    target = fields.String()
    upstream = fields.Boolean()
    source = fields.String(metadata={"description": "chosen, or owner/steward (by default)"})
    created_at = fields.String(allow_none=True)


class WatchListSchema(Schema):
    items = fields.List(fields.Nested(WatchSchema))


@bp.get("/watches")
@document("What you watch", tag=TAG, auth=True, responses={200: ("yours", WatchListSchema)})
def list_watches() -> Response:
    """Your watches, including the assets you own or steward (unless you opted out)."""
    principal = signed_in()
    with catalogue().read() as session:
        items = watches.list_watches(session, watches.account_of(session, principal))
    return jsonify({"items": items})


@bp.post("/watches")
@document(
    "Watch an asset or a department",
    tag=TAG,
    body=WatchInSchema,
    auth=True,
    responses={201: ("the watch", WatchSchema), 404: "no such asset (or not one you may see)"},
)
def add_watch() -> Response:
    """Watch an asset (``upstream: true`` for everything that feeds it too) or a
    department; you are told of changes by e-mail or in your daily digest."""
    principal = signed_in()
    body = load_body(WatchInSchema)
    kind = "asset" if "asset" in body else "department"
    with catalogue().sessions() as session, session.begin():
        user = watches.account_of(session, principal)
        record = watches.add_watch(
            session, user, watches.Target(kind, body[kind]), body["upstream"]
        )
    response = jsonify(record)
    response.status_code = 201
    return response


# A department's name may hold "/" ("Planning / Building Control"): the rest of
# the path is the target, whole.
@bp.delete("/watches/<kind>/<path:target>", merge_slashes=False)
@document(
    "Stop watching",
    tag=TAG,
    auth=True,
    responses={204: "no longer watched", 404: "you do not watch it"},
)
def remove_watch(kind: str, target: str) -> Response:
    """Stop watching ``asset/{key}`` or ``department/{name}``; an owner or steward
    opts out of their own asset this way."""
    principal = signed_in()
    with catalogue().sessions() as session, session.begin():
        user = watches.account_of(session, principal)
        watches.remove_watch(session, user, watches.Target(kind, target))
    return Response(status=204)

"""``/api/v1/glossary``: the business glossary (#18), through the same service
calls as the CLI and the pages (``services.glossary``), with the same rules:
staff read terms; admins, and stewards of the term's department or its owner,
add and change them. A change names the version it changes (If-Match)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify
from marshmallow import Schema, fields, validate

from catalogue.api.base import document, etag_of, if_match, json_body, load_query, signed_in
from catalogue.api.blueprint import bp
from catalogue.errors import PreconditionFailed, PreconditionRequired
from catalogue.glossary_schema import STATUSES, TermSchema
from catalogue.http import catalogue
from catalogue.services import glossary

TAG = "glossary"


class GlossaryQuery(Schema):
    status = fields.String(
        validate=validate.OneOf(STATUSES, error="must be one of: " + ", ".join(STATUSES)),
        metadata={"description": "only terms of this status"},
    )
    department = fields.String(metadata={"description": "only this department's terms"})


class TermOutSchema(Schema):
    slug = fields.String()
    name = fields.String()
    definition = fields.String(metadata={"description": "Markdown"})
    synonyms = fields.List(fields.String())
    owner = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    related = fields.List(fields.String(), metadata={"description": "slugs of related terms"})
    assets = fields.List(
        fields.String(), metadata={"description": "assets (KEY) and columns (KEY:COLUMN)"}
    )
    status = fields.String(metadata={"enum": list(STATUSES)})
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class GlossarySchema(Schema):
    terms = fields.List(fields.Nested(TermOutSchema), metadata={"description": "A to Z"})


class TermDetailSchema(TermOutSchema):
    linked_assets = fields.List(
        fields.Dict(), metadata={"description": "key, title, column: those you may see"}
    )
    history = fields.List(fields.Dict(), metadata={"description": "every change, oldest first"})


class TermChangesSchema(TermSchema):
    """A PATCH body: the term's fields, each optional."""


WRITE_RESPONSES: dict[int, Any] = {
    403: "stewards change terms of their own department, or that they own",
    409: "the name or a synonym is already another term's word",
}


@bp.get("/glossary")
@document(
    "The glossary",
    tag=TAG,
    query=GlossaryQuery,
    auth=True,
    responses={200: ("terms A to Z", GlossarySchema), 404: "no such department"},
)
def glossary_index() -> Response:
    """The council's terms, A to Z, optionally of one status or department."""
    principal = signed_in()
    params = load_query(GlossaryQuery)
    with catalogue().reading(principal) as reader:
        terms = glossary.list_terms(reader, params.get("status"), params.get("department"))
    return jsonify(terms=terms)


@bp.post("/glossary")
@document(
    "Add a term",
    tag=TAG,
    body=TermSchema,
    auth=True,
    responses={201: ("the term added", TermOutSchema), **WRITE_RESPONSES},
)
def glossary_add() -> Response:
    """Add a term (a draft unless ``status`` is approved); its slug is made from its name."""
    principal = signed_in()
    body = json_body()
    with catalogue().write(principal) as writer:
        record = glossary.add_term(writer, body)
    response = jsonify(record)
    response.status_code = 201
    response.headers["ETag"] = etag_of(record["version"])
    return response


@bp.get("/glossary/<slug>")
@document(
    "A term",
    tag=TAG,
    auth=True,
    responses={200: ("the term, what it describes, its history", TermDetailSchema), 404: "none"},
)
def glossary_term(slug: str) -> Response:
    """A term with the assets and columns it describes (those you may see) and its history."""
    principal = signed_in()
    with catalogue().reading(principal) as reader:
        record = glossary.get_term(reader, slug)
        linked = glossary.linked_assets(reader, record)
        changes = glossary.history(reader, slug)
    response = jsonify({**record, "linked_assets": linked, "history": changes})
    response.headers["ETag"] = etag_of(record["version"])
    return response


@bp.patch("/glossary/<slug>")
@document(
    "Change a term",
    tag=TAG,
    body=TermChangesSchema,
    auth=True,
    responses={
        200: ("the term as changed", TermOutSchema),
        404: "no such term",
        412: "the term changed since you read it",
        428: "no If-Match: send the ETag the term was read with",
        **WRITE_RESPONSES,
    },
)
def glossary_change(slug: str) -> Response:
    """Change some fields of a term; the change is kept in its history."""
    principal = signed_in()
    body = json_body()
    expected = if_match()
    if expected is None and current_app.config.get("REQUIRE_IF_MATCH", True):
        raise PreconditionRequired(
            f"send If-Match with the ETag that GET /api/v1/glossary/{slug} returned, so that "
            "two people cannot overwrite each other's work"
        )
    with catalogue().write(principal) as writer:
        current = glossary.get_term(writer, slug)
        if expected is not None and expected != current["version"]:
            raise PreconditionFailed(
                f"term {slug!r} has changed since you read it: If-Match names version "
                f"{expected}, the glossary now holds version {current['version']}"
            )
        record = glossary.update_term(writer, slug, body)
    response = jsonify(record)
    response.headers["ETag"] = etag_of(record["version"])
    return response

"""marshmallow schemas of the HTTP API: what requests may carry and what the
responses hold. Query and body schemas validate requests (a bad value is a 422
naming the field); every schema here also goes into the OpenAPI document, so
the document and the behaviour cannot drift apart.

Asset records themselves are validated by ``catalogue.schemas`` (the same rules
as the CLI and catalogue files); the classes below only describe them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    missing,
    validate,
)

from catalogue.schemas import AssetSchema
from catalogue.services.lineage import TRACE_COLUMNS
from catalogue.services.search import MAX_PER_PAGE, SORTS
from search import FACET_FIELDS

MAX_PAGE = 100_000


def _page(default_per_page: int, max_per_page: int) -> dict[str, fields.Field]:
    return {
        "page": fields.Integer(
            load_default=1, validate=validate.Range(1, MAX_PAGE), metadata={"description": "from 1"}
        ),
        "per_page": fields.Integer(
            load_default=default_per_page, validate=validate.Range(1, max_per_page)
        ),
    }


# -- problems --------------------------------------------------------------------
class ProblemSchema(Schema):
    """An RFC 9457 problem (``application/problem+json``)."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "422: the messages for each field"},
    )
    problems = fields.List(fields.Dict(), metadata={"description": "422: each problem"})
    current_version = fields.Integer(metadata={"description": "412: the version held now"})


# -- assets ------------------------------------------------------------------------
class LastWriteSchema(Schema):
    """A dataset's last successful write: the latest COMPLETE run that output it."""

    at = fields.DateTime()
    job = fields.String(allow_none=True, metadata={"description": "None: a job hidden from you"})
    run_id = fields.String()


class PipelineRunSchema(Schema):
    """One OpenLineage run of a pipeline."""

    run_id = fields.String()
    state = fields.String(allow_none=True)
    started_at = fields.DateTime()
    state_at = fields.DateTime(metadata={"description": "its latest event"})
    inputs = fields.List(fields.String())
    outputs = fields.List(fields.String())


class AssetOutSchema(AssetSchema):
    """An asset record (docs/records.md) with its version and timestamps."""

    version = fields.Integer(metadata={"description": "also the ETag"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_reviewed = fields.Date(
        allow_none=True, metadata={"description": "the owner's last review (read-only)"}
    )
    last_reviewed_by = fields.String(allow_none=True, metadata={"description": "who reviewed it"})
    last_review_note = fields.String(allow_none=True, metadata={"description": "their note"})
    last_successful_write = fields.Nested(
        LastWriteSchema,
        allow_none=True,
        metadata={"description": "not a pipeline: the latest COMPLETE run that output it"},
    )
    runs = fields.List(
        fields.Nested(PipelineRunSchema), metadata={"description": "a pipeline: its latest runs"}
    )


def _optional_copy(schema: type[Schema], name: str, leave_out: tuple[str, ...]) -> type[Schema]:
    optional = {}
    for field_name, field in schema().fields.items():
        if field_name in leave_out:
            continue
        field = copy.copy(field)
        field.required = False
        field.load_default = missing  # a change leaves unnamed fields as they are
        optional[field_name] = field
    return Schema.from_dict(optional, name=name)


AssetChangesSchema = _optional_copy(AssetSchema, "AssetChanges", ("key",))
AssetChangesSchema.__doc__ = "The fields to change (any of an asset's fields but its key)."


class AssetListQuery(Schema):
    kind = fields.String()
    department = fields.String()
    owner = fields.String(metadata={"description": "name or email"})
    tag = fields.String()
    all = fields.Boolean(load_default=False, metadata={"description": "include retired assets"})
    page = _page(50, 500)["page"]
    per_page = _page(50, 500)["per_page"]


class AssetPageSchema(Schema):
    items = fields.List(fields.Nested(AssetOutSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)


class EdgeInSchema(Schema):
    """Say that ``upstream`` feeds the asset in the path."""

    upstream = fields.String(required=True, validate=validate.Length(1, 200))
    via = fields.String(allow_none=True, validate=validate.Length(max=200))
    description = fields.String(allow_none=True)


class EdgeSchema(Schema):
    id = fields.Integer()
    upstream = fields.String()
    downstream = fields.String()
    via = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    valid_from = fields.DateTime()
    valid_to = fields.DateTime(allow_none=True)


class ChangeSchema(Schema):
    """One change_log row (docs/records.md)."""

    seq = fields.Integer()
    action = fields.String()
    key = fields.String()
    actor = fields.String()
    time = fields.DateTime()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class HistorySchema(Schema):
    key = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema))


# -- search ---------------------------------------------------------------------------
class SearchQuery(Schema):
    """The CLI's options: text, filters (repeat a filter for OR), paging, sort."""

    q = fields.String(load_default="", validate=validate.Length(max=2000))
    kind = fields.List(fields.String())
    department = fields.List(fields.String())
    tag = fields.List(fields.String())
    classification = fields.List(fields.String())
    access = fields.List(fields.String())
    owner = fields.List(fields.String())
    page = _page(20, MAX_PER_PAGE)["page"]
    per_page = _page(20, MAX_PER_PAGE)["per_page"]
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    all = fields.Boolean(load_default=False, metadata={"description": "include retired assets"})


class HitSchema(Schema):
    key = fields.String()
    kind = fields.String(allow_none=True)
    title = fields.String()
    department = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    classification = fields.String(allow_none=True)
    access = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    last_updated = fields.String(allow_none=True)
    score = fields.Float()
    highlights = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "HTML, <mark>"}
    )
    matched = fields.List(fields.String())
    at_risk = fields.Boolean(metadata={"description": "a pipeline run that feeds it failed"})


class FacetCountSchema(Schema):
    value = fields.String()
    count = fields.Integer()


class SearchResultSchema(Schema):
    query = fields.String()
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    hits = fields.List(fields.Nested(HitSchema))
    facets = fields.Dict(
        keys=fields.String(metadata={"enum": list(FACET_FIELDS)}),
        values=fields.List(fields.Nested(FacetCountSchema)),
    )
    suggestion = fields.String(allow_none=True)
    no_good_match = fields.Boolean()
    corrected_query = fields.String(allow_none=True)
    partial_match = fields.Boolean(
        metadata={"description": "some hits have only some of the words (few or no full matches)"}
    )
    term = fields.Dict(
        allow_none=True,
        metadata={
            "description": "the approved glossary term the query exactly names (its name or "
            "a synonym), with its definition; null otherwise"
        },
    )


# -- moments ---------------------------------------------------------------------------
#: What the API takes for a moment: RFC 3339 (the profile of ISO 8601 that
#: OpenAPI's ``date`` and ``date-time`` formats name), a date or a date-time
#: with its offset. The command line takes more forms; a script says exactly.
RFC3339_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?", re.ASCII
)
MOMENT_RULE = "use an RFC 3339 date (2025-10-01) or date-time with offset (2025-10-01T09:30:00Z)"


class Moment(fields.String):
    """A date or a date-time with its offset (RFC 3339), passed on upper-cased
    for the services' ISO 8601 parsers, which name a date that does not exist."""

    def __init__(self, description: str, **kwargs: Any) -> None:
        metadata = {
            "description": description,
            "anyOf": [{"format": "date"}, {"format": "date-time"}],
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not RFC3339_MOMENT.fullmatch(text):
            raise ValidationError(MOMENT_RULE)
        return text.upper()


# -- lineage ---------------------------------------------------------------------------
AS_OF = Moment("a date (the end of that day, UTC) or a date-time with its offset")


class AsOfQuery(Schema):
    as_of = copy.copy(AS_OF)


class NeighboursQuery(Schema):
    depth = fields.Integer(validate=validate.Range(1, 1000))
    as_of = copy.copy(AS_OF)


_TRACE_TYPES: dict[str, fields.Field] = {
    "hops": fields.Integer(),
    "via": fields.List(fields.String()),
    "personal_data": fields.Boolean(allow_none=True),
    "special_category": fields.Boolean(allow_none=True),
    "stale": fields.Boolean(allow_none=True),
    "at_risk": fields.Boolean(allow_none=True),
    "restricted": fields.Boolean(),
}
TraceRowSchema = Schema.from_dict(
    {
        name: _TRACE_TYPES.get(name) or fields.String(allow_none=True)
        for name in (*TRACE_COLUMNS, "restricted")
    },
    name="TraceRow",
)
TraceRowSchema.__doc__ = (
    "One asset reached; a restricted one shows only hops, feeds and restricted: true."
)


class NeighboursSchema(Schema):
    key = fields.String()
    direction = fields.String(validate=validate.OneOf(("upstream", "downstream")))
    depth = fields.Integer(allow_none=True)
    as_of = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(TraceRowSchema))


class InheritanceSchema(Schema):
    flag = fields.String()
    source = fields.String(allow_none=True)
    path = fields.List(fields.String(allow_none=True))
    explanation = fields.String()


class TraceSchema(Schema):
    key = fields.String()
    as_of = fields.DateTime(allow_none=True)
    subject = fields.Dict()
    upstream = fields.List(fields.Nested(TraceRowSchema))
    inherits = fields.List(fields.Nested(InheritanceSchema))
    warnings = fields.List(fields.String())
    existed = fields.Boolean(
        metadata={"description": "false when the asset did not exist yet at as_of"}
    )


class PathsSchema(Schema):
    key = fields.String(metadata={"description": "where the routes start (upstream)"})
    to = fields.String()
    as_of = fields.DateTime(allow_none=True)
    paths = fields.List(fields.List(fields.String(allow_none=True)))


# -- audit --------------------------------------------------------------------------------
class AuditQuery(Schema):
    since = Moment("a date (from its start) or a date-time with its offset")
    until = Moment("a date (the whole day) or a date-time with its offset")
    actor = fields.String()
    asset = fields.String()
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 10_000))


class AuditEntrySchema(Schema):
    time = fields.DateTime()
    source = fields.String(validate=validate.OneOf(("change", "auth")))
    seq = fields.Integer(allow_none=True)
    actor = fields.String()
    action = fields.String()
    asset = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    remote_addr = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditSchema(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))


# -- CKAN ------------------------------------------------------------------------------------
class CkanResponseSchema(Schema):
    """CKAN's envelope: ``result`` on success, ``error`` (with ``__type``) otherwise."""

    help = fields.String()
    success = fields.Boolean()
    result = fields.Raw()
    error = fields.Dict()

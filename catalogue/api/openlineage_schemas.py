"""marshmallow schemas of OpenLineage in and Marquez's lineage out: what an
event may carry (checked, and stated in the OpenAPI document) and the graph
shapes answered. Split from ``catalogue.api.schemas`` for size; the same rules
apply (a schema here is the document's, so they cannot drift apart).
"""

from __future__ import annotations

import copy
from datetime import UTC
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from catalogue.api.schemas import AS_OF
from catalogue.schemas import LOCATION_PATTERN

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")


# -- OpenLineage in --------------------------------------------------------------------------
class _Open(Schema):
    """OpenLineage objects may carry more than we read: keep it, check what we use."""

    class Meta:
        unknown = INCLUDE


#: A dataset's namespace and name become its asset's location (``namespace/name``):
#: no control characters, and no namespace a browser would run as a script.
NAMESPACE: dict[str, Any] = {
    "required": True,
    "validate": [
        validate.Length(1, 1000),
        validate.Regexp(
            LOCATION_PATTERN,
            error="becomes the asset's location, so it must hold no control characters "
            "and be no javascript:, vbscript: or data: address",
        ),
    ],
}
NAME: dict[str, Any] = {
    "required": True,
    "validate": [
        validate.Length(1, 1000),
        validate.Regexp(
            r"^[^\u0000-\u001f\u007f-\u009f]*$", error="must not hold control characters"
        ),
    ],
}


class SchemaFieldSchema(_Open):
    name = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(allow_none=True)
    description = fields.String(allow_none=True)


class SchemaFacetSchema(_Open):
    columns = fields.List(fields.Nested(SchemaFieldSchema), required=True, data_key="fields")


class DocumentationFacetSchema(_Open):
    description = fields.String(required=True)


class OwnerSchema(_Open):
    name = fields.String(required=True, validate=validate.Length(min=1))
    type = fields.String(allow_none=True)


class OwnershipFacetSchema(_Open):
    owners = fields.List(fields.Nested(OwnerSchema), load_default=list)


class TransformationSchema(_Open):
    type = fields.String(allow_none=True)
    subtype = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    masking = fields.Boolean(load_default=False)


class InputFieldSchema(_Open):
    namespace = fields.String(**NAMESPACE)
    name = fields.String(**NAME)
    field = fields.String(required=True, validate=validate.Length(min=1))
    transformations = fields.List(fields.Nested(TransformationSchema), load_default=list)


class ColumnLineageFieldSchema(_Open):
    inputFields = fields.List(fields.Nested(InputFieldSchema), required=True)  # noqa: N815
    transformationDescription = fields.String(allow_none=True)  # noqa: N815
    transformationType = fields.String(allow_none=True)  # noqa: N815


class ColumnLineageFacetSchema(_Open):
    columns = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1)),
        values=fields.Nested(ColumnLineageFieldSchema),
        required=True,
        data_key="fields",
    )


class DatasetFacetsSchema(_Open):
    schema_facet = fields.Nested(SchemaFacetSchema, data_key="schema")
    documentation = fields.Nested(DocumentationFacetSchema)
    ownership = fields.Nested(OwnershipFacetSchema)
    columnLineage = fields.Nested(ColumnLineageFacetSchema)  # noqa: N815


class JobFacetsSchema(_Open):
    documentation = fields.Nested(DocumentationFacetSchema)
    ownership = fields.Nested(OwnershipFacetSchema)


class DatasetRefSchema(_Open):
    namespace = fields.String(**NAMESPACE)
    name = fields.String(**NAME)
    facets = fields.Nested(DatasetFacetsSchema, allow_none=True)


class JobRefSchema(_Open):
    namespace = fields.String(**NAMESPACE)
    name = fields.String(**NAME)
    facets = fields.Nested(JobFacetsSchema, allow_none=True)


class RunSchema(_Open):
    runId = fields.UUID(required=True)  # noqa: N815
    facets = fields.Dict(allow_none=True)


class OpenLineageEventSchema(_Open):
    """A RunEvent (``run`` and ``job``), JobEvent (``job``) or DatasetEvent
    (``dataset``) of OpenLineage 2-0-2. ``producer`` and ``schemaURL`` are kept
    when given but not required: older integrations (and the dbt events this was
    tested with) leave them out."""

    eventType = fields.String(allow_none=True, validate=validate.OneOf(EVENT_TYPES))  # noqa: N815
    eventTime = fields.AwareDateTime(required=True, format="iso", default_timezone=UTC)  # noqa: N815
    producer = fields.String()
    schemaURL = fields.String()  # noqa: N815
    run = fields.Nested(RunSchema)
    job = fields.Nested(JobRefSchema)
    inputs = fields.List(fields.Nested(DatasetRefSchema), allow_none=True)
    outputs = fields.List(fields.Nested(DatasetRefSchema), allow_none=True)
    dataset = fields.Nested(DatasetRefSchema)

    @validates_schema
    def _one_kind(self, data: dict, **_: object) -> None:
        if "run" in data and "job" not in data:
            raise ValidationError("a RunEvent needs a job", "job")
        if not any(name in data for name in ("run", "job", "dataset")):
            raise ValidationError(
                "an event has run and job (RunEvent), job (JobEvent) or dataset (DatasetEvent)",
                "_schema",
            )


#: What OpenAPI 3.0 can say of a whole event (``OpenLineageEventSchema._one_kind``):
#: a job (RunEvent or JobEvent), or a dataset without a run (DatasetEvent).
BODY_RULES: dict[str, dict[str, Any]] = {
    "OpenLineageEvent": {
        "anyOf": [{"required": ["job"]}, {"required": ["dataset"], "not": {"required": ["run"]}}]
    }
}


class LineageOutcomeSchema(Schema):
    """What an event changed; all empty when it was already known."""

    created = fields.List(fields.String())
    updated = fields.List(fields.String())
    edges_added = fields.Integer()
    edges_ended = fields.Integer()
    column_lineage = fields.List(fields.String(), metadata={"description": "outputs set"})
    warnings = fields.List(fields.String())


#: Any text but NUL, on one line or several.
_TEXT = "[^\\u0000]"


class NodeQuery(Schema):
    nodeId = fields.String(  # noqa: N815
        required=True,
        validate=validate.Regexp(
            f"^(dataset|job):{_TEXT}+$",
            error="use dataset:{{namespace}}:{{name}} or job:{{namespace}}:{{name}}",
        ),
        metadata={"description": "dataset:{namespace}:{name} or job:{namespace}:{name}"},
    )
    depth = fields.Integer(load_default=20, validate=validate.Range(0, 100))
    as_of = copy.copy(AS_OF)


class ColumnNodeQuery(Schema):
    nodeId = fields.String(  # noqa: N815
        required=True,
        validate=validate.Regexp(
            f"^(dataset:{_TEXT}+|datasetField:{_TEXT}+:[^:\\u0000]+)$",
            error="use datasetField:{{namespace}}:{{name}}:{{field}} or "
            "dataset:{{namespace}}:{{name}}",
        ),
        metadata={"description": "datasetField:{namespace}:{name}:{field} or dataset:…"},
    )
    depth = fields.Integer(load_default=20, validate=validate.Range(0, 100))
    withDownstream = fields.Boolean(load_default=False)  # noqa: N815
    as_of = copy.copy(AS_OF)


class GraphEdgeSchema(Schema):
    origin = fields.String()
    destination = fields.String()


class GraphNodeSchema(Schema):
    id = fields.String()
    type = fields.String(validate=validate.OneOf(("DATASET", "JOB", "DATASET_FIELD")))
    data = fields.Dict()
    inEdges = fields.List(fields.Nested(GraphEdgeSchema))  # noqa: N815
    outEdges = fields.List(fields.Nested(GraphEdgeSchema))  # noqa: N815


class GraphSchema(Schema):
    """Marquez's lineage graph shape."""

    graph = fields.List(fields.Nested(GraphNodeSchema))

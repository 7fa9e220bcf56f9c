"""OpenLineage in: ``POST /api/v1/lineage`` (Marquez's path, where the
openlineage-python client's HttpTransport posts), and Marquez's read API
(``GET /api/v1/lineage``, ``GET /api/v1/column-lineage``) out.

An event is checked here (400 naming each problem: missing ``eventTime``, a
``runId`` that is not a UUID, an unknown ``eventType``, a facet without what we
read from it…), turned into :class:`LineageFacts`, and applied by
``catalogue.services.openlineage`` in one transaction at the event's time. The
answer is 201 with what changed; the same event again is 201 with nothing.
"""

from __future__ import annotations

import zlib
from typing import Any

from flask import Response, current_app, jsonify, request
from marshmallow import ValidationError

from catalogue.api import marquez
from catalogue.api.base import MalformedRequest, document, json_body, load_query, signed_in
from catalogue.api.blueprint import bp
from catalogue.api.openlineage_schemas import (
    ColumnNodeQuery,
    GraphSchema,
    LineageOutcomeSchema,
    NodeQuery,
    OpenLineageEventSchema,
)
from catalogue.errors import Invalid
from catalogue.http import catalogue, current_principal
from catalogue.schemas import problems_from
from catalogue.services import lineage_events
from catalogue.services.lineage import parse_as_of
from catalogue.services.openlineage import apply_facts
from catalogue.services.openlineage_facts import ColumnInput, DatasetFacts, JobFacts, LineageFacts
from catalogue.text import CONTROL_CHARACTERS, CONTROL_IN_TEXT

TAG = "openlineage"


class InvalidEvent(Invalid):
    """An event the spec (or what we read of it) does not allow: 400, as Marquez."""

    status = 400
    title = "Invalid OpenLineage event"


# -- reading an event ------------------------------------------------------------------
def request_bytes() -> bytes:
    """The body, inflated when sent gzip-compressed (``Content-Encoding: gzip``,
    as the client's ``compression: gzip`` sends it). Raises MalformedRequest
    for a broken stream or one that inflates past the size limit."""
    raw = request.get_data(cache=True)
    encoding = (request.headers.get("Content-Encoding") or "").strip().lower()
    if encoding not in ("gzip", "x-gzip") and not raw.startswith(b"\x1f\x8b"):
        if encoding not in ("", "identity"):
            raise MalformedRequest(f"Content-Encoding {encoding!r} is not supported: use gzip")
        return raw
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 16 * 1024 * 1024
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as error:
        raise MalformedRequest(f"the gzip body cannot be read: {error}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise MalformedRequest(f"the event inflates past {limit} bytes")
    if not inflater.eof:
        raise MalformedRequest("the gzip body is cut short")
    return data


def plain_text(value: Any, key: str = "") -> Any:
    """Another system's text, as CKAN imports and harvests take it: control
    characters (a stray escape code, a new line in an owner's name) become spaces,
    except the new lines and tabs of a description. A dataset's or job's own
    namespace and name are left as sent: they are its identity, so one holding a
    control character is refused (the document says so), not renamed."""
    if isinstance(value, str):
        if key == "description":
            return CONTROL_IN_TEXT.sub(" ", value)
        return CONTROL_CHARACTERS.sub(" ", value)
    if isinstance(value, dict):
        identity = {"namespace", "name"} <= value.keys()
        return {
            plain_text(k): v if identity and k in ("namespace", "name") else plain_text(v, k)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [plain_text(v, key) for v in value]
    return value


def validate_event(payload: dict[str, Any]) -> dict[str, Any]:
    """The event as the schema reads it (its text made plain: ``plain_text``);
    raises InvalidEvent listing every problem."""
    payload = plain_text(payload)
    try:
        return OpenLineageEventSchema().load(payload)
    except ValidationError as error:
        problems = problems_from(error, OpenLineageEventSchema().fields)
        summary = "; ".join(str(p) for p in problems[:5])
        raise InvalidEvent(f"not a valid OpenLineage event: {summary}", problems) from None


def _facets(node: dict[str, Any]) -> dict[str, Any]:
    return node.get("facets") or {}


def _owner(facets: dict[str, Any]) -> str | None:
    owners = (facets.get("ownership") or {}).get("owners") or []
    return owners[0]["name"] if owners else None


def _columns(facets: dict[str, Any]) -> list[dict[str, Any]] | None:
    schema = facets.get("schema_facet")
    if schema is None:
        return None
    columns: dict[str, dict[str, Any]] = {}
    for f in schema["columns"]:
        kind = f.get("type")
        columns.setdefault(
            f["name"][:200],
            {
                "name": f["name"][:200],
                "type": kind[:100] if kind else None,
                "description": f.get("description") or None,
            },
        )
    return list(columns.values())


def _column_lineage(facets: dict[str, Any]) -> list[ColumnInput] | None:
    facet = facets.get("columnLineage")
    if facet is None:
        return None
    found = []
    for out_field, spec in facet["columns"].items():
        for source in spec["inputFields"]:
            steps = source.get("transformations") or [
                {
                    "type": spec.get("transformationType"),
                    "description": spec.get("transformationDescription"),
                }
            ]
            for step in steps:
                found.append(
                    ColumnInput(
                        field=out_field,
                        namespace=source["namespace"],
                        name=source["name"],
                        input_field=source["field"],
                        type=(step.get("type") or None) and step["type"][:40],
                        subtype=(step.get("subtype") or None) and step["subtype"][:40],
                        description=step.get("description") or None,
                        masking=bool(step.get("masking", False)),
                    )
                )
    return found


def dataset_facts(node: dict[str, Any], authoritative: bool) -> DatasetFacts:
    facets = _facets(node)
    return DatasetFacts(
        namespace=node["namespace"],
        name=node["name"],
        description=(facets.get("documentation") or {}).get("description") or None,
        owner=_owner(facets),
        columns=_columns(facets),
        column_lineage=_column_lineage(facets) if authoritative else None,
        authoritative=authoritative,
    )


def event_facts(event: dict[str, Any]) -> LineageFacts:
    """What a validated event says, in the service's terms: a run's events add to
    its lineage (its COMPLETE states it all), a JobEvent states the job's whole
    lineage, a DatasetEvent only describes."""
    facts = LineageFacts(time=event["eventTime"])
    if "job" not in event:
        facts.datasets = [dataset_facts(event["dataset"], authoritative=True)]
        return facts
    job = event["job"]
    facets = _facets(job)
    facts.job = JobFacts(
        namespace=job["namespace"],
        name=job["name"],
        description=(facets.get("documentation") or {}).get("description") or None,
        owner=_owner(facets),
    )
    facts.inputs = [dataset_facts(d, False) for d in event.get("inputs") or []]
    facts.outputs = [dataset_facts(d, True) for d in event.get("outputs") or []]
    if "run" in event:
        facts.run_id = str(event["run"]["runId"])
        facts.event_type = event.get("eventType")
    else:
        facts.replace = True  # a JobEvent states the job's lineage
    return facts


# -- routes ----------------------------------------------------------------------------------
@bp.post("/lineage")
@document(
    "Receive an OpenLineage event",
    tag=TAG,
    body=OpenLineageEventSchema,
    auth=True,
    responses={
        201: ("what the event changed", LineageOutcomeSchema),
        400: "not JSON, bad gzip, or not a valid event (the reasons are listed)",
        401: "no API token",
        403: "the token's user may not register or change these assets",
    },
)
def receive_event() -> tuple[Response, int]:
    """A RunEvent, JobEvent or DatasetEvent (JSON, optionally gzip). Datasets
    become assets keyed from namespace + name, jobs ``pipeline`` assets, and
    lineage runs input → job → output from the event time."""
    principal = signed_in()
    received = json_body(request_bytes())
    facts = event_facts(validate_event(received))
    cat = catalogue()
    with cat.write(principal, happened_at=facts.time) as writer:
        outcome = apply_facts(writer, facts)
        lineage_events.keep(writer.session, received, facts.time)
    return jsonify(outcome.as_dict()), 201


@bp.get("/lineage")
@document(
    "Lineage graph (Marquez shape)",
    tag=TAG,
    query=NodeQuery,
    responses={
        200: ("the graph", GraphSchema),
        404: "no such node (or none by as_of)",
        422: "a bad nodeId or as_of",
    },
)
def lineage_graph() -> Response:
    """What feeds and what is fed by ``nodeId`` (``dataset:{namespace}:{name}`` or
    ``job:{namespace}:{name}``) within ``depth`` edges, as Marquez answers;
    ``as_of`` gives the lineage as it stood then."""
    params = load_query(NodeQuery)
    as_of = parse_as_of(params.get("as_of"))
    return jsonify(
        marquez.lineage_graph(current_principal(), params["nodeId"], params["depth"], as_of)
    )


@bp.get("/column-lineage")
@document(
    "Column lineage (Marquez shape)",
    tag=TAG,
    query=ColumnNodeQuery,
    responses={
        200: ("the graph", GraphSchema),
        404: "no such column (or none by as_of)",
        422: "a bad nodeId or as_of",
    },
)
def column_lineage() -> Response:
    """Which input columns feed a column (``datasetField:{namespace}:{name}:{field}``),
    or every column of ``dataset:{namespace}:{name}``, within ``depth`` hops;
    ``withDownstream=true`` adds what the column feeds; ``as_of`` gives the column
    lineage as it stood then."""
    params = load_query(ColumnNodeQuery)
    graph = marquez.column_graph(
        current_principal(),
        params["nodeId"],
        params["depth"],
        params["withDownstream"],
        parse_as_of(params.get("as_of")),
    )
    return jsonify(graph)

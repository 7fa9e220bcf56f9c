"""Marquez's read API under ``/marquez/api/v1`` (#19): the routes Marquez's web
UI calls, so a council already using that UI can point its API base URL at the
catalogue. A prefix of its own because Marquez's ``/api/v1/search`` and the
catalogue's mean different things.

Answers follow Marquez's OpenAPI document (tests validate them against its
schemas). Query parameters the routes do not read are ignored, as Marquez does
(the UI sends some, often empty); those they read are checked (422).
Namespaces and names may hold ``/`` and ``//`` (``postgres://db:5432``):
clients send them percent-encoded, and the routes take them whole.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from catalogue.api import marquez, marquez_history, marquez_reads
from catalogue.api.base import load_query, refuse_nul
from catalogue.api.openlineage_schemas import ColumnNodeQuery, NodeQuery
from catalogue.errors import Invalid, Problem
from catalogue.http import current_principal
from catalogue.services.lineage import parse_as_of

bp = Blueprint("marquez", __name__, url_prefix="/marquez/api/v1")
bp.before_request(refuse_nul)
MARQUEZ_STATES = ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")
WHOLE = {"merge_slashes": False}  # "postgres://db" must not become "postgres:/db"


class PageQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class EventsQuery(PageQuery):
    sortDirection = fields.String(  # noqa: N815
        load_default="desc", validate=validate.OneOf(["asc", "desc"])
    )
    before = fields.AwareDateTime(default_timezone=UTC)
    after = fields.AwareDateTime(default_timezone=UTC)

    @pre_load
    def lower_case(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if isinstance(data.get("sortDirection"), str):
            data["sortDirection"] = data["sortDirection"].lower()
        return data


def _known_zone(name: str) -> None:
    """Raises ValidationError unless ``name`` is an IANA time zone (a name too
    long for a file is not one: the zone database is files)."""
    try:
        if len(name) > 60:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            f"{name[:60]!r} is not a time zone: use an IANA name such as Europe/London"
        ) from None


class StatsQuery(Schema):
    period = fields.String(required=True, validate=validate.OneOf(["DAY", "WEEK"]))
    timezone = fields.String(validate=_known_zone)

    @pre_load
    def upper_case(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if isinstance(data.get("period"), str):
            data["period"] = data["period"].upper()
        return data


class FacetsQuery(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["run", "job"]))


class SearchQuery(Schema):
    q = fields.String(required=True, validate=validate.Length(1, 1000))
    filter = fields.String(validate=validate.OneOf(["DATASET", "JOB"]))
    sort = fields.String(load_default="NAME", validate=validate.OneOf(["NAME", "UPDATE_AT"]))
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 1000))
    namespace = fields.String(validate=validate.Length(1, 1024))

    @pre_load
    def upper_case(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for name in ("filter", "sort"):
            if isinstance(data.get(name), str):
                data[name] = data[name].upper()
        return data


def query(schema: type[Schema]) -> dict[str, Any]:
    """The parameters ``schema`` reads; empty ones count as not given (the UI
    sends ``before=&after=``), others are ignored."""
    given = {k: v for k, v in request.args.items() if v != ""}
    return load_query(schema, given, ignore_unknown=True)


@bp.get("/namespaces")
def list_namespaces() -> Response:
    """Every namespace holding a dataset or job the caller may see."""
    return jsonify(marquez_reads.namespaces(current_principal()))


@bp.get("/namespaces/<path:namespace>", **WHOLE)
def get_namespace(namespace: str) -> Response:
    return jsonify(marquez_reads.namespace(current_principal(), namespace))


def last_run_states() -> list[str]:
    """``lastRunStates``, given once or more (the dashboard sends one); empty
    values count as not given. Raises Invalid naming the allowed states."""
    given = [v.upper() for v in request.args.getlist("lastRunStates") if v != ""]
    wrong = [v for v in given if v not in MARQUEZ_STATES]
    if wrong:
        raise Invalid(
            f"lastRunStates {wrong[0][:40]!r} is not a run state",
            [Problem(f"use one of {', '.join(MARQUEZ_STATES)}", "lastRunStates")],
        )
    return given


@bp.get("/jobs")
def list_all_jobs() -> Response:
    """Jobs of every namespace (the UI's jobs page before a namespace is chosen,
    and its dashboard, filtered by the state of their latest run)."""
    page = query(PageQuery)
    return jsonify(
        marquez_reads.jobs(
            current_principal(), None, page["limit"], page["offset"], last_run_states()
        )
    )


@bp.get("/namespaces/<path:namespace>/jobs", **WHOLE)
def list_jobs(namespace: str) -> Response:
    page = query(PageQuery)
    return jsonify(
        marquez_reads.jobs(
            current_principal(), namespace, page["limit"], page["offset"], last_run_states()
        )
    )


@bp.get("/namespaces/<path:namespace>/jobs/<path:job>", **WHOLE)
def get_job(namespace: str, job: str) -> Response:
    return jsonify(marquez_reads.one(current_principal(), "job", namespace, job))


@bp.get("/namespaces/<path:namespace>/jobs/<path:job>/runs", **WHOLE)
def list_runs(namespace: str, job: str) -> Response:
    page = query(PageQuery)
    return jsonify(
        marquez_reads.runs(current_principal(), namespace, job, page["limit"], page["offset"])
    )


@bp.get("/namespaces/<path:namespace>/datasets", **WHOLE)
def list_datasets(namespace: str) -> Response:
    page = query(PageQuery)
    return jsonify(
        marquez_reads.datasets(current_principal(), namespace, page["limit"], page["offset"])
    )


@bp.get("/namespaces/<path:namespace>/datasets/<path:dataset>", **WHOLE)
def get_dataset(namespace: str, dataset: str) -> Response:
    return jsonify(marquez_reads.one(current_principal(), "dataset", namespace, dataset))


@bp.get("/namespaces/<path:namespace>/datasets/<path:dataset>/versions", **WHOLE)
def list_dataset_versions(namespace: str, dataset: str) -> Response:
    """One version per successful run that wrote the dataset, newest first."""
    page = query(PageQuery)
    return jsonify(
        marquez_history.dataset_versions(
            current_principal(), namespace, dataset, page["limit"], page["offset"]
        )
    )


@bp.get("/jobs/runs/<run_id>/facets")
def run_facets(run_id: str) -> Response:
    """A run's run facets (``type=run``) or job facets (``type=job``)."""
    part = query(FacetsQuery)["type"]
    return jsonify(marquez_history.run_facets(current_principal(), run_id, part))


@bp.get("/tags")
def list_tags() -> Response:
    return jsonify(marquez_history.tags(current_principal()))


@bp.get("/stats/lineage-events")
def lineage_event_stats() -> Response:
    """Run events by type: 24 hours by the hour, or 7 days in ``timezone``."""
    params = query(StatsQuery)
    return jsonify(
        marquez_history.lineage_metrics(
            current_principal(), params["period"], params.get("timezone")
        )
    )


def asset_stats(asset: str) -> Response:
    """How many jobs, datasets or sources there were at the end of each interval."""
    params = query(StatsQuery)
    return jsonify(
        marquez_history.interval_metrics(
            current_principal(), asset, params["period"], params.get("timezone")
        )
    )


@bp.get("/stats/jobs")
def job_stats() -> Response:
    return asset_stats("jobs")


@bp.get("/stats/datasets")
def dataset_stats() -> Response:
    return asset_stats("datasets")


@bp.get("/stats/sources")
def source_stats() -> Response:
    return asset_stats("sources")


@bp.get("/lineage")
def lineage() -> Response:
    """The same graph as ``/api/v1/lineage``."""
    params = query(NodeQuery)
    as_of = parse_as_of(params.get("as_of"))
    return jsonify(
        marquez.lineage_graph(current_principal(), params["nodeId"], params["depth"], as_of)
    )


@bp.get("/column-lineage")
def column_lineage() -> Response:
    """The same graph as ``/api/v1/column-lineage``."""
    params = query(ColumnNodeQuery)
    as_of = parse_as_of(params.get("as_of"))
    graph = marquez.column_graph(
        current_principal(), params["nodeId"], params["depth"], params["withDownstream"], as_of
    )
    return jsonify(graph)


@bp.get("/events/lineage")
def lineage_events() -> Response:
    params = query(EventsQuery)
    return jsonify(
        marquez_history.events(
            current_principal(),
            params.get("before"),
            params.get("after"),
            params["limit"],
            params["offset"],
            params["sortDirection"] == "asc",
        )
    )


@bp.get("/search")
def search() -> Response:
    params = query(SearchQuery)
    return jsonify(
        marquez_reads.search(
            current_principal(),
            params["q"],
            params.get("filter", "").lower() or None,
            params["sort"],
            params["limit"],
            params.get("namespace"),
        )
    )

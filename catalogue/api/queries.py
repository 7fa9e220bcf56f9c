"""``/api/v1`` questions: search, lineage (upstream, downstream, paths, trace,
as of any date) and the audit trail. Each route is a thin renderer of one data
function that calls the services the CLI calls, so both give the same answer.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from catalogue.api.base import document, load_query, signed_in
from catalogue.api.blueprint import bp
from catalogue.api.schemas import (
    AsOfQuery,
    AuditQuery,
    AuditSchema,
    NeighboursQuery,
    NeighboursSchema,
    PathsSchema,
    SearchQuery,
    SearchResultSchema,
    TraceSchema,
)
from catalogue.http import catalogue, current_principal, reading
from catalogue.services import audit, glossary, run_health
from catalogue.services import lineage as lineage_service
from catalogue.services.access import Principal
from catalogue.services.search import search_json, search_with

NOT_FOUND = "no such asset (or not one you may see)"
BAD_VALUE = "a parameter breaks a rule (e.g. as_of is not a date)"


# -- data functions ----------------------------------------------------------------
def search_data(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    """One page of search results with facets and highlights, as the CLI gets them."""
    with catalogue().reading(principal) as reader:
        payload = search_json(params["q"], search_with(reader, params))
        run_health.mark_hits(reader, payload["hits"])
        payload["term"] = glossary.term_named(reader, params["q"])
    return payload


def neighbours_data(
    principal: Principal, key: str, direction: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Assets ``direction`` of ``key`` (nearest first), now or as of a date."""
    as_of = lineage_service.parse_as_of(params.get("as_of"))
    with catalogue().reading(principal) as reader:
        rows = lineage_service.neighbours(reader, key, direction, params.get("depth"), as_of)
    return {
        "key": key,
        "direction": direction,
        "depth": params.get("depth"),
        "as_of": as_of.isoformat() if as_of else None,
        "items": rows,
    }


# -- routes ----------------------------------------------------------------------------
@bp.get("/search")
@document(
    "Search",
    tag="search",
    query=SearchQuery,
    responses={200: ("a page of hits", SearchResultSchema), 422: "a bad filter, sort or page"},
)
def search() -> Response:
    """Search as staff do: any text, filters (repeat one for OR: ``kind=dataset&
    kind=report``), ``sort`` relevance|title|updated, ``all=true`` for retired.
    Facet counts, highlights (HTML with ``<mark>``) and "did you mean" included."""
    return jsonify(search_data(current_principal(), load_query(SearchQuery)))


def _neighbours_view(direction: str) -> Any:
    def view(key: str) -> Response:
        params = load_query(NeighboursQuery)
        return jsonify(neighbours_data(current_principal(), key, direction, params))

    view.__name__ = view.__qualname__ = direction
    view.__doc__ = (
        f"Assets {direction} of the asset, nearest first, with owners, handling and "
        "freshness; restricted ones as placeholders. ``depth`` limits the hops, "
        "``as_of`` gives the lineage as it stood then."
    )
    documented = document(
        f"Lineage {direction}",
        tag="lineage",
        query=NeighboursQuery,
        responses={200: ("the assets", NeighboursSchema), 404: NOT_FOUND, 422: BAD_VALUE},
    )(view)
    return bp.get(f"/assets/<key>/{direction}")(documented)


upstream = _neighbours_view("upstream")
downstream = _neighbours_view("downstream")


@bp.get("/assets/<key>/paths/<to>")
@document(
    "Lineage paths",
    tag="lineage",
    query=AsOfQuery,
    responses={200: ("every route", PathsSchema), 404: NOT_FOUND, 422: BAD_VALUE},
)
def paths(key: str, to: str) -> Response:
    """Every route by which the asset feeds ``to``, shortest first (a restricted
    asset on a route is null)."""
    as_of = lineage_service.parse_as_of(load_query(AsOfQuery).get("as_of"))
    with reading() as reader:
        found = lineage_service.paths(reader, key, to, as_of)
    return jsonify(key=key, to=to, as_of=as_of.isoformat() if as_of else None, paths=found)


@bp.get("/assets/<key>/trace")
@document(
    "Auditor's trace",
    tag="lineage",
    query=AsOfQuery,
    responses={200: ("the trace", TraceSchema), 404: NOT_FOUND, 422: BAD_VALUE},
)
def trace(key: str) -> Response:
    """Everything upstream with owner, handling and freshness, the sensitivity
    the asset inherits and through which path, and warnings."""
    as_of = lineage_service.parse_as_of(load_query(AsOfQuery).get("as_of"))
    with reading() as reader:
        result = lineage_service.trace(reader, key, as_of)
    return jsonify(result.as_dict())


@bp.get("/audit")
@document(
    "Audit trail",
    tag="audit",
    query=AuditQuery,
    auth=True,
    responses={
        200: ("entries, oldest first", AuditSchema),
        403: "only auditors and admins",
        422: BAD_VALUE,
    },
)
def audit_trail() -> Response:
    """Changes and sign-in events between ``since`` and ``until``, by ``actor``
    or for one ``asset``: the newest ``limit`` of them, oldest first."""
    principal = signed_in()
    params = load_query(AuditQuery)
    since = audit.parse_moment(params.get("since"), "since")
    until = audit.parse_moment(params.get("until"), "until", end_of_day=True)
    with catalogue().reading(principal) as reader:
        entries = audit.audit_entries(
            reader,
            since=since,
            until=until,
            actor=params.get("actor"),
            asset=params.get("asset"),
            limit=params["limit"],
        )
    return jsonify(entries=entries)

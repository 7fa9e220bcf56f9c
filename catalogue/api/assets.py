"""``/api/v1/assets``: list, read, register, change, retire, history, and the
edges that feed an asset. Every route calls the same services as the CLI and
the pages; the data functions here return plain dicts that any renderer can use.

An asset's ETag is its version (as read, with a digest of its runs). A change
or retirement may send ``If-Match`` with the ETag it read; if the catalogue
holds another version it is refused with 412 naming the version held now, and
nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from sqlalchemy.orm import Session

from catalogue.api.base import (
    StaleVersion,
    document,
    if_match,
    json_body,
    load_body,
    load_query,
    signed_in,
    with_etag,
)
from catalogue.api.blueprint import bp
from catalogue.api.schemas import (
    AssetChangesSchema,
    AssetListQuery,
    AssetOutSchema,
    AssetPageSchema,
    EdgeInSchema,
    EdgeSchema,
    HistorySchema,
)
from catalogue.errors import Invalid, PreconditionRequired, Problem
from catalogue.http import catalogue, current_principal, reading
from catalogue.schemas import AssetSchema
from catalogue.services import assets, edges, run_health
from catalogue.services.access import Principal
from catalogue.services.changes import Writer
from catalogue.services.record_types import RunRecord
from catalogue.services.sight import Sight, shown_record

TAG = "assets"
# Read-only fields a record read from here carries; a record sent back may hold them.
# The last review changes only by a review (catalogue review, or the asset page).
BOOKKEEPING = (
    "version",
    "created_at",
    "updated_at",
    "last_reviewed",
    "last_reviewed_by",
    "last_review_note",
    "last_successful_write",
    "runs",
)
ASSET = ("the asset", AssetOutSchema)
CHANGE_RESPONSES = {
    200: ASSET,
    403: "you may see it but not change it",
    404: "no such asset (or not one you may see)",
    412: "If-Match names a version the catalogue no longer holds",
    422: "a field breaks a rule",
    428: "no If-Match (nor version): this catalogue requires one on every change",
}


# -- data functions ------------------------------------------------------------------
def asset_page(principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    """One page of the assets ``principal`` may see that match the filters, by key."""
    with catalogue().reading(principal) as reader:
        found = assets.list_assets(
            reader,
            kind=params.get("kind"),
            department=params.get("department"),
            owner=params.get("owner"),
            tag=params.get("tag"),
            include_retired=params["all"],
        )
        sight = Sight(reader)
    page, per_page = params["page"], params["per_page"]
    pages = math.ceil(len(found) / per_page)
    return {
        "items": [shown_record(r, sight) for r in found[(page - 1) * per_page : page * per_page]],
        "total": len(found),
        "page": page,
        "per_page": per_page,
        "pages": pages,
        "next": _page_url(page + 1) if page < pages else None,
        "prev": _page_url(min(page - 1, pages)) if page > 1 and pages else None,
    }


def _page_url(page: int) -> str:
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint or "", **request.view_args or {}, **args)


def _expected_version(body: dict[str, Any]) -> int | None:
    """If-Match, else a ``version`` echoed in the body (a record sent back as read).
    The bookkeeping fields are not changes, so they are taken out of ``body``."""
    echoed = body.get("version")
    for name in BOOKKEEPING:
        body.pop(name, None)
    expected = if_match()
    if expected is None and echoed is not None:
        if not isinstance(echoed, int) or isinstance(echoed, bool):
            raise Invalid("version must be a whole number", [Problem("not a version", "version")])
        expected = echoed
    return expected


def _require_precondition(key: str, expected: int | None) -> None:
    """With CATALOGUE_REQUIRE_IF_MATCH (the default), a change must name the
    version it was made to, or two people editing at once lose one's work."""
    if expected is None and current_app.config.get("REQUIRE_IF_MATCH", True):
        raise PreconditionRequired(
            f"send If-Match with the ETag that GET /api/v1/assets/{key} returned (or the "
            "record's version): this catalogue refuses a change that does not say which "
            "version it changes, so that two people cannot overwrite each other's work"
        )


def _check_version(writer: Writer, key: str, expected: int | None) -> None:
    current = assets.get(writer, key)
    if expected is not None and expected != current["version"]:
        raise StaleVersion(key, expected, current["version"])


def _asset_response(record: Mapping[str, Any], status: int = 200) -> Response:
    response = jsonify(record)
    response.status_code = status
    return with_etag(response, record["version"])


def run_facts(session: Session, record: Mapping[str, Any], sight: Sight) -> dict[str, Any]:
    """What OpenLineage runs say of an asset (#19): a pipeline's latest runs, or
    the last successful write of anything else. What the caller may not see is
    left out of a run's inputs and outputs, and a hidden job is None."""
    if record["kind"] == "pipeline":
        runs = run_health.run_history(session, record["key"])
        return {"runs": [_run_shown(run, sight) for run in runs]}
    write = run_health.last_write_record(session, record["key"])
    if write is not None and not sight.visible(write["job"]):
        return {"last_successful_write": {**write, "job": None}}
    return {"last_successful_write": write}


def _run_shown(run: RunRecord, sight: Sight) -> dict[str, Any]:
    """A run as the API shows it: ISO times, only the inputs and outputs the caller may see."""
    return {
        **run,
        "started_at": run["started_at"].isoformat(),
        "state_at": run["state_at"].isoformat(),
        "inputs": [a for a in run["inputs"] if sight.visible(a)],
        "outputs": [a for a in run["outputs"] if sight.visible(a)],
    }


# -- routes ------------------------------------------------------------------------------
@bp.get("/assets")
@document(
    "List assets", tag=TAG, query=AssetListQuery, responses={200: ("a page", AssetPageSchema)}
)
def list_assets() -> Response:
    """Assets you may see, by key, filtered by kind, department, owner (name or
    email) and tag; retired ones only with ``all=true``."""
    return jsonify(asset_page(current_principal(), load_query(AssetListQuery)))


@bp.post("/assets")
@document(
    "Register an asset",
    tag=TAG,
    body=AssetSchema,
    auth=True,
    responses={
        201: ASSET,
        400: "the body is not a JSON object",
        403: "not yours to register",
        409: "the key is taken",
        422: "a field breaks a rule",
    },
)
def register_asset() -> Response:
    """Register an asset (the fields of docs/records.md). Stewards register assets
    of their own department, or that name them owner or steward."""
    principal = signed_in()
    body = json_body()
    with catalogue().write(principal) as writer:
        record = assets.register(writer, body, as_given=True)
    response = _asset_response(record, 201)
    response.headers["Location"] = url_for("api.get_asset", key=record["key"])
    return response


@bp.get("/assets/<key>")
@document(
    "Read an asset", tag=TAG, responses={200: ASSET, 304: "not modified", 404: "no such asset"}
)
def get_asset(key: str) -> Response:
    """Every field of one asset; its ETag is its version and its runs
    (If-None-Match gives 304)."""
    with reading() as reader:
        sight = Sight(reader)
        record = assets.get(reader, key)
        runs = run_facts(reader.session, record, sight)
    shown = {**shown_record(record, sight), **runs}
    response = _asset_response(shown)
    tag = read_tag(shown["version"], runs)
    response.headers["ETag"] = f'"{tag}"'
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": response.headers["ETag"]})
    return response


def read_tag(version: int, runs: dict[str, Any]) -> str:
    """An asset's ETag as read: its version, and a digest of what its runs say
    (a pipeline's ``runs``, anything else's ``last_successful_write``) when they
    say anything, so a cached copy goes stale when a run is recorded. If-Match
    reads the version from it (a change is made to a version, not to runs)."""
    said = {k: v for k, v in runs.items() if v}
    if not said:
        return str(version)
    text = json.dumps(said, sort_keys=True, default=str)
    return f"{version}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}"


@bp.patch("/assets/<key>")
@document(
    "Change an asset", tag=TAG, body=AssetChangesSchema, auth=True, responses=CHANGE_RESPONSES
)
def update_asset(key: str) -> Response:
    """Change the fields given; the rest stay as they are. Send ``If-Match`` with
    the ETag you read (or the record's ``version``) to be refused, with 412, if
    someone changed it since. A change that changes nothing writes nothing."""
    principal = signed_in()
    body = json_body()
    expected = _expected_version(body)
    _require_precondition(key, expected)
    with catalogue().write(principal) as writer:
        _check_version(writer, key, expected)
        record = assets.update(writer, key, body, expected_version=expected, as_given=True)
    return _asset_response(record)


@bp.post("/assets/<key>/retire")
@document("Retire an asset", tag=TAG, auth=True, responses=CHANGE_RESPONSES)
def retire_asset(key: str) -> Response:
    """Mark an asset retired; its history and lineage history stay. Honours
    ``If-Match`` as a change does."""
    principal = signed_in()
    expected = if_match()
    _require_precondition(key, expected)
    with catalogue().write(principal) as writer:
        _check_version(writer, key, expected)
        record = assets.retire(writer, key, expected_version=expected)
    return _asset_response(record)


@bp.get("/assets/<key>/history")
@document(
    "History of an asset",
    tag=TAG,
    responses={200: ("oldest first", HistorySchema), 404: "no such asset"},
)
def asset_history(key: str) -> Response:
    """Every change to the asset and its lineage: when, who, before and after."""
    with reading() as reader:
        changes = assets.history(reader, key)
    return jsonify(key=key, changes=changes)


@bp.post("/assets/<key>/upstream")
@document(
    "Add an upstream edge",
    tag="lineage",
    body=EdgeInSchema,
    auth=True,
    responses={
        201: ("the edge", EdgeSchema),
        403: "not yours to change",
        404: "no such asset",
        409: "already fed by it, or it would make a cycle",
        422: "an unknown upstream or via",
    },
)
def add_upstream(key: str) -> Response:
    """Record that ``upstream`` feeds this asset (optionally via a pipeline)."""
    principal = signed_in()
    body = load_body(EdgeInSchema)
    cat = catalogue()
    with cat.write(principal) as writer:
        assets.get(writer, key)
        edge = edges.add_edge(
            writer,
            body["upstream"],
            key,
            body.get("via"),
            body.get("description"),
        )
    response = jsonify(edge)
    response.status_code = 201
    return response


@bp.delete("/assets/<key>/upstream/<upstream>")
@document(
    "End an upstream edge",
    tag="lineage",
    auth=True,
    responses={200: ("the ended edge", EdgeSchema), 404: "no such edge"},
)
def end_upstream(key: str, upstream: str) -> Response:
    """End the edge ``upstream → key``; it stays in the history with its end time."""
    principal = signed_in()
    with catalogue().write(principal) as writer:
        edge = edges.end_edge(writer, upstream, key)
    return jsonify(edge)

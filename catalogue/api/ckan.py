"""A read-only CKAN Action API at ``/api/3/action/<name>`` and ``/api/action/<name>``
(GET with query parameters, or POST with a JSON or form body, answered directly:
``ckanapi`` POSTs and does not follow redirects).

Answers use CKAN's envelope ``{"help", "success", "result"}`` and its errors
``{"__type", "message"}`` with CKAN's status codes (Not Found 404, Authorization
403, Validation 409, Search Query 400). Callers see what they may see, and, as
in CKAN, private packages (not ``open``) only when they ask with
``include_private``; anonymous callers see only open packages. See
``catalogue.services.publishing`` for what a package is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from catalogue.api.base import document, has_nul, refuse_oversized
from catalogue.api.ckan_packages import (
    group_dict,
    organization_dict,
    package_dict,
    tag_dict,
)
from catalogue.api.schemas import CkanResponseSchema
from catalogue.errors import CatalogueError, Forbidden, Invalid, NotFound, Unauthorized
from catalogue.http import reading
from catalogue.services import ckan_indexed, ckan_search
from catalogue.services.ckan_search import count_by
from catalogue.services.package_lookup import find_package
from catalogue.services.publishing import THEMES, published_records, slug

bp = Blueprint("ckan", __name__)
bp.before_request(refuse_oversized)
Params = dict[str, Any]
ACTIONS: dict[str, Callable[[Params], Any]] = {}
WRITE_SUFFIXES = ("_create", "_update", "_patch", "_delete", "_purge", "_revise")
MAX_ROWS = 1000
CKAN_VERSION = "2.11.0"


class CkanError(Exception):
    def __init__(self, status: int, kind: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.extra = status, kind, message, extra


def action(fn: Callable[[Params], Any]) -> Callable[[Params], Any]:
    ACTIONS[fn.__name__] = fn
    return fn


# -- parameters ------------------------------------------------------------------
def request_params() -> Params:
    """Query parameters (GET) or the JSON / form body (POST); a NUL character
    anywhere (which the database cannot hold) is a Validation Error."""
    params = _read_params()
    if has_nul(params):
        raise CkanError(409, "Validation Error", "", __all__=["NUL characters are not allowed"])
    return params


def _read_params() -> Params:
    if request.method == "GET":
        return {k: v if len(v) > 1 else v[0] for k, v in request.args.to_dict(flat=False).items()}
    if request.mimetype == "application/json" or not request.form:
        data = request.get_data(cache=True)
        if not data.strip():
            return {}
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise CkanError(400, "", f"Bad request - JSON Error: {error}") from None
        if not isinstance(body, dict):
            raise CkanError(400, "", "Bad request - JSON Error: the body must be an object")
        return body
    return request.form.to_dict()


def integer(params: Params, name: str, default: int, low: int = 0, high: int | None = None) -> int:
    value = params.get(name, default)
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < low:
        raise CkanError(409, "Validation Error", "", **{name: [f"Must be an integer >= {low}"]})
    return min(number, high) if high is not None else number


def boolean(params: Params, name: str, default: bool = False) -> bool:
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def string_list(params: Params, name: str) -> list[str]:
    """A list parameter given as a list, a JSON list or one value."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.lstrip().startswith("[") else [value]
        except ValueError:
            raise CkanError(409, "Validation Error", "", **{name: ["Not a JSON list"]}) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CkanError(409, "Validation Error", "", **{name: ["Must be a list of strings"]})
    return value


# -- data ----------------------------------------------------------------------------
def packages(include_private: bool = False) -> list[dict[str, Any]]:
    """Package dicts of every active package the caller may see, by name."""
    with reading() as reader:
        records = published_records(reader)
    if not include_private:
        records = [r for r in records if r["access"] == "open"]
    return [_package(r) for r in records]


def _package(record: Mapping[str, Any]) -> dict[str, Any]:
    return package_dict(record, url_for("api.get_asset", key=record["key"], _external=True))


def _window(items: list[Any], params: Params) -> list[Any]:
    offset = integer(params, "offset", 0)
    limit = params.get("limit")
    if limit in (None, ""):
        return items[offset:]
    return items[offset : offset + integer(params, "limit", 0)]


# -- actions ---------------------------------------------------------------------------
@action
def package_search(params: Params) -> dict[str, Any]:
    """Search packages: q, fq, fq_list, sort, rows (at most 1000), start, facet.field,
    facet.limit, facet.mincount, include_private."""
    rows = integer(params, "rows", 10, 0, MAX_ROWS)
    start = integer(params, "start", 0)
    try:
        ckan_search.check_parameters(params)
    except ckan_search.SearchQueryError as error:
        raise CkanError(400, "Search Query Error", f"Search Query Error: {error}") from None
    query = ckan_search.PackageQuery(
        q=str(params.get("q") or ""),
        filters=[str(params.get("fq") or ""), *string_list(params, "fq_list")],
        sort=str(params.get("sort") or ckan_search.DEFAULT_SORT),
        rows=rows,
        start=start,
        facet_fields=string_list(params, "facet.field"),
        facet_limit=integer(params, "facet.limit", 50, -1),
        facet_mincount=integer(params, "facet.mincount", 1),
    )
    include_private = boolean(params, "include_private")
    try:
        try:
            with reading() as reader:
                answer, records = ckan_indexed.search_indexed(reader, query, include_private)
            return {**answer, "results": [_package(r) for r in records]}
        except ckan_indexed.NotIndexed:  # a filter on notes, res_url or a bare word
            return _search_every_package(query, include_private)
    except ckan_search.SearchQueryError as error:
        raise CkanError(400, "Search Query Error", f"Search Query Error: {error}") from None


def _search_every_package(query: ckan_search.PackageQuery, include_private: bool) -> Params:
    found = packages(include_private)
    departments = {p["organization"]["title"] for p in found if p["organization"]}
    titles = {
        "organization": {slug(title): title for title in departments},
        "groups": {code.lower(): label for code, label in THEMES.items()},
    }
    with reading() as reader:
        return ckan_search.search_packages(reader, found, query, titles)


@action
def package_show(params: Params) -> dict[str, Any]:
    """One package, by id or name."""
    wanted = str(params.get("id") or params.get("name") or "")
    if not wanted:
        raise CkanError(409, "Validation Error", "", id=["Missing value"])
    with reading() as reader:
        record = find_package(reader, wanted)
    return _package(record)


@action
def package_list(params: Params) -> list[str]:
    """Names of every public package (limit, offset)."""
    return _window([p["name"] for p in packages()], params)


@action
def current_package_list_with_resources(params: Params) -> list[dict[str, Any]]:
    """Public packages with their resources, newest change first (limit, offset)."""
    newest = sorted(packages(), key=lambda p: p["metadata_modified"] or "", reverse=True)
    return _window(newest, params)


def _groups_list(params: Params, organizations: bool) -> list[Any]:
    found = packages()
    if organizations:
        counts = count_by(p["organization"]["title"] for p in found if p["organization"])
        items = [organization_dict(title, n) for title, n in counts.items()]
    else:
        counts = count_by(theme_code for p in found for theme_code in _theme_codes(p))
        items = [group_dict(code, n) for code, n in counts.items()]
    field, _, direction = str(params.get("sort") or "title asc").partition(" ")
    field = {"package_count": "package_count", "name": "name"}.get(field, "title")
    items.sort(key=lambda g: g[field], reverse=direction.strip().lower() == "desc")
    items = _window(items, params)
    if boolean(params, "all_fields"):
        return (
            items
            if boolean(params, "include_dataset_count", True)
            else [{k: v for k, v in g.items() if k != "package_count"} for g in items]
        )
    return [g["name"] for g in items]


def _theme_codes(package: dict[str, Any]) -> list[str]:
    return [g["name"].upper() for g in package["groups"]]


@action
def organization_list(params: Params) -> list[Any]:
    """Departments with public packages (sort, limit, offset, all_fields)."""
    return _groups_list(params, organizations=True)


@action
def group_list(params: Params) -> list[Any]:
    """Themes with public packages (sort, limit, offset, all_fields)."""
    return _groups_list(params, organizations=False)


def _group_show(params: Params, organizations: bool) -> dict[str, Any]:
    wanted = str(params.get("id") or "").strip()
    for group in _groups_list({"all_fields": True}, organizations):
        if wanted in (group["id"], group["name"], group["title"]):
            if boolean(params, "include_datasets"):
                members = [
                    p
                    for p in packages()
                    if (p["organization"] or {}).get("id") == group["id"]
                    or any(g["id"] == group["id"] for g in p["groups"])
                ]
                group = {**group, "packages": members}
            return group
    kind = "organization" if organizations else "group"
    raise CkanError(404, "Not Found Error", f"Not found: {kind} {wanted!r}")


@action
def organization_show(params: Params) -> dict[str, Any]:
    """A department, by id or name (include_datasets for its packages)."""
    return _group_show(params, organizations=True)


@action
def group_show(params: Params) -> dict[str, Any]:
    """A theme, by id or name (include_datasets for its packages)."""
    return _group_show(params, organizations=False)


@action
def tag_list(params: Params) -> list[Any]:
    """Tags of public packages (query: part of the name; all_fields)."""
    if params.get("vocabulary_id"):
        return []
    query = str(params.get("query") or params.get("q") or "").lower()
    names = sorted({t["name"] for p in packages() for t in p["tags"] if query in t["name"]})
    return [tag_dict(n) for n in names] if boolean(params, "all_fields") else names


@action
def status_show(params: Params) -> dict[str, Any]:
    """What this site is."""
    return {
        "site_title": current_app.config.get("SERVICE_NAME") or "Council data catalogue",
        "site_description": "A council's data catalogue (read-only CKAN Action API)",
        "site_url": request.host_url.rstrip("/"),
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "en_GB",
        "extensions": ["council-catalogue"],
    }


@action
def help_show(params: Params) -> str:
    """The documentation of an action."""
    name = str(params.get("name") or "")
    if name not in ACTIONS:
        raise CkanError(404, "Not Found Error", f"Not found: action {name!r}")
    return ACTIONS[name].__doc__ or ""


# -- the routes ------------------------------------------------------------------------------
def envelope(name: str, **body: Any) -> dict[str, Any]:
    return {"help": f"{request.host_url}api/3/action/help_show?name={name}", **body}


def failure(name: str, error: CkanError) -> Response:
    if not error.kind:  # CKAN answers these with a bare JSON string
        response = jsonify(error.message)
    else:
        details = {"__type": error.kind, **error.extra}
        if error.message:
            details["message"] = error.message
        response = jsonify(envelope(name, success=False, error=details))
    response.status_code = error.status
    return response


def _run(name: str) -> Any:
    if name not in ACTIONS:
        if name.endswith(WRITE_SUFFIXES):
            raise CkanError(403, "Authorization Error", f"Access denied: {name} (read-only API)")
        raise CkanError(400, "", f"Bad request - Action name not known: {name}")
    try:
        return ACTIONS[name](request_params())
    except CatalogueError as error:
        raise ckan_error(error) from None


def ckan_error(error: CatalogueError) -> CkanError:
    """A catalogue error as CKAN would report it."""
    if isinstance(error, NotFound):
        return CkanError(404, "Not Found Error", f"Not found: {error.message}")
    if isinstance(error, Forbidden | Unauthorized):
        return CkanError(403, "Authorization Error", error.message)
    if isinstance(error, Invalid):
        return CkanError(409, "Validation Error", "", **error.field_errors())
    if error.status >= 500:
        return CkanError(error.status, "Internal Server Error", error.message)
    return CkanError(409, "Validation Error", error.message)


# CKAN answers an unknown action with a bare JSON string, other errors in its envelope.
CKAN_400 = {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/CkanResponse"}]}


@bp.route("/api/3/action/<name>", methods=["GET", "POST"])
@bp.route("/api/action/<name>", methods=["GET", "POST"])
@document(
    "CKAN action (read-only)",
    tag="ckan",
    responses={
        200: ("CKAN's envelope", CkanResponseSchema),
        400: ("unknown action (a bare JSON string, as CKAN answers) or bad query", CKAN_400),
        403: ("a write action (CKAN's envelope)", CkanResponseSchema),
        404: ("not found (CKAN's envelope)", CkanResponseSchema),
        409: ("a bad parameter (CKAN's envelope)", CkanResponseSchema),
    },
    path={"name": lambda: {"type": "string", "enum": sorted(ACTIONS)}},
)
def run_action(name: str) -> Response:
    """package_search, package_show, package_list, current_package_list_with_resources,
    organization_list, organization_show, group_list, group_show, tag_list,
    status_show, help_show; parameters as a query string or a JSON/form body."""
    try:
        return jsonify(envelope(name, success=True, result=_run(name)))
    except CkanError as error:
        return failure(name, error)


@bp.get("/api/3")
@document("CKAN API version", tag="ckan", responses={200: '{"version": 3}'})
def api_version() -> Response:
    """CKAN's API version probe."""
    return jsonify(version=3)

"""The API described: an OpenAPI 3 document built from the routes themselves
(apispec's MarshmallowPlugin turns the schemas of ``catalogue.api.schemas``
into JSON Schema), and a plain HTML page listing every route for people.

The document walks the app's URL map, so a route cannot be missing from it:
our routes carry what ``catalogue.api.base.document`` attached to them; any
other route under ``/api/`` is listed from its docstring.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, Response, current_app, jsonify, render_template_string
from werkzeug.routing import Rule

from catalogue.api.base import IF_MATCH_VERSION, document
from catalogue.api.blueprint import bp
from catalogue.api.openlineage_schemas import BODY_RULES
from catalogue.api.schemas import ProblemSchema
from catalogue.api.watches import BODY_RULES as WATCH_RULES
from catalogue.schemas import KEY_PATTERN, AssetSchema, PlainTextSchema

API_VERSION = "1.0.0"
DESCRIPTION = """\
The council data catalogue: assets, search, lineage, history and audit (REST),
OpenLineage in (Marquez's endpoints), a read-only CKAN Action API and DCAT-AP 3
out. Reads need no sign-in (you see open assets; sign in to see more); writes need
an API token: `Authorization: Bearer <token>`. Errors are
`application/problem+json` (RFC 9457) with per-field `errors` on 422."""
ERROR_TEXT = {
    400: "the request cannot be read",
    401: "not signed in",
    403: "not allowed",
    404: "not found",
    409: "conflicts with what is there",
    412: "a stale If-Match",
    413: "the request body is over the size limit",
    422: "a value breaks a rule",
    428: "If-Match is required",
}
HIDDEN_METHODS = {"HEAD", "OPTIONS"}
#: Path parameters that hold an asset's key: the document gives the key's rule.
KEY_PARAMETERS = {"key", "upstream", "to"}
#: No string a client sends may hold a NUL character: PostgreSQL can neither
#: store nor compare one, so every route refuses it (400) before reading further.
NO_NUL = "^[^\\u0000]*$"
#: What a record's text may hold (catalogue.text): no control character, except
#: the new lines and tabs of its multi-line (Markdown) fields.
ONE_LINE = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
MULTI_LINE = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$"


def documented(rule: Rule) -> bool:
    """Rules the document lists: ours, and anything else under /api/."""
    return rule.rule.startswith("/api/") or rule.endpoint.split(".")[0] in ("ckan", "dcat")


def openapi_path(rule: Rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _fallback_meta(view: Any) -> dict[str, Any]:
    doc = (view.__doc__ or view.__name__).strip()
    return {
        "summary": doc.splitlines()[0][:120],
        "tag": "other",
        "query": None,
        "body": None,
        "responses": {200: "OK"},
        "auth": False,
        "produces": "application/json",
        "body_type": "application/json",
        "path": {},
    }


def _response(status: int, spec: Any, produces: str) -> dict[str, Any]:
    """An error is a problem document unless the route names its own schema
    (CKAN's routes answer errors in CKAN's envelope, as its clients expect)."""
    description, schema = spec if isinstance(spec, tuple) else (spec, None)
    if status >= 400 and schema is None:
        schema, produces = ProblemSchema, "application/problem+json"
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {produces: {"schema": schema}}
    elif status < 300 and status != 204 and produces != "application/json":
        # JSON-LD and other +json types are documents, not strings.
        body = {"type": "object"} if produces.endswith("+json") else {"type": "string"}
        out["content"] = {produces: {"schema": body}}
    return out


def implied_statuses(meta: dict[str, Any], method: str) -> tuple[int, ...]:
    """The problems a route answers whether or not it declares them: 400 and 422
    when it reads a query or body, 401 when it needs a sign-in (``signed_in()``
    raises it), 413 for a body over the size limit on anything but a GET
    (``refuse_oversized``). A route's own ``responses`` may describe them more
    closely."""
    reads = (400, 422) if meta["query"] or meta["body"] else ()
    return reads + ((401,) if meta["auth"] else ()) + ((413,) if method != "GET" else ())


def if_match_parameter(required: bool) -> dict[str, Any]:
    """``If-Match`` as the asset routes read it: required unless the catalogue
    was configured not to (``CATALOGUE_REQUIRE_IF_MATCH=false``), when ``*`` (no
    version) is accepted too."""
    version = IF_MATCH_VERSION.strip("^$")
    return {
        "in": "header",
        "name": "If-Match",
        "required": required,
        "description": 'the ETag a GET returned, e.g. "3" (a PATCH may send the record\'s '
        "`version` in its body instead)"
        + ("; without it the change is refused with 428" if required else ""),
        "schema": {
            "type": "string",
            "pattern": f"^{version}$" if required else f"^(\\*|{version})$",
        },
    }


def path_parameter(name: str, meta: dict[str, Any]) -> dict[str, Any]:
    """A path parameter: what the route declared, an asset key's rule, or any text."""
    if name in meta["path"]:
        schema = meta["path"][name]()
    elif name in KEY_PARAMETERS:
        schema = {"type": "string", "pattern": KEY_PATTERN.pattern}
    else:
        schema = {"type": "string", "minLength": 1}
    return {"in": "path", "name": name, "required": True, "schema": schema}


def operation(rule: Rule, method: str, view: Any, require_if_match: bool) -> dict[str, Any]:
    """One OpenAPI operation for ``method`` on ``rule``."""
    meta = getattr(view, "__openapi__", None) or _fallback_meta(view)
    responses = {
        str(status): _response(status, spec, meta["produces"])
        for status, spec in sorted(meta["responses"].items())
    }
    for status in implied_statuses(meta, method):
        responses.setdefault(str(status), _response(status, ERROR_TEXT[status], ""))
    op: dict[str, Any] = {
        "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
        "summary": meta["summary"],
        "description": re.sub(r"\s+", " ", (view.__doc__ or "").strip()),
        "tags": [meta["tag"]],
        "responses": responses,
    }
    if meta["query"] is not None and method == "GET":
        op["parameters"] = [{"in": "query", "schema": meta["query"]}]
    if meta["body"] is not None and method in ("POST", "PUT", "PATCH"):
        op["requestBody"] = {
            "required": True,
            "content": {meta["body_type"]: {"schema": meta["body"]}},
        }
    if meta["auth"]:
        op["security"] = [{"bearerAuth": []}]
    if method == "PATCH" or rule.rule.endswith("/retire"):
        op.setdefault("parameters", []).append(if_match_parameter(require_if_match))
    op.setdefault("parameters", []).extend(
        path_parameter(name, meta) for name in sorted(rule.arguments)
    )
    if not op["parameters"]:
        del op["parameters"]
    return op


def refuse_nul_everywhere(schema: Any) -> None:
    """Give every free-text string in ``schema`` (a request's parameters and
    bodies) the rule every route enforces: no NUL character."""
    if isinstance(schema, list):
        for item in schema:
            refuse_nul_everywhere(item)
        return
    if not isinstance(schema, dict):
        return
    if (
        schema.get("type") == "string"
        and not {"pattern", "enum", "format", "anyOf"} & schema.keys()
    ):
        schema["pattern"] = NO_NUL
    for value in schema.values():
        refuse_nul_everywhere(value)


def _plain_text_schemas() -> dict[str, type[PlainTextSchema]]:
    """Each record schema that refuses control characters, by its name in the
    document (apispec names a component after its class, less "Schema")."""
    found, todo = {}, [PlainTextSchema]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        found[cls.__name__.removesuffix("Schema")] = cls
    found["AssetChanges"] = AssetSchema  # a PATCH body: the asset's fields, each optional
    return found


def refuse_control_characters(components: dict[str, Any]) -> None:
    """State on each text of a record what ``PlainTextSchema`` refuses."""
    for name, cls in _plain_text_schemas().items():
        for field, prop in components.get(name, {}).get("properties", {}).items():
            rule = MULTI_LINE if field in cls.multiline else ONE_LINE
            for schema in (prop, prop.get("items") or {}):
                if schema.get("type") == "string" and not {"enum", "format"} & schema.keys():
                    schema.setdefault("pattern", rule)


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every documented route of ``app``."""
    spec = APISpec(
        title="Council data catalogue API",
        version=API_VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict[str, Any]] = {}
    require_if_match = bool(app.config.get("REQUIRE_IF_MATCH", True))
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not documented(rule):
            continue
        path = openapi_path(rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - HIDDEN_METHODS):
            paths.setdefault(path, {})[method.lower()] = operation(
                rule, method, view, require_if_match
            )
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    built = spec.to_dict()
    for name, rules in {**BODY_RULES, **WATCH_RULES}.items():
        built["components"]["schemas"][name].update(rules)
    refuse_control_characters(built["components"]["schemas"])
    refuse_nul_everywhere(built["components"]["schemas"])
    for operations in built["paths"].values():
        for op in operations.values():
            refuse_nul_everywhere(op.get("parameters", []))
    return built


def app_spec() -> dict[str, Any]:
    """This app's document (built once per app: routes do not change at run time)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = build_spec(app)
    return app.extensions["openapi"]


# -- routes --------------------------------------------------------------------------------
@bp.get("/openapi.json")
@document("This document", tag="meta", responses={200: "the OpenAPI 3 document"})
def openapi_document() -> Response:
    """The OpenAPI 3 document of every route."""
    return jsonify(app_spec())


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style nonce="{{ csp_nonce() }}">
body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4}
code{background:#f3f2f1;padding:0 .2em}h2{border-top:1px solid #b1b4b6;padding-top:.5em}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left}
</style></head><body>
<h1>{{ title }}</h1>
<p>{{ description }}</p>
<p>Machine-readable: <a href="{{ url_for('api.openapi_document') }}">openapi.json</a>.</p>
{% for tag, operations in groups %}
<h2 id="{{ tag }}">{{ tag|capitalize }}</h2>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead><tbody>
{% for o in operations %}
<tr><td><code>{{ o.method }}</code></td><td><code>{{ o.path }}</code></td>
<td><strong>{{ o.summary }}</strong>{% if o.auth %} (API token){% endif %}.
{{ o.description }}{% if o.params %}<br>Parameters: {% for p in o.params %}<code>{{ p }}</code>
{% endfor %}{% endif %}</td></tr>
{% endfor %}
</tbody></table>
{% endfor %}
</body></html>"""


def doc_rows(spec: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The operations of ``spec`` grouped by tag, for the page."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            groups.setdefault(op["tags"][0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "description": op["description"],
                    "auth": "security" in op,
                    "params": [p["name"] for p in op.get("parameters", []) if p["in"] == "query"],
                }
            )
    return sorted(groups.items())


@bp.get("/docs")
@document("This page", tag="meta", produces="text/html", responses={200: "HTML"})
def api_docs() -> str:
    """Every route of the API for people to read: method, path, what it does."""
    spec = app_spec()
    return render_template_string(
        PAGE,
        title=spec["info"]["title"],
        description=DESCRIPTION,
        groups=doc_rows(spec),
    )

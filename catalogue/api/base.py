"""What every API route shares: reading a request (query, JSON body, who is
asking, If-Match) into plain values, and the OpenAPI facts a route declares.

Anything wrong with a request becomes a CatalogueError, which the one error
handler (``catalogue.http``) renders as ``application/problem+json``: a body
that is not JSON is 400, a value that breaks a rule 422 with per-field
``errors``, a missing sign-in 401. Nothing a client sends can make a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Response, current_app, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import RequestEntityTooLarge

from catalogue.errors import CatalogueError, Invalid, PreconditionFailed, Problem, Unauthorized
from catalogue.http import current_principal, problem
from catalogue.schemas import problems_from, suggest_field
from catalogue.services.access import Principal

View = TypeVar("View", bound=Callable[..., Any])
SIGN_IN = (
    "sign in, or send an API token (Authorization: Bearer <token>; CKAN clients may send "
    "Authorization: <token> or X-CKAN-API-Key)"
)


class MalformedRequest(CatalogueError):
    """The request itself cannot be read (not JSON, not an object, bad gzip…)."""

    status = 400
    title = "Bad request"


class StaleVersion(PreconditionFailed):
    """If-Match named a version the catalogue no longer holds."""

    def __init__(self, key: str, expected: int, current: int) -> None:
        super().__init__(
            f"asset {key!r} has changed since you read it: If-Match names version "
            f"{expected}, the catalogue now holds version {current}. "
            "GET it again and make your change to that version."
        )
        self.current_version = current


def stale_version_problem(error: StaleVersion) -> Response:
    response = problem(
        error.status, error.title, error.message, current_version=error.current_version
    )
    response.headers["ETag"] = etag_of(error.current_version)
    return response


def unauthorized_problem(error: Unauthorized) -> Response:
    response = problem(error.status, error.title, error.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="catalogue"'
    return response


# -- OpenAPI facts -------------------------------------------------------------------
def document(
    summary: str,
    *,
    tag: str,
    query: type[Schema] | None = None,
    body: type[Schema] | None = None,
    responses: Mapping[int, Any] | None = None,
    auth: bool = False,
    produces: str = "application/json",
    body_type: str = "application/json",
    path: Mapping[str, Callable[[], dict[str, Any]]] | None = None,
) -> Callable[[View], View]:
    """Attach what the OpenAPI document says about a route to its view.

    ``responses`` maps a status to a description, or to (description, schema);
    the problems every such route answers need not be listed (401 with ``auth``,
    400 and 422 with a ``query`` or ``body``: see ``openapi.implied_statuses``).
    ``path`` gives a path parameter the JSON Schema of what the route accepts,
    made when the document is built (asset keys are described without it).
    The view's docstring becomes the operation's description.
    """

    def decorate(view: View) -> View:
        view.__openapi__ = {  # type: ignore[attr-defined]
            "summary": summary,
            "tag": tag,
            "query": query,
            "body": body,
            "responses": dict(responses or {200: "OK"}),
            "auth": auth,
            "produces": produces,
            "body_type": body_type,
            "path": dict(path or {}),
        }
        return view

    return decorate


# -- reading requests ------------------------------------------------------------------
def load_query(
    schema_class: type[Schema],
    args: Mapping[str, Any] | None = None,
    ignore_unknown: bool = False,
) -> dict:
    """The query string read by ``schema_class``: list fields take every value
    given (``?tag=a&tag=b``). Raises Invalid (422) naming each bad or unknown
    parameter, with a "did you mean" where one is close. ``ignore_unknown``: a
    page's address may carry parameters that are not its own (a campaign tag, an
    old bookmark); only the known ones are read, and checked as strictly."""
    schema = schema_class()
    given = request.args if args is None else args
    data: dict[str, Any] = {}
    known = {}
    for name, field in schema.fields.items():
        wire = field.data_key or name
        known[wire] = name
        if isinstance(field, fields.List):
            values = given.getlist(wire) if hasattr(given, "getlist") else given.get(wire)
            if values:
                data[wire] = values
        elif wire in given:
            data[wire] = given[wire]
    problems = [
        Problem(suggest_field(name, known).replace("field", "parameter"), name)
        for name in given
        if name not in known and not ignore_unknown
    ]
    try:
        loaded = schema.load(data)
    except ValidationError as error:
        problems += problems_from(error, known)
    if problems:
        raise Invalid("the query parameters are not valid", problems)
    return loaded


def has_nul(value: Any) -> bool:
    """True if a string anywhere in ``value`` holds a NUL character (which
    PostgreSQL cannot store or even compare)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


NUL_MESSAGE = "the request holds a NUL character (\\u0000), which no field may contain"


def refuse_nul() -> None:
    """before_request: a NUL in the path or query string is a 400, not a database error."""
    if has_nul(request.path) or any(has_nul(k) or has_nul(v) for k, v in request.args.items(True)):
        raise MalformedRequest(NUL_MESSAGE)


def refuse_oversized() -> None:
    """before_request: a body over MAX_CONTENT_LENGTH is a 413 even on a route
    that would not read it (retire, ending an edge), so nothing is written."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    size = request.content_length
    if limit is not None and size is not None and size > limit:
        raise RequestEntityTooLarge(
            f"the request body is {size} bytes; the catalogue accepts at most {limit}"
        )


def json_body(raw: bytes | None = None) -> dict[str, Any]:
    """The request body as a JSON object. Raises MalformedRequest (400) saying
    why when it is empty, not JSON, not an object, or holds a NUL character."""
    data = request.get_data(cache=True) if raw is None else raw
    if not data.strip():
        raise MalformedRequest("the request needs a JSON object in its body")
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedRequest(f"the body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise MalformedRequest(f"the body must be a JSON object, not {type(value).__name__}")
    if has_nul(value):
        raise MalformedRequest(NUL_MESSAGE)
    return value


def load_body(schema_class: type[Schema]) -> dict[str, Any]:
    """The JSON body validated by ``schema_class``. Raises MalformedRequest (400)
    or Invalid (422, per field)."""
    body = json_body()
    schema = schema_class()
    try:
        return schema.load(body)
    except ValidationError as error:
        problems = problems_from(error, schema.fields)
        raise Invalid("the request body is not valid", problems) from None


def signed_in() -> Principal:
    """Who is asking, if signed in (by session or token). Raises Unauthorized (401)."""
    principal = current_principal()
    if not principal.signed_in:
        raise Unauthorized(f"this needs you to be signed in: {SIGN_IN}")
    return principal


def etag_of(version: int) -> str:
    return f'"{version}"'


#: What ``If-Match`` may say: the ETag of one version (``"3"``, ``W/"3"`` or ``3``,
#: or an asset's ``"3-5f0c2a9e41b7"`` that also names its runs: the version counts),
#: or ``*`` (any version, which names none). The OpenAPI document states it.
IF_MATCH_VERSION = r'^(W/)?"*([0-9]{1,12})(-[0-9a-f]{1,64})?"*$'
_IF_MATCH = re.compile(IF_MATCH_VERSION)


def if_match() -> int | None:
    """The version ``If-Match`` names; None without one (or with ``*``).
    Raises Invalid for a list of versions or a value that is not a version."""
    value = (request.headers.get("If-Match") or "").strip()
    if not value or value == "*":
        return None
    found = _IF_MATCH.match(value)
    if found is None:
        raise Invalid(
            "If-Match must be the ETag of one version",
            [Problem(f'got {value[:50]!r}; send the ETag a GET returned, e.g. "3"', "If-Match")],
        )
    return int(found.group(2))


def with_etag(response: Response, version: int) -> Response:
    response.headers["ETag"] = etag_of(version)
    response.headers["Cache-Control"] = "no-cache"
    return response

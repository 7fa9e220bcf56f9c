"""What the web pages and the API share: the catalogue of this process, who is
asking, and one mapping of domain errors to responses (problem+json for the API,
a page for people)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from catalogue.errors import CatalogueError, Invalid
from catalogue.services.access import ANONYMOUS, Principal
from catalogue.services.context import Reader
from catalogue.store import Catalogue


def catalogue() -> Catalogue:
    return current_app.extensions["catalogue"]


def current_principal() -> Principal:
    """Who is asking: set per request by the sign-in and token hooks; anonymous otherwise."""
    return g.get("principal", ANONYMOUS)


def reading() -> AbstractContextManager[Reader]:
    """The context of a read service call, for whoever is asking."""
    return catalogue().reading(current_principal())


def wants_json() -> bool:
    json_paths = ("/api/", "/marquez/api/")
    return (
        request.path.startswith(json_paths) or request.accept_mimetypes.best == "application/json"
    )


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _page(status: int, title: str, detail: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail), status


def handle_catalogue_error(error: CatalogueError) -> Any:
    if wants_json():
        extra: dict[str, Any] = (
            {"errors": error.field_errors()} if isinstance(error, Invalid) else {}
        )
        if isinstance(error, Invalid):
            extra["problems"] = [p.as_dict() for p in error.problems]
        return problem(error.status, error.title, error.message, **extra)
    return _page(error.status, error.title, error.message)


def handle_http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if wants_json():
        response = problem(status, error.name, error.description or error.name)
    else:
        response = make_response(*_page(status, error.name, error.description or ""))
    # What the error itself says beyond its body: Allow on a 405 (RFC 9110 15.5.6),
    # WWW-Authenticate on a 401, Retry-After on a 429 or 503.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def database_reason(error: Exception) -> str:
    """The driver's first line about a database error (for logs: no SQL, no parameters)."""
    orig = getattr(error, "orig", None)
    lines = str(orig if orig is not None else error).strip().splitlines()
    return lines[0][:300] if lines else type(error).__name__


#: SQLite reports mistakes in the SQL or the schema (a table or column missing: a
#: bug, or a database not upgraded) as OperationalError, like an outage. These are
#: not "try again in a moment": they are internal errors, logged with a traceback.
NOT_AN_OUTAGE = ("no such table", "no such column", "has no column named", "syntax error")


def is_outage(error: Exception) -> bool:
    """Whether a database error means the database is unreachable or busy (503)
    rather than a fault in the catalogue itself (500)."""
    if not isinstance(error, OperationalError):
        return True
    reason = database_reason(error).lower()
    return not any(mistake in reason for mistake in NOT_AN_OUTAGE)


def handle_database_down(error: OperationalError | InterfaceError | PoolTimeout) -> Any:
    """The database is unreachable (refused, restarting, a connection cut, no
    connection free in time): a clean 503 with Retry-After, and the app recovers
    by itself (pool_pre_ping replaces dead connections on the next checkout).

    The request's log line names the error and the driver's one-line message
    (no traceback: an outage would flood the log with the same one); the user
    sees neither.
    """
    if not is_outage(error):
        return handle_internal_error(error)
    g.log_error = {"error_type": type(error).__name__, "error": database_reason(error)}
    detail = "The catalogue database is not answering. Try again in a moment."
    if wants_json():
        response = problem(503, "Service unavailable", detail)
    else:
        page, _ = _page(503, "Service unavailable", detail)
        response = Response(page, status=503)
    response.headers["Retry-After"] = "5"
    return response


def handle_internal_error(error: Exception) -> Any:
    """A fault in the catalogue: 500, the traceback in the log and never in the answer."""
    current_app.log_exception((type(error), error, error.__traceback__))  # type: ignore[arg-type]
    detail = "Something went wrong in the catalogue. It has been logged; please tell its team."
    if wants_json():
        return problem(500, "Internal server error", detail)
    return _page(500, "Internal server error", detail)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CatalogueError, handle_catalogue_error)
    app.register_error_handler(HTTPException, handle_http_error)
    for database_down in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(database_down, handle_database_down)

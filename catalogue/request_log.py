"""Structured logs: one line per request, and a formatter that makes every log
line (ours, Flask's, gunicorn's) one JSON object.

What a request line holds, and what it never holds:

- method, path (never the query string: a token or a search for a person's
  name may be in it; ``query`` only says whether there was one), status,
  ``duration_ms``, response ``bytes``, ``remote_addr``, ``request_id`` and the
  signed-in ``user`` (their name; never a token, password, cookie or header);
- a request that failed on the server carries ``error_type``: an unexpected
  error (500) with its ``traceback``, the database being unreachable (503)
  with the driver's one-line ``error``; in the log, never in the response.

``configure_logging`` is called by ``catalogue serve`` (and by tests); the app
itself only emits records, so an app made in a test or a script logs wherever
its host process says.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any

from flask import Flask, Response, g, request

log = logging.getLogger("catalogue.requests")

REQUEST_ID_HEADER = "X-Request-Id"
# An incoming request id is kept when it is short and plain (a proxy's UUID, a
# trace id); anything else is replaced, so no one can write into our log lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# LogRecord attributes that are not fields a caller added with ``extra=``.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


# -- formatting ----------------------------------------------------------------------
def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES}


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO 8601), level, logger,
    message, the fields given with ``extra=``, and for a record with an
    exception its ``error_type`` and ``traceback``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update(_fields(record))
        if record.exc_info and record.exc_info[0] is not None:
            entry.setdefault("error_type", record.exc_info[0].__name__)
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For people at a terminal: the same facts as ``key=value`` after the message."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items() if k != "traceback")
        line = f"{_timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        line = f"{line} {fields}" if fields else line
        trace = _fields(record).get("traceback")
        if record.exc_info and record.exc_info[0] is not None:
            trace = self.formatException(record.exc_info)
        return f"{line}\n{trace}" if trace else line


def configure_logging(
    level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> None:
    """Send every logger's records (the root logger's) to ``stream`` (stderr),
    one line each in ``fmt`` ("json" or "text"), from ``level`` up.

    Replaces the root logger's handlers, so calling it twice does not print twice.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


# -- the request line ---------------------------------------------------------------------
def request_id() -> str:
    """This request's id: the caller's ``X-Request-Id`` when it is sane, else a new one."""
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def _start_request() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _user() -> str | None:
    """Who was signed in (set by the sign-in and token hook), by name only."""
    principal = g.get("principal")
    return principal.name if principal is not None and principal.signed_in else None


def _log_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started", time.perf_counter())
    fields = {
        "method": request.method,
        "path": request.path,
        "query": bool(request.query_string),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "bytes": response.calculate_content_length(),
        "remote_addr": request.remote_addr,
        "request_id": request_id(),
        "user": _user(),
    }
    if response.status_code >= 500:
        fields.update(g.get("log_error", {}))
        error: ExcInfo | None = g.get("server_error")
        if error is not None:
            fields["error_type"] = error[0].__name__
            fields["traceback"] = "".join(traceback.format_exception(*error)).rstrip()
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra=fields)
    return response


def init_app(app: Flask) -> None:
    """Log every request (unless ``log_requests`` is off) and give each an id,
    echoed in the ``X-Request-Id`` response header.

    Call it before other hooks are registered: its before_request then runs
    first and its after_request last, so it sees the response as sent.
    """
    if not app.config["SETTINGS"].log_requests:
        return
    app.before_request(_start_request)
    app.after_request(_log_request)

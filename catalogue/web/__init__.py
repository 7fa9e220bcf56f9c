"""The HTML pages and health checks."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from sqlalchemy import text

from catalogue.http import catalogue

bp = Blueprint("web", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """The process is up (says nothing about the database)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """The database answers and the views have caught up with it."""
    cat = catalogue()
    try:
        with cat.read() as session:
            session.execute(text("SELECT 1"))
        ready = cat.is_initialised()
    except Exception as error:  # noqa: BLE001 - any database failure means "not ready"
        return jsonify(status="unavailable", reason=type(error).__name__), 503
    if not ready:
        return jsonify(status="unavailable", reason="database not initialised"), 503
    return jsonify(status="ready")


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    cat = catalogue()
    graph = cat.graph()
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Council data catalogue</title></head><body>"
        f"<h1>Council data catalogue</h1><p>{len(graph)} assets catalogued.</p>"
        "</body></html>"
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

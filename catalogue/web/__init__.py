"""The HTML pages (GOV.UK Frontend, council-branded) and the health checks.

Every page renders from the same service calls as the API and the CLI
(``catalogue.services``): the web layer parses requests, calls services with
who is asking, and renders. Pages work without JavaScript; scripts only add
autocomplete and the lineage graph.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, jsonify
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import text

from catalogue.http import catalogue
from catalogue.web.blueprint import STATIC, bp

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_SERVICE_NAME = "Council data catalogue"


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


def init_app(app: Flask) -> None:
    """Register the pages, their templates (ours, then GOV.UK Frontend's macros
    under ``govuk_frontend_jinja/``) and the names the layout shows.

    ``CATALOGUE_SERVICE_NAME`` (default "Council data catalogue") names the
    service; ``CATALOGUE_ORGANISATION`` (e.g. "London Borough of Thamesbury"),
    when set, heads every page in place of the GOV.UK logo.
    """
    # Imported for their routes on ``bp``.
    from catalogue.web import (  # noqa: F401
        asset_pages,
        audit,
        browse,
        lineage_pages,
        steward,
    )
    from catalogue.web.presenters import register_template_helpers

    app.config.setdefault(
        "SERVICE_NAME", os.environ.get("CATALOGUE_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    )
    app.config.setdefault("ORGANISATION_NAME", os.environ.get("CATALOGUE_ORGANISATION") or None)
    app.jinja_loader = ChoiceLoader(  # type: ignore[method-assign,assignment]
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # The app's /static route serves the pages' files (the app has no others).
    app.static_folder = str(STATIC)
    register_template_helpers(app)
    app.register_blueprint(bp)

"""The HTML pages (GOV.UK Frontend, council-branded) and the health checks.

Every page renders from the same service calls as the API and the CLI
(``catalogue.services``): the web layer parses requests, calls services with
who is asking, and renders. Pages work without JavaScript; scripts only add
autocomplete and the lineage graph.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy.exc import SQLAlchemyError

from catalogue.http import catalogue, database_reason
from catalogue.services.changes import latest_seq
from catalogue.store import Catalogue
from catalogue.web.blueprint import STATIC, bp

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_SERVICE_NAME = "Council data catalogue"
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up (says nothing about the database)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Ready to serve: the database answers, it is initialised, and this
    worker's views (lineage graph, search index) have applied every change up
    to the change log's head. Polled, so it costs a few indexed reads when
    nothing changed; it brings the views up to date as it looks.

    200 with the figures when ready; 503 with the ``reason`` otherwise. A
    failure's details go to the log, never into the response.
    """
    report, reason = readiness(catalogue())
    if reason is None:
        return jsonify(status="ready", **report)
    response = jsonify(status="unavailable", reason=reason, **report)
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


def readiness(cat: Catalogue) -> tuple[dict[str, Any], str | None]:
    """This process's readiness report, and why it is not ready (None if it is)."""
    report: dict[str, Any] = {"database": {"ok": False}}
    try:
        initialised = cat.is_initialised()  # also proves the database answers
        report["database"]["ok"] = True
        if not initialised:
            return report, "database not initialised: run `catalogue init`"
        with cat.read() as session:
            head = latest_seq(session)
    except SQLAlchemyError as error:
        # No traceback: a probe polled through an outage would repeat it every time.
        log.warning("readiness: database unreachable: %s", database_reason(error))
        return report, f"database unreachable ({type(error).__name__})"
    report["database"]["change_log_head"] = head
    views: dict[str, dict[str, Any]] = {}
    report["views"] = views
    for name, catch_up in (("lineage_graph", _graph_seq), ("search_index", _index_seq)):
        try:
            applied = catch_up(cat)
        except SQLAlchemyError as error:
            log.warning(
                "readiness: %s could not read the change log: %s", name, database_reason(error)
            )
            views[name] = {"applied_seq": None, "lag": None}
            return report, f"database unreachable ({type(error).__name__})"
        except Exception as error:  # noqa: BLE001 - any failure of a view means "not ready"
            log.error("readiness: %s cannot catch up", name, exc_info=True)
            views[name] = {"applied_seq": None, "lag": None}
            return report, f"{name.replace('_', ' ')} cannot catch up ({type(error).__name__})"
        views[name] = {"applied_seq": applied, "lag": max(0, head - applied)}
    behind = [name for name, view in views.items() if view["lag"]]
    if behind:
        return report, f"{' and '.join(behind).replace('_', ' ')} behind the change log"
    return report, None


def _graph_seq(cat: Catalogue) -> int:
    return cat.views.graph().applied_seq


def _index_seq(cat: Catalogue) -> int:
    # While another process holds the index's write lock this answers from what
    # is there; the lag then says so.
    return cat.views.index().applied_seq()


def init_app(app: Flask) -> None:
    """Register the pages, their templates (ours, then GOV.UK Frontend's macros
    under ``govuk_frontend_jinja/``) and the names the layout shows.

    ``CATALOGUE_SERVICE_NAME`` (default "Council data catalogue") names the
    service; ``CATALOGUE_ORGANISATION`` (e.g. "London Borough of Thamesbury"),
    when set, heads every page in place of the GOV.UK logo.
    """
    # Imported for their routes on ``bp``.
    from catalogue.web import (  # noqa: F401
        access_pages,
        asset_pages,
        audit,
        browse,
        glossary_pages,
        governance_pages,
        lineage_pages,
        steward,
        watch_pages,
    )
    from catalogue.web.presenters import register_template_helpers

    app.config.setdefault(
        "SERVICE_NAME", os.environ.get("CATALOGUE_SERVICE_NAME") or DEFAULT_SERVICE_NAME
    )
    app.config.setdefault("ORGANISATION_NAME", os.environ.get("CATALOGUE_ORGANISATION") or None)
    # The demo (`make run`) turns this on: the sign-in and no-results pages then
    # introduce the demo users. A real deployment leaves it off.
    demo_hints = os.environ.get("CATALOGUE_DEMO_HINTS", "").strip().lower() in {"1", "on", "true"}
    app.config.setdefault("DEMO_HINTS", demo_hints)
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # The app's /static route serves the pages' files (the app has no others).
    app.static_folder = str(STATIC)
    register_template_helpers(app)
    watch_pages.register_watch_helpers(app)
    access_pages.register_access_helpers(app)
    app.register_blueprint(bp)

"""The HTTP API: REST under ``/api/v1`` (with OpenLineage in and its OpenAPI
document), the read-only CKAN Action API, DCAT-AP 3 and Marquez's read API
(``/marquez/api/v1``). ``init_app`` registers
them; each route module adds its routes to its blueprint when imported."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API's blueprints on ``app``."""
    from catalogue.api import (  # noqa: F401
        access,
        assets,
        ckan,
        dcat,
        glossary,
        governance,
        marquez_routes,
        openapi,
        openlineage,
        queries,
        watches,
    )
    from catalogue.api.blueprint import bp
    from catalogue.api.ckan import bp as ckan_bp
    from catalogue.api.dcat import bp as dcat_bp

    app.register_blueprint(bp)
    app.register_blueprint(ckan_bp)
    app.register_blueprint(dcat_bp)
    app.register_blueprint(marquez_routes.bp)

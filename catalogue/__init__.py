"""The council data catalogue: a Flask app over one service layer."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from catalogue.config import Settings, load_settings

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """The Flask app factory. Nothing happens at import time.

    ``config`` is a :class:`Settings`, or a dict of overrides on the settings read
    from the environment.
    """
    from catalogue.app import CatalogueApp

    settings = config if isinstance(config, Settings) else load_settings(config)
    app = CatalogueApp(__name__, instance_path=str(settings.instance_path))
    app.config["SETTINGS"] = settings
    app.config["SECRET_KEY"] = settings.secret_key or _instance_secret(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.config["REQUIRE_IF_MATCH"] = settings.require_if_match
    app.config["SESSION_IDLE"] = timedelta(minutes=settings.session_idle_minutes)
    app.config["SESSION_LIFETIME"] = timedelta(hours=settings.session_lifetime_hours)

    from catalogue import request_log, security
    from catalogue.api import init_app as init_api
    from catalogue.http import register_error_handlers
    from catalogue.store import Catalogue
    from catalogue.web import auth
    from catalogue.web import init_app as init_web

    app.extensions["catalogue"] = Catalogue(settings, threaded=True)
    request_log.init_app(app)  # first: its hooks see every request and the final response
    register_error_handlers(app)
    security.init_app(app)
    auth.init_app(app)
    init_web(app)
    init_api(app)
    return app


def _instance_secret(settings: Settings) -> str:
    """A random secret kept in the instance folder, so sessions survive restarts."""
    import secrets

    path = settings.instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()

"""The Flask application class. Kept apart from the package's ``__init__`` so that
importing any part of the catalogue (the command line above all) does not
import Flask: ``create_app`` imports this when it builds an app."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import Flask, g


class CatalogueApp(Flask):
    """Flask, with an unhandled exception's traceback kept for the request's
    log line (one JSON line with the request and the error) instead of a
    separate unstructured message. Without request logging, Flask logs it."""

    def log_exception(
        self, exc_info: tuple[type[BaseException], BaseException, TracebackType] | Any
    ) -> None:
        if self.config["SETTINGS"].log_requests:
            g.server_error = exc_info
        else:
            super().log_exception(exc_info)

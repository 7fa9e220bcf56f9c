"""The ``/api/v1`` blueprint; the route modules add their routes to it."""

from __future__ import annotations

from flask import Blueprint

from catalogue.api.base import (
    StaleVersion,
    refuse_nul,
    refuse_oversized,
    stale_version_problem,
    unauthorized_problem,
)
from catalogue.errors import Unauthorized

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# The app's handler renders every other CatalogueError; these two add a header
# (ETag of the version held now; WWW-Authenticate) and, for 412, current_version.
bp.register_error_handler(StaleVersion, stale_version_problem)
bp.register_error_handler(Unauthorized, unauthorized_problem)
bp.before_request(refuse_oversized)
bp.before_request(refuse_nul)

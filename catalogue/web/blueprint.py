"""The one blueprint of the HTML pages; the page modules add their routes to it."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

bp = Blueprint("web", __name__)

#: The pages' own files (CSS, JS, images, and the vendored GOV.UK Frontend and
#: cytoscape copies under vendor/): the app's static folder, served at /static.
STATIC = Path(__file__).resolve().parent / "static"

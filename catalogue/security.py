"""Web hygiene for every response: CSRF protection, session cookie settings,
security headers with a per-request CSP nonce, and Markdown made safe to show.

``init_app(app)`` wires it all; templates get ``csp_nonce()`` (for
``<script nonce="{{ csp_nonce() }}">``), ``csrf_token()`` and the ``markdown``
filter.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import nh3
from flask import Flask, Request, Response, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from markdown_it import MarkdownIt
from markupsafe import Markup
from werkzeug.datastructures import Headers

from catalogue.config import Settings
from catalogue.http import handle_http_error

# CKAN's Action API is read-only here, and its clients (ckanapi, harvesters) POST.
CKAN_ACTION_PREFIXES = ("/api/3/action/", "/api/action/")
# Where Flask-Login keeps the signed-in user's id in the session.
SESSION_USER_KEY = "_user_id"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
CSRF_FAILED = (
    "This form could not be sent: it was open too long, or it came from another site. "
    "Go back, reload the page and try again."
)


# -- API tokens on a request -----------------------------------------------------
def request_api_token(headers: Mapping[str, str] | Headers) -> str | None:
    """The API token a request carries, if any: ``Authorization: Bearer T``,
    CKAN's bare ``Authorization: T``, or ``X-CKAN-API-Key: T``.

    Another scheme (``Basic …`` from a proxy in front of the site) is not a
    token: such requests are treated like any browser request.
    """
    value = (headers.get("Authorization") or "").strip()
    if value:
        scheme, _, rest = value.partition(" ")
        if not rest.strip():
            return value
        if scheme.lower() == "bearer":
            return rest.strip()
    return (headers.get("X-CKAN-API-Key") or "").strip() or None


# -- CSRF ----------------------------------------------------------------------------
def csrf_exempt(req: Request) -> bool:
    """Requests that carry no ambient credential a forged form could ride on.

    - A request with an API token: the auth hook then ignores the session
      cookie, and a cross-site form cannot set those headers.
    - CKAN action routes: read-only, POSTed by harvesters.
    - Other ``/api/`` requests from someone not signed in: there is nothing to
      forge, and an API write without a token is refused as unauthenticated.
    Every page form, including sign-in, is checked.
    """
    if request_api_token(req.headers) is not None:
        return True
    if req.path.startswith(CKAN_ACTION_PREFIXES):
        return True
    return req.path.startswith("/api/") and SESSION_USER_KEY not in session


def protect_from_csrf(csrf: CSRFProtect) -> None:
    """before_request: check the CSRF token of a state-changing request (400 if not)."""
    if not current_app.config["WTF_CSRF_ENABLED"] or csrf_exempt(request):
        return
    csrf.protect(apply_exemptions=True)


def explain_csrf_failure(error: CSRFError) -> Any:
    error.description = CSRF_FAILED
    return handle_http_error(error)


# -- session cookie ----------------------------------------------------------------
class CatalogueSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose Secure flag follows ``session_cookie_secure``.

    Unset, the cookie is Secure except when debugging or testing, or when the
    page came over plain HTTP to this machine itself (``make run``): a browser
    would otherwise drop the cookie there, and nothing on a network sees it.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("CATALOGUE_SESSION_COOKIE_SECURE")
        if configured is not None:
            return bool(configured)
        if app.debug or app.testing:
            return False
        if has_request_context() and not request.is_secure:
            return hostname(request.host) not in LOOPBACK_HOSTS
        return True


def hostname(host: str) -> str:
    """The Host header without its port ("[::1]:5000" → "[::1]")."""
    return host.split("]")[0] + "]" if host.startswith("[") else host.split(":")[0]


# -- headers -------------------------------------------------------------------
def csp_nonce() -> str:
    """This request's CSP nonce (made on first use): ``<script nonce="{{ csp_nonce() }}">``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str, form_actions: tuple[str, ...] = ()) -> str:
    """No inline script or style without this request's nonce; nothing framed.
    Forms post here only, and redirect only to ``form_actions`` besides (the
    single sign-on provider, where signing out ends its session too)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *form_actions]),
            "frame-ancestors 'none'",
        ]
    )


#: A catalogue needs no camera, microphone, location, payment or sensors: no page
#: (nor anything injected into one) may ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer",
        "microphone", "payment", "usb",
    )
)  # fmt: skip


def add_security_headers(response: Response) -> Response:
    """after_request: security headers on every response (a view may set its own CSP)."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        content_security_policy(csp_nonce(), current_app.config.get("CSP_FORM_ACTIONS", ())),
    )
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# -- Markdown ------------------------------------------------------------------------
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_cleaner = nh3.Cleaner(
    tags={
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"),
        *("strong", "em", "del", "s", "code", "pre", "ul", "ol", "li", "a"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    },
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
)


def render_markdown(text: str | None) -> Markup:
    """A description's Markdown as safe HTML.

    Raw HTML in the text is shown as text (a ``<script>`` appears, inert), and
    the HTML made from the Markdown goes through the nh3 sanitiser, which keeps
    only text formatting, tables and http(s)/mailto links. No images: they
    would load from anywhere.
    """
    if not text:
        return Markup("")
    return Markup(_cleaner.clean(_markdown.render(text)))


# -- wiring --------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """CSRF on state-changing requests, cookie settings, headers, Jinja helpers."""
    settings: Settings = app.config["SETTINGS"]
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # our hook decides what is exempt
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the session: long forms do not expire
        CATALOGUE_SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure is not False,
    )
    app.session_interface = CatalogueSessionInterface()
    csrf = CSRFProtect(app)

    @app.before_request
    def check_csrf() -> None:
        protect_from_csrf(csrf)

    app.register_error_handler(CSRFError, explain_csrf_failure)
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["markdown"] = render_markdown

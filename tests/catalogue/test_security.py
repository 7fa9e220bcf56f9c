"""Web hygiene: security headers with a CSP nonce, CSRF on state-changing
requests, session cookies, sign-in and sign-out pages, sanitised Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup
from sqlalchemy import select, update

from catalogue import create_app
from catalogue.config import SettingError, Settings, load_settings
from catalogue.models import SignInSession
from catalogue.security import csp_nonce, hostname, render_markdown, request_api_token
from catalogue.services import accounts, sessions, tokens
from catalogue.services.access import operator
from catalogue.services.sessions import Lifetimes
from catalogue.store import Catalogue
from tests import forms
from tests.catalogue.conftest import add_aisha
from tests.forms import csrf_token

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

ADMIN = operator("admin@example.gov.uk")
PASSWORD = "a long enough password"


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue) -> Iterator[Flask]:
    add_aisha(catalogue, PASSWORD)
    app = create_app(settings)
    app.add_url_rule("/test/page-form", "page_form", lambda: "done", methods=["POST"])
    for path in ("/api/v1/test-write", "/api/3/action/test_read", "/api/action/test_read"):
        app.add_url_rule(path, path, lambda: {"ok": True}, methods=["POST"])
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def signed_in(client: FlaskClient, next_url: str = "/") -> object:
    return forms.sign_in(client, "aisha.begum", PASSWORD, next_url)


# -- headers ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/sign-in", "/healthz", "/api/v1/me", "/no-such-page"])
def test_every_response_has_the_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert re.search(r"script-src 'self' 'nonce-[\w-]{20,}'", csp)
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_https_responses_ask_browsers_to_keep_to_https(client: FlaskClient) -> None:
    response = client.get("/healthz", base_url="https://catalogue.example.gov.uk")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/assets", {"GET", "POST"}),
        ("PUT", "/api/v1/me", {"GET"}),
        ("DELETE", "/sign-in", {"GET", "POST"}),
    ],
)
def test_a_method_not_allowed_says_which_are(
    client: FlaskClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    listed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed <= listed and method not in listed


def test_the_csp_nonce_is_new_each_request_and_on_every_inline_script(client: FlaskClient) -> None:
    nonces = []
    for _ in range(2):
        response = client.get("/sign-in")
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
        assert nonce
        nonces.append(nonce.group(1))
        for script in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
            assert "src=" in script or f'nonce="{nonce.group(1)}"' in script, script
    assert nonces[0] != nonces[1]


def test_csp_nonce_and_markdown_are_there_for_templates(app: Flask) -> None:
    with app.test_request_context("/"):
        page = app.jinja_env.from_string(
            '<script nonce="{{ csp_nonce() }}"></script>{{ text | markdown }}'
        ).render(text="**bold** <script>alert(1)</script>")
        assert f'nonce="{csp_nonce()}"' in page
    assert "<strong>bold</strong>" in page and "<script>alert" not in page


# -- Markdown ----------------------------------------------------------------------------
def test_markdown_keeps_formatting_and_makes_html_inert() -> None:
    html = render_markdown(
        "# Rent\n\n<script>alert('x')</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n"
        "[safe](https://example.gov.uk) [bad](javascript:alert(1)) "
        '<a href="javascript:alert(2)">raw</a>\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n![pixel](https://tracker.example/p.gif)"
    )
    assert isinstance(html, Markup)
    assert "<h1>Rent</h1>" in html and "<table>" in html and "<td>1</td>" in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html  # shown, inert
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html and "<img" not in html
    assert 'href="https://example.gov.uk"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert '<a href="javascript' not in html and "tracker.example" not in html
    assert render_markdown(None) == "" and render_markdown("") == ""


# -- CSRF ------------------------------------------------------------------------------
def test_a_signed_in_post_without_the_csrf_token_is_refused(client: FlaskClient) -> None:
    assert signed_in(client).status_code == 302
    refused = client.post("/sign-out")
    assert refused.status_code == 400
    assert "could not be sent" in refused.get_data(as_text=True)
    assert client.get("/api/v1/me").get_json()["signed_in"] is True  # still signed in
    assert client.post("/test/page-form").status_code == 400
    api = client.post("/api/v1/test-write", json={})
    assert api.status_code == 400 and api.mimetype == "application/problem+json"
    token = csrf_token(client)
    assert client.post("/test/page-form", data={"csrf_token": token}).status_code == 200
    assert client.post("/api/v1/test-write", headers={"X-CSRFToken": token}).status_code == 200
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/api/v1/me").get_json()["signed_in"] is False


def test_sign_in_itself_needs_the_csrf_token(client: FlaskClient) -> None:
    response = client.post("/sign-in", data={"username": "aisha.begum", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/api/v1/me").get_json()["signed_in"] is False


def test_what_is_exempt_from_csrf(client: FlaskClient, catalogue: Catalogue) -> None:
    # Nobody signed in: an API request carries nothing to forge; page forms are checked.
    assert client.post("/api/v1/test-write", json={}).status_code == 200
    assert client.post("/test/page-form").status_code == 400
    # CKAN's read-only actions, even for a signed-in browser.
    signed_in(client)
    for path in ("/api/3/action/test_read", "/api/action/test_read"):
        assert client.post(path, json={}).status_code == 200
    # A request with an API token uses the token, never the session cookie.
    with catalogue.sessions.begin() as session:
        secret = tokens.create_token(session, ADMIN, "aisha.begum", "script").secret
    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-CKAN-API-Key": secret}):
        assert client.post("/api/v1/test-write", headers=headers, json={}).status_code == 200
    assert (
        client.post("/api/v1/test-write", headers={"Authorization": "Bearer bad"}).status_code
        == 401
    )
    # A proxy's Basic credentials are not a token: the session request is still checked.
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert client.post("/test/page-form", headers=basic).status_code == 400


def test_request_api_token() -> None:
    assert request_api_token({"Authorization": "Bearer cat_abc"}) == "cat_abc"
    assert request_api_token({"Authorization": "bearer  cat_abc "}) == "cat_abc"
    assert request_api_token({"Authorization": "cat_abc"}) == "cat_abc"
    assert request_api_token({"X-CKAN-API-Key": "cat_abc"}) == "cat_abc"
    assert request_api_token({"Authorization": "Basic dXNlcjpwYXNz"}) is None
    assert request_api_token({}) is None


# -- sign-in and sign-out pages -----------------------------------------------------------
def test_sign_in_goes_back_where_you_were_going_and_only_on_this_site(
    client: FlaskClient,
) -> None:
    response = signed_in(client, next_url="/assets/rent-accounts?tab=lineage")
    assert response.status_code == 302
    assert response.headers["Location"] == "/assets/rent-accounts?tab=lineage"
    me = client.get("/api/v1/me").get_json()
    assert me["name"] == "aisha.begum@example.gov.uk" and me["authenticated_by"] == "session"
    client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        assert signed_in(client, next_url=evil).headers["Location"] == "/"


def test_a_wrong_password_shows_the_form_again_with_an_error(client: FlaskClient) -> None:
    data = {"username": "aisha.begum", "password": "not it", "csrf_token": csrf_token(client)}
    response = client.post("/sign-in", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "govuk-error-summary" in page and "Wrong username or password" in page
    assert 'value="aisha.begum"' in page and "not it" not in page
    assert "<title>Error: Sign in" in page
    empty = client.post("/sign-in", data={"csrf_token": csrf_token(client)})
    assert empty.status_code == 400 and "Enter your username" in empty.get_data(as_text=True)


def test_repeated_failures_are_rate_limited_on_the_page(client: FlaskClient) -> None:
    data = {"username": "aisha.begum", "password": "not it", "csrf_token": csrf_token(client)}
    statuses = [client.post("/sign-in", data=data).status_code for _ in range(5)]
    assert statuses == [401] * 5
    data["password"] = PASSWORD
    locked = client.post("/sign-in", data=data)
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert client.get("/api/v1/me").get_json()["signed_in"] is False


def test_a_disabled_user_is_signed_out_at_their_next_request(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    signed_in(client)
    assert client.get("/api/v1/me").get_json()["role"] == "steward"
    with catalogue.sessions.begin() as session:
        accounts.set_role(session, ADMIN, "aisha.begum", "viewer")
    # A new role ends the session: signing in again gives the new role.
    assert client.get("/api/v1/me").get_json()["signed_in"] is False
    signed_in(client)
    assert client.get("/api/v1/me").get_json()["role"] == "viewer"
    with catalogue.sessions.begin() as session:
        accounts.set_disabled(session, ADMIN, "aisha.begum", True)
    assert client.get("/api/v1/me").get_json()["signed_in"] is False
    assert signed_in(client).status_code == 401  # and cannot sign in again


# -- server-side sessions ---------------------------------------------------------------
def copy_of_cookie(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def me(client: FlaskClient) -> dict:
    return client.get("/api/v1/me").get_json()


def ended(catalogue: Catalogue) -> list[str | None]:
    with catalogue.read() as session:
        return list(session.scalars(select(SignInSession.end_reason).order_by(SignInSession.id)))


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(
    client: FlaskClient, app: Flask, catalogue: Catalogue
) -> None:
    signed_in(client)
    thief = copy_of_cookie(client, app)
    assert me(thief)["signed_in"] is True and me(thief)["name"] == "aisha.begum@example.gov.uk"
    client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    assert me(client)["signed_in"] is False
    assert me(thief)["signed_in"] is False
    assert ended(catalogue) == ["signed out"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [("role", "role changed"), ("disable", "account disabled")],
)
def test_an_admin_ends_every_session_of_an_account(
    client: FlaskClient, app: Flask, catalogue: Catalogue, change: str, reason: str
) -> None:
    signed_in(client)
    other_browser = app.test_client()
    signed_in(other_browser)
    with catalogue.sessions.begin() as session:
        if change == "role":
            accounts.set_role(session, ADMIN, "aisha.begum", "viewer")
        else:
            accounts.set_disabled(session, ADMIN, "aisha.begum", True)
    assert me(client)["signed_in"] is False and me(other_browser)["signed_in"] is False
    assert ended(catalogue) == [reason, reason]


@pytest.mark.parametrize(
    ("moved", "reason"),
    [("last_seen_at", "idle"), ("created_at", "lifetime reached")],
)
def test_a_session_expires_when_idle_or_too_old(
    client: FlaskClient, catalogue: Catalogue, moved: str, reason: str
) -> None:
    signed_in(client)
    assert me(client)["signed_in"] is True
    # As if the browser had last been seen (or had signed in) long ago: the
    # defaults are 60 minutes idle and 12 hours in all.
    long_ago = datetime.now(UTC) - timedelta(hours=13)
    with catalogue.sessions.begin() as session:
        session.execute(update(SignInSession).values({moved: long_ago}))
    assert me(client)["signed_in"] is False
    assert ended(catalogue) == [reason]


def test_session_lifetimes_follow_the_settings(
    app: Flask, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALOGUE_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("CATALOGUE_SESSION_LIFETIME_HOURS", "1")
    settings = load_settings()
    assert (settings.session_idle_minutes, settings.session_lifetime_hours) == (5, 1)
    monkeypatch.setenv("CATALOGUE_SESSION_IDLE_MINUTES", "soon")
    with pytest.raises(SettingError, match="CATALOGUE_SESSION_IDLE_MINUTES must be a whole"):
        load_settings()
    lifetimes = Lifetimes(idle=timedelta(minutes=5), absolute=timedelta(hours=1))
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with catalogue.sessions.begin() as session:
        secret = sessions.start_session(session, accounts.get_user(session, "aisha.begum"), start)
    with catalogue.sessions() as session:
        later = start + timedelta(minutes=4)
        assert sessions.resume_session(session, secret, lifetimes, later) is not None
        # Seen at 09:04, so still alive at 09:08; idle past 09:09.
        assert sessions.resume_session(session, secret, lifetimes, later + timedelta(minutes=4))
        assert (
            sessions.resume_session(session, secret, lifetimes, later + timedelta(minutes=10))
            is None
        )
        assert sessions.resume_session(session, secret, lifetimes, later) is None  # ended for good


# -- session cookie ---------------------------------------------------------------------
def session_cookie(response: object) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    cookie = session_cookie(signed_in(client))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("setting", "base_url", "secure"),
    [
        (None, "https://catalogue.thamesbury.gov.uk", True),
        (None, "http://catalogue.thamesbury.gov.uk", True),  # behind a proxy: still Secure
        (None, "http://127.0.0.1:5000", False),  # `make run` on this machine
        (True, "http://127.0.0.1:5000", True),
        (False, "https://catalogue.thamesbury.gov.uk", False),
    ],
)
def test_the_session_cookie_is_secure_unless_configured_or_local(
    settings: Settings, setting: bool | None, base_url: str, secure: bool
) -> None:
    app = create_app(replace(settings, session_cookie_secure=setting))
    try:
        response = app.test_client().get("/sign-in", base_url=base_url)
        assert ("Secure" in session_cookie(response).split("; ")) is secure
    finally:
        app.extensions["catalogue"].close()


def test_hostname() -> None:
    assert hostname("127.0.0.1:5000") == "127.0.0.1"
    assert hostname("[::1]:5000") == "[::1]"
    assert hostname("localhost") == "localhost"

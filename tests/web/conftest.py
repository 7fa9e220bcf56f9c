"""Fixtures for the pages: a demo-loaded app per module (and per backend for the
Flask test-client tests), a client that signs in as the demo users, and — for
the browser tests — one Chromium per session driving a live server per module.

The browser is Debian's chromium (``CATALOGUE_TEST_CHROMIUM``, else
/usr/bin/chromium); nothing is downloaded. Without it the browser tests are
skipped on a developer's machine and FAIL in CI (CI=true).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import create_app
from catalogue.services.demo import DEMO_PASSWORD, load_demo
from tests.conftest import BACKENDS, _postgres_copy, demo_today, missing_service
from tests.forms import csrf_token
from tests.serving import served_in_thread

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
VENDOR = REPO / "catalogue" / "web" / "static" / "vendor"
CHROMIUM = os.environ.get("CATALOGUE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Demo accounts (catalogue.services.demo.DEMO_USERS) by the role the tests need.
USERS = {
    "viewer": "ahmed.khan",  # Housing
    "steward": "aisha.begum",  # Housing
    "auditor": "fatima.rahman",
    "admin": "peter.ng",
}
#: Our own markup escaped into the page as text (a Jinja concatenation gone wrong).
DOUBLE_ESCAPED = re.compile(r"&lt;(a|p|code|strong|span|ul|li|br)[ &]")


def _demo_app(database_url: str, instance: Path) -> Flask:
    app = create_app(
        {"instance_path": instance, "database_url": database_url, "secret_key": "web-tests"}
    )
    app.config.update(TESTING=True, ORGANISATION_NAME="London Borough of Thamesbury")
    app.config["SERVICE_NAME"] = "Thamesbury Council data catalogue"
    load_demo(app.extensions["catalogue"], today=demo_today())
    return app


def _database(backend: str, request: pytest.FixtureRequest, folder: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        path = folder / "catalogue.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}", None
    return _postgres_copy(request.getfixturevalue("postgres_template"))


@pytest.fixture(scope="session", params=BACKENDS)
def web_backend(request: pytest.FixtureRequest) -> str:
    return request.param


def fresh_demo_app(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on its own copy of the demo catalogue; closed (and dropped) after."""
    folder = tmp_path_factory.mktemp(f"web-{backend}")
    url, drop = _database(backend, request, folder)
    app = _demo_app(url, folder / "instance")
    yield app
    app.extensions["catalogue"].close()
    if drop:
        drop()


@pytest.fixture(scope="session")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The app on a demo catalogue, loaded once per backend for the tests that only
    read (signing in is all they write). Modules that change the catalogue
    override this with a module-scoped ``fresh_demo_app``."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


#: Signed-in session cookies by (database, role).
SESSIONS: dict[tuple[str, str], str] = {}


class Pages:
    """A test client that signs in as a demo user and sends forms with their CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def text(self, path: str, status: int = 200) -> str:
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        html = response.get_data(as_text=True)
        assert not DOUBLE_ESCAPED.search(html), f"markup shown as text on {path}"
        return html

    def token(self, path: str = "/sign-in") -> str:
        return csrf_token(self.client, path)

    def post(self, path: str, data: dict[str, Any], form_page: str | None = None) -> Any:
        """POST a form as a browser would: with the token from the page it is on."""
        return self.client.post(path, data={**data, "csrf_token": self.token(form_page or path)})

    def sign_in(self, role: str) -> Pages:
        """Sign in through ``/sign-in`` — once per app and role: the session cookie
        is then reused (checking a password hash is slow on purpose)."""
        app = self.client.application
        cached = SESSIONS.get((app.config["SETTINGS"].resolved_database_url, role))
        if cached is not None:
            self.client.set_cookie(app.config["SESSION_COOKIE_NAME"], cached)
            return self
        response = self.post(
            "/sign-in", {"username": USERS[role], "password": DEMO_PASSWORD, "next": "/"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        cookie = self.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        SESSIONS[(app.config["SETTINGS"].resolved_database_url, role)] = cookie.value
        return self


@pytest.fixture
def pages(demo_app: Flask) -> Pages:
    """A fresh client (no one signed in) on the module's demo app."""
    return Pages(demo_app.test_client())


# -- the browser ------------------------------------------------------------------
def chromium_or_skip() -> str:
    """The browser's path; a missing browser fails in CI and skips elsewhere."""
    if not Path(CHROMIUM).exists():
        missing_service(f"no Chromium at {CHROMIUM} (set CATALOGUE_TEST_CHROMIUM)")
    if not (VENDOR / "govuk" / "govuk-frontend.min.css").exists():
        missing_service("the front-end files are missing: run `make assets` (`make test` does)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app on a demo catalogue (SQLite), served on a free port for this module."""
    chromium_or_skip()
    folder = tmp_path_factory.mktemp("live")
    url, _ = _database("sqlite", request, folder)
    app = _demo_app(url, folder / "instance")
    with served_in_thread(app) as base:
        yield base
    app.extensions["catalogue"].close()


class BrowserProblems:
    """What went wrong in the page that a user would not see: script errors,
    CSP refusals, failed requests."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )
        page.on(
            "response",
            lambda response: (
                response.status >= 500 and self.errors.append(f"{response.status} {response.url}")
            ),
        )


DESKTOP = {"width": 1280, "height": 900}


class BrowserPages:
    """Pages opened in fresh browser contexts on one server. ``close`` closes them
    and fails the test if any page had a script error, a CSP refusal or a 5xx
    (4xx pages are expected in some tests: the browser logs them as console errors)."""

    def __init__(self, browser: Any, base_url: str, states: Any = None) -> None:
        self.browser, self.base_url, self.states = browser, base_url, states
        self.contexts: list[Any] = []
        self.problems = BrowserProblems()

    def open(
        self, role: str | None = None, viewport: dict[str, int] = DESKTOP, javascript: bool = True
    ) -> Any:
        """A page as ``role`` signed in (None: signed out) at ``viewport``."""
        context = self.browser.new_context(
            base_url=self.base_url,
            storage_state=self.states[role] if role else None,
            viewport=viewport,
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        self.problems.watch(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        unexpected = [e for e in self.problems.errors if "status of 4" not in e]
        assert not unexpected, unexpected


class SignedInStates(dict):
    """Each role's cookies, signed in through ``/sign-in`` the first time a test
    asks for that role; later tests reuse them."""

    def __init__(self, browser: Any, base_url: str) -> None:
        super().__init__()
        self.browser, self.base_url = browser, base_url

    def __missing__(self, role: str) -> Any:
        context = self.browser.new_context(base_url=self.base_url)
        sign_in(context.new_page(), role)
        self[role] = context.storage_state()
        context.close()
        return self[role]


@pytest.fixture(scope="module")
def signed_in_states(browser: Any, live_server: str) -> SignedInStates:
    return SignedInStates(browser, live_server)


@pytest.fixture
def open_as(browser: Any, live_server: str, signed_in_states: SignedInStates) -> Iterator[Any]:
    """``open_as(role, viewport, javascript)`` opens a page on the live server as a
    signed-in role (None: signed out); fails the test on a script error or a CSP
    refusal."""
    pages = BrowserPages(browser, live_server, signed_in_states)
    yield pages.open
    pages.close()


@pytest.fixture
def page(open_as: Any) -> Any:
    """A fresh signed-out page on the live server at 1280 px."""
    return open_as()


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page as test-artifacts/screenshots/NAME.png."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, role: str, by_keyboard: bool = False) -> None:
    """Sign in through the identity pages' form (``/sign-in``)."""
    page.goto("/sign-in")
    if by_keyboard:
        tab_to(page, "#username")
        page.keyboard.type(USERS[role])
        page.keyboard.press("Tab")
        page.keyboard.type(DEMO_PASSWORD)
        page.keyboard.press("Enter")
    else:
        page.fill("#username", USERS[role])
        page.fill("#password", DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def tab_to(page: Any, selector: str, limit: int = 120, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has the
    focus, as a keyboard user would; fails if it never does."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} never received the focus by keyboard")


def unique_name() -> str:
    return uuid.uuid4().hex[:8]

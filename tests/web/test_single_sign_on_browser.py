"""Single sign-on in Chromium: a member of staff signs in with the council's
provider (a real OpenID provider on a loopback port), lands on the search they
started, finds "council tax arrears", and signs out of both; the same by
keyboard alone; and axe finds no WCAG 2.2 AA violation on the new pages (#16)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe

from catalogue import create_app
from catalogue.services.demo import DEMO_PASSWORD, load_demo
from catalogue.single_sign_on import GroupMapping, GroupRule, OpenIDProvider, SignInSettings
from tests.conftest import demo_today
from tests.serving import served_in_thread
from tests.web.conftest import BrowserPages, _database, chromium_or_skip, screenshot, tab_to
from tests.web.oidc import CLIENT_ID, CLIENT_SECRET, provider_running, put_person

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SEARCH = "/search?q=council+tax+arrears"
STAFF = {
    "email": "priya.shah@thamesbury.gov.uk",
    "name": "Priya Shah",
    "groups": ["revenues-staff"],
}
MAPPING = GroupMapping(
    (GroupRule("revenues-staff", "viewer", "Revenues & Benefits"), GroupRule("admins", "admin"))
)


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    chromium_or_skip()
    with provider_running() as url:
        put_person(url, "priya", STAFF)
        yield url


@pytest.fixture(scope="module")
def sso_server(
    issuer: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo catalogue with single sign-on to the test's provider, served live."""
    folder: Path = tmp_path_factory.mktemp("sso-live")
    url, _ = _database("sqlite", request, folder)
    provider = OpenIDProvider(
        issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        name="Thamesbury account", mapping=MAPPING,
    )  # fmt: skip
    app = create_app(
        {
            "instance_path": folder / "instance",
            "database_url": url,
            "secret_key": "sso-browser-tests",
            "sign_in": SignInSettings(provider=provider),
        }
    )
    app.config["SERVICE_NAME"] = "Thamesbury Council data catalogue"
    load_demo(app.extensions["catalogue"], today=demo_today())
    with served_in_thread(app) as base:
        yield base
    app.extensions["catalogue"].close()


def offline(route: Any) -> None:
    route.fulfill(status=200, body="", content_type="text/css")


@pytest.fixture
def page(browser: Any, sso_server: str) -> Iterator[Any]:
    pages = BrowserPages(browser, sso_server)
    page = pages.open()
    # The test provider's own pages ask for a stylesheet from the internet, which
    # this machine does not reach: answer it empty so nothing waits or fails.
    page.context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), offline)
    yield page
    pages.close()


def results(page: Any) -> list[str]:
    return page.locator("#results h2 a, #results h3 a").all_inner_texts()


def test_staff_sign_in_with_the_council_account_find_their_data_and_sign_out(
    page: Any, issuer: str
) -> None:
    page.goto(SEARCH)
    assert "Council tax arrears" not in results(page)  # internal: not for visitors
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Sign in with Thamesbury account").click()
    page.wait_for_url(f"{issuer}/**")
    page.fill("input[name=sub]", "priya")
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(re.compile(r"/search\?q=council\+tax\+arrears$"))
    assert "Council tax arrears" in results(page)
    assert page.get_by_role("button", name=re.compile("^Sign out")).is_visible()
    screenshot(page, "sso-signed-in-search")

    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url(f"{issuer}/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url("**/signed-out")
    assert page.locator("h1").inner_text() == "You have signed out"
    page.goto(SEARCH)
    assert "Council tax arrears" not in results(page)


def test_keyboard_only_sign_in(page: Any, issuer: str) -> None:
    page.goto(f"/sign-in?next={quote(SEARCH, safe='')}")
    tab_to(page, "#sso")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{issuer}/**")
    page.keyboard.type("priya")  # the provider's form has the focus
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=council\+tax\+arrears$"))
    assert "Council tax arrears" in results(page)


def assert_accessible(page: Any, name: str) -> None:
    found = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    screenshot(page, name)
    assert found.violations_count == 0, f"{name}:\n{found.generate_report()}"


def sign_in_with_password(page: Any, username: str) -> None:
    page.goto("/sign-in")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in with a catalogue password").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)


def test_the_new_pages_have_no_wcag_22_aa_violations(page: Any) -> None:
    page.goto("/sign-in")
    assert_accessible(page, "sso-sign-in")
    page.goto("/sign-in/sso/callback?error=access_denied&state=nothing")
    assert page.locator("h1").inner_text() == "You cannot sign in"
    assert_accessible(page, "sso-refused")
    page.goto("/signed-out")
    assert_accessible(page, "sso-signed-out")

    sign_in_with_password(page, "peter.ng")
    page.goto("/admin/accounts")
    assert_accessible(page, "admin-accounts")
    page.get_by_role("link", name="Sarah Okoro").click()
    page.get_by_role("radio", name="Steward").check()
    page.get_by_label("Department").fill("x" * 201)
    page.get_by_role("button", name="Save role and department").click()
    page.wait_for_selector(".govuk-error-summary")
    assert_accessible(page, "admin-account-errors")
    page.get_by_label("What the token is for").fill("Weekly return")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_selector("#token-secret")
    assert_accessible(page, "token-created")
    page.goto("/account/tokens")
    page.get_by_role("button", name="Create token").click()
    page.wait_for_selector(".govuk-error-summary")
    assert_accessible(page, "own-tokens-errors")

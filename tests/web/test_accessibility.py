"""axe-core on every kind of page, in a real browser: zero WCAG 2.2 AA violations
(tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) at a desktop's width (1280 px),
a phone's (375 px) and the reflow width of WCAG 1.4.10 (320 px), where no page may
scroll sideways. A screenshot of each kind of page at each width is saved under
test-artifacts/screenshots/ for people to look at."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import date_query, demo_day
from tests.web.conftest import screenshot

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TRACE = "/assets/rpt-housing-arrears-dashboard"
#: Viewport widths (px): a desktop, a phone, and WCAG 1.4.10's reflow width.
WIDTHS = (1280, 375, 320)
HEIGHT = {1280: 900, 375: 800, 320: 800}
#: (screenshot name, who, path): one of every kind of page, and its error states.
PAGES = [
    ("home", None, "/"),
    ("home-signed-in", "viewer", "/"),
    ("sign-in", None, "/sign-in"),
    ("search-results", "viewer", "/search?q=council+tax&department=Revenues+%26+Benefits"),
    ("search-no-results", "viewer", "/search?q=zzqqxx"),
    ("search-browse-page-2", "viewer", "/search?sort=title&page=2"),
    ("asset", "viewer", "/assets/rent-arrears-weekly"),
    ("asset-stale", "viewer", "/assets/housing-stock-condition"),
    ("asset-inherits-sensitive-data", "viewer", "/assets/rpt-homelessness-ward-dashboard"),
    ("asset-history", "viewer", f"{TRACE}/history"),
    ("lineage", "viewer", f"{TRACE}/lineage?direction=both&depth=all"),
    ("lineage-restricted", "viewer", "/assets/rpt-asc-performance-dashboard/lineage?depth=all"),
    ("lineage-date-error", "viewer", f"{TRACE}/lineage?as_of-day=31&as_of-month=2&as_of-year=2025"),
    ("trace-as-of", "auditor", f"{TRACE}/trace?{date_query('as_of', demo_day('2025-06-01'))}"),
    ("register", "steward", "/register"),
    ("edit", "steward", "/assets/rent-arrears-weekly/edit"),
    ("feeds", "steward", "/assets/rent-arrears-weekly/feeds"),
    ("departments", "viewer", "/departments"),
    ("department", "viewer", "/departments/housing"),
    ("person", "steward", "/me"),
    ("person-other", "viewer", "/people/aisha.begum@thamesbury.gov.uk"),
    ("change-password", "viewer", "/account/password"),
    ("asset-review-overdue", "steward", "/assets/housing-stock-condition"),
    ("reviews-mine", "steward", "/reviews"),
    ("reviews-department", "viewer", "/departments/housing/reviews"),
    ("information-asset-register", "auditor", "/governance/iar?department=Housing"),
    ("record-of-processing", "auditor", "/governance/ropa?department=Housing"),
    ("governance-coverage", "auditor", "/governance"),
    (
        "governance-coverage-date-error",
        "auditor",
        "/governance?as_of-day=31&as_of-month=2&as_of-year=2026",
    ),
    ("edit-article-30", "steward", "/assets/tenancies/edit"),
    ("glossary", "viewer", "/glossary"),
    ("glossary-term", "auditor", "/glossary/looked-after-child"),
    ("search-names-a-term", "viewer", "/search?q=UPRN"),
    ("asset-with-terms", "viewer", "/assets/llpg-addresses"),
    ("audit-log", "auditor", "/audit?asset=rpt-housing-arrears-dashboard"),
    ("delivery-log", "admin", "/notify/log"),
    ("accessibility-statement", None, "/accessibility"),
    ("not-found", None, "/assets/no-such-asset"),
    ("forbidden", "viewer", "/register"),
]


@pytest.fixture
def as_role(open_as: Any) -> Any:
    """Opens a page as someone (None: not signed in) at a width; fails on script
    or CSP errors."""
    return lambda role, width=1280: open_as(role, {"width": width, "height": HEIGHT[width]})


def assert_accessible(page: Any, name: str) -> None:
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def assert_no_sideways_scroll(page: Any, name: str, width: int) -> None:
    """WCAG 1.4.10 (reflow): the page fits the width; wide tables scroll inside their
    own focusable region instead."""
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"{name} is {scroll_width} px wide in a {width} px window"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "role", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_type_has_no_wcag_22_aa_violations(
    as_role: Any, name: str, role: str | None, path: str, width: int
) -> None:
    page = as_role(role, width)
    page.goto(path)
    if name.startswith("lineage") and "error" not in name:
        if width < 641:  # a phone gets the tables first and the graph on demand
            page.get_by_role("button", name="Show the graph").click()
        page.wait_for_selector("#lineage-graph[data-drawn]")
    assert_accessible(page, name if width == 1280 else f"{name}-{width}")
    assert_no_sideways_scroll(page, name, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_form_with_errors_has_no_violations(as_role: Any, width: int) -> None:
    page = as_role("steward", width)
    page.goto("/register")
    page.get_by_label("Owner's email address").fill("not an email")
    page.get_by_role("button", name="Register asset").click()
    page.wait_for_selector(".govuk-error-summary")
    assert_accessible(page, "register-errors" if width == 1280 else f"register-errors-{width}")
    assert_no_sideways_scroll(page, "register-errors", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_password_form_with_errors_has_no_violations(as_role: Any, width: int) -> None:
    page = as_role("viewer", width)
    page.goto("/account/password")
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_selector(".govuk-error-summary")
    name = "change-password-errors"
    assert_accessible(page, name if width == 1280 else f"{name}-{width}")
    assert_no_sideways_scroll(page, name, width)


def test_conflicting_edit_message_has_no_violations(as_role: Any) -> None:
    first, second = as_role("steward"), as_role("steward")
    first.goto("/assets/housing-register/edit")
    second.goto("/assets/housing-register/edit")
    second.get_by_label("Retention period").fill("Until the application closes")
    second.get_by_role("button", name="Save changes").click()
    second.wait_for_url("**/assets/housing-register")
    first.get_by_label("Retention period").fill("2 years")
    first.get_by_role("button", name="Save changes").click()
    first.wait_for_selector("#conflict")
    assert "Someone else has changed this asset" in first.inner_text("#conflict")
    assert_accessible(first, "edit-conflict")


def test_a_confirmed_review_has_no_violations(as_role: Any) -> None:
    """The steward confirms an overdue asset (a plain form: no script needed)."""
    page = as_role("steward")
    page.goto("/assets/housing-stock-condition")
    page.get_by_label("What you checked (optional)").fill("Checked with the asset team")
    page.get_by_role("button", name="Confirm this is still correct").click()
    page.wait_for_selector(".govuk-notification-banner")
    assert "is still correct" in page.inner_text(".govuk-notification-banner")
    assert page.locator("#review-overdue").count() == 0
    assert_accessible(page, "asset-reviewed")


def test_the_check_finds_a_violation_when_there_is_one(as_role: Any) -> None:
    """The axe run above is not vacuous: an image without alternative text and an
    empty link on an otherwise clean page are caught."""
    page = as_role(None)
    page.goto("/accessibility")
    page.evaluate(
        "() => { const main = document.getElementById('main-content');"
        " main.append(document.createElement('img'));"
        " const link = document.createElement('a'); link.href = '/'; main.append(link); }"
    )
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    found = {v["id"] for v in results.response["violations"]}
    assert {"image-alt", "link-name"} <= found

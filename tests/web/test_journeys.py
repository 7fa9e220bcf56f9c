"""The users' journeys in a real browser (Debian's chromium via Playwright), with
the mouse and then by keyboard alone, against a live server on the demo borough.

- A viewer searches "council tax", filters by department, opens the dataset
  and its lineage.
- A steward signs in, edits a dataset, sees the error for an invalid value and
  fixes it.
- An auditor traces a report as of a past date and downloads the CSV.

Plus: the lineage graph draws every upstream node the trace lists and the table
beside it lists the same ones; the pages work without JavaScript; no GDS
Transport font is used.
"""

from __future__ import annotations

import csv
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import date_query, demo_day, long_date
from tests.web.conftest import USERS, screenshot, sign_in, tab_to

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

#: A day in the demo's past, before the Housing switch-over (catalogue/demo/README.md).
JUNE_2025 = demo_day("2025-06-01")

GRAPH_KEYS = "() => window.catalogueLineage.nodes().map(n => n.data('key'))"
GRAPH_IDS = "() => window.catalogueLineage.nodes().map(n => n.id())"


def wait_for_graph(page: Any) -> None:
    page.wait_for_selector("#lineage-graph[data-drawn]")


def table_nodes(page: Any, side: str = "upstream") -> list[str]:
    return page.eval_on_selector_all(
        f"#lineage-{side} tbody tr", "rows => rows.map(r => r.dataset.node)"
    )


# -- a viewer finds data ------------------------------------------------------------
def test_viewer_searches_filters_and_opens_a_dataset_and_its_lineage(page: Any) -> None:
    sign_in(page, "viewer")
    page.get_by_label("Search the catalogue").fill("council tax")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search?q=council+tax")
    total = int(re.search(r"(\d+) results", page.inner_text("#result-count")).group(1))
    page.get_by_role("checkbox", name=re.compile(r"^Revenues & Benefits \(\d+\)")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"department=Revenues"))
    filtered = int(re.search(r"(\d+) results", page.inner_text("#result-count")).group(1))
    assert 0 < filtered < total
    assert page.locator("#results mark").count() > 0
    screenshot(page, "journey-viewer-search-filtered")
    page.get_by_role("link", name="Council tax arrears", exact=True).click()
    page.wait_for_url("**/assets/ctax-arrears")
    assert page.locator("h1").inner_text() == "Council tax arrears"
    page.get_by_role("link", name="Explore its lineage").click()
    page.wait_for_url("**/assets/ctax-arrears/lineage")
    wait_for_graph(page)
    drawn = set(page.evaluate(GRAPH_KEYS)) - {None}
    listed = set(table_nodes(page, "upstream") + table_nodes(page, "downstream")) - {"restricted"}
    assert drawn == listed | {"ctax-arrears"}


def test_viewer_journey_by_keyboard_alone(page: Any) -> None:
    sign_in(page, "viewer", by_keyboard=True)
    tab_to(page, "#search-q")
    page.keyboard.type("council tax")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=council+tax")
    tab_to(page, 'input[name="department"][value="Revenues & Benefits"]')
    page.keyboard.press("Space")
    tab_to(page, "#apply-filters")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"department=Revenues"))
    tab_to(page, '#results a[href="/assets/ctax-arrears"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/ctax-arrears")
    tab_to(page, 'a[href="/assets/ctax-arrears/lineage"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/ctax-arrears/lineage")
    # The controls work by keyboard: upstream only, every hop.
    tab_to(page, 'input[name="direction"][value="both"]')  # a radio group is one stop
    page.keyboard.press("ArrowDown")  # arrows move to, and choose, the next radio
    tab_to(page, "#depth")
    page.keyboard.press("End")  # "All" is the last option
    tab_to(page, "#show-lineage")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"direction=upstream&depth=all"))
    assert table_nodes(page)[0] == "ctax-accounts"
    # Every asset in the table is a link a keyboard reaches.
    tab_to(page, '#lineage-upstream a[href^="/assets/ctax-accounts/lineage"]')


# -- a steward fixes a record ----------------------------------------------------------
def test_steward_edits_a_dataset_sees_the_error_and_fixes_it(page: Any) -> None:
    sign_in(page, "steward")
    page.goto("/assets/rent-arrears-weekly")
    page.get_by_role("button", name="Edit this asset").click()
    page.wait_for_url("**/assets/rent-arrears-weekly/edit")
    page.get_by_label("Steward's email address").fill("aisha.begum at thamesbury")
    page.get_by_label("Retention period").fill("6 years after the tenancy ends, then deleted")
    page.get_by_role("button", name="Save changes").click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    # GOV.UK Frontend moves the focus to the summary so screen readers hear it.
    expect(summary).to_be_focused()
    assert "Enter steward's email address in the correct format" in summary.inner_text()
    assert "Enter steward's email address in the correct format" in page.inner_text(
        "#steward_email-error"
    )
    screenshot(page, "journey-steward-error")
    summary.get_by_role("link").first.click()
    expect(page.locator("#steward_email")).to_be_focused()
    page.get_by_label("Steward's email address").fill("aisha.begum@thamesbury.gov.uk")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/assets/rent-arrears-weekly")
    assert "Your changes to Rent arrears (weekly) are saved." in page.inner_text(
        ".govuk-notification-banner"
    )
    assert "6 years after the tenancy ends, then deleted" in page.inner_text("#personal-data")


def test_steward_journey_by_keyboard_alone(page: Any) -> None:
    sign_in(page, "steward", by_keyboard=True)
    page.goto("/assets/tenancies")
    tab_to(page, 'a[href="/assets/tenancies/edit"]')
    page.keyboard.press("Space")  # a link styled as a button also answers Space
    page.wait_for_url("**/assets/tenancies/edit")
    tab_to(page, "#review_date-day")
    page.keyboard.press("Control+A")
    page.keyboard.type("31")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("2027")
    tab_to(page, "#save")
    page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")  # into the summary: its first link
    expect(summary.locator('a[href="#review_date-day"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#review_date-day")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("28")
    tab_to(page, "#save")
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/tenancies")
    assert "28 February 2027" in page.inner_text("#freshness")


# -- an auditor traces a report ---------------------------------------------------------
def _trace_as_of_june_2025(page: Any, by_keyboard: bool) -> None:
    """Ask for the trace as of the demo's "2025-06-01", before the Housing switch-over."""
    parts = {"day": JUNE_2025.day, "month": JUNE_2025.month, "year": JUNE_2025.year}
    if by_keyboard:
        for part, value in parts.items():
            tab_to(page, f"#as_of-{part}")
            page.keyboard.type(str(value))
        tab_to(page, "#show-trace")
        page.keyboard.press("Enter")
    else:
        for part, value in parts.items():
            page.get_by_label(part.capitalize()).fill(str(value))
        page.get_by_role("button", name="Show trace").click()
    expect(page).to_have_url(re.compile(re.escape(date_query("as_of", JUNE_2025))))


def _check_download(download: Any, tmp_path: Any) -> None:
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    expected = f"trace-rpt-housing-arrears-dashboard-{JUNE_2025.isoformat()}.csv"
    assert download.suggested_filename == expected
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    keys = [r["key"] for r in rows]
    assert "rent-arrears-legacy-extract" in keys and "rent-arrears-weekly" not in keys
    assert all(r["owner"] for r in rows)


def test_auditor_traces_a_report_as_of_a_past_date_and_downloads_csv(
    page: Any, tmp_path: Any
) -> None:
    sign_in(page, "auditor")
    page.goto("/assets/rpt-housing-arrears-dashboard")
    page.get_by_role("link", name="Trace it for an audit").click()
    page.wait_for_url("**/assets/rpt-housing-arrears-dashboard/trace")
    _trace_as_of_june_2025(page, by_keyboard=False)
    expect(page.locator(".govuk-caption-l")).to_contain_text(f"as of {long_date(JUNE_2025)}")
    rows = page.eval_on_selector_all(
        "#trace-table tbody tr", "rows => rows.map(r => r.dataset.node)"
    )
    assert rows[0] == "rent-arrears-legacy-extract"
    screenshot(page, "journey-auditor-trace-as-of")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download this trace as CSV")).click()
    _check_download(download.value, tmp_path)


def test_auditor_journey_by_keyboard_alone(page: Any, tmp_path: Any) -> None:
    sign_in(page, "auditor", by_keyboard=True)
    page.goto("/assets/rpt-housing-arrears-dashboard")
    tab_to(page, 'a[href="/assets/rpt-housing-arrears-dashboard/trace"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/assets/rpt-housing-arrears-dashboard/trace")
    _trace_as_of_june_2025(page, by_keyboard=True)
    tab_to(page, "#download-csv")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    _check_download(download.value, tmp_path)


# -- the graph and the table agree with the trace ----------------------------------------
def test_graph_draws_every_upstream_node_the_trace_lists(page: Any) -> None:
    sign_in(page, "auditor")
    for report in ("rpt-housing-arrears-dashboard", "rpt-budget-setting-council"):
        page.goto(f"/assets/{report}/trace")
        traced = page.eval_on_selector_all(
            "#trace-table tbody tr", "rows => rows.map(r => r.dataset.node)"
        )
        page.goto(f"/assets/{report}/lineage?direction=upstream&depth=all")
        wait_for_graph(page)
        drawn = page.evaluate(GRAPH_KEYS)
        assert sorted(k for k in drawn if k != report) == sorted(traced)
        assert sorted(table_nodes(page)) == sorted(traced)
        edges = page.evaluate("() => window.catalogueLineage.edges().length")
        assert edges >= len(traced)  # every node is joined to the report
    screenshot(page, "lineage-graph-budget-setting")


def test_graph_and_table_keep_restricted_assets_anonymous(page: Any) -> None:
    sign_in(page, "viewer")  # Housing: Adult Social Care's sources are restricted
    report = "rpt-asc-performance-dashboard"
    page.goto(f"/assets/{report}/trace")
    traced = page.eval_on_selector_all(
        "#trace-table tbody tr", "rows => rows.map(r => r.dataset.node)"
    )
    page.goto(f"/assets/{report}/lineage?direction=upstream&depth=all")
    wait_for_graph(page)
    ids = page.evaluate(GRAPH_IDS)
    keys = page.evaluate(GRAPH_KEYS)
    assert len(ids) == len(traced) + 1
    assert sorted(table_nodes(page)) == sorted(traced)
    hidden = [i for i, k in zip(ids, keys, strict=True) if k is None]
    assert len(hidden) == traced.count("restricted") > 0
    assert all(i.startswith("restricted-") for i in hidden)
    assert "sys-mosaic-asc" not in page.content()


def test_selecting_a_node_opens_its_panel_and_then_its_lineage(page: Any) -> None:
    sign_in(page, "viewer")
    page.goto("/assets/rpt-housing-arrears-dashboard/lineage?depth=1&direction=upstream")
    wait_for_graph(page)
    page.locator("#lineage-graph").scroll_into_view_if_needed()
    # Cytoscape maps a click through the graph's place on the screen, which it reads
    # again on the page's scroll event: let the browser deliver that event (two
    # frames) before clicking, or the click lands where the graph was.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    box = page.locator("#lineage-graph").bounding_box()
    spot = page.evaluate(
        "() => window.catalogueLineage.getElementById('tenancies').renderedPosition()"
    )
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
    panel = page.locator("#lineage-panel")
    expect(panel.get_by_role("heading")).to_have_text("Council tenancies")
    panel.get_by_role("link", name="Centre the lineage on it").click()
    page.wait_for_url(re.compile(r"/assets/tenancies/lineage"))


# -- without JavaScript, and without the Transport font -------------------------------------
def test_pages_work_without_javascript(browser: Any, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/sign-in")
    page.fill("#username", USERS["viewer"])
    page.fill("#password", "demo-password-123")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/search?q=council+tax&department=Finance")
    assert page.locator("#results li").count() > 0
    page.goto("/assets/rpt-housing-arrears-dashboard/lineage?direction=upstream&depth=all")
    assert not page.locator("#lineage-graph-section").is_visible()
    assert len(table_nodes(page)) == 7
    screenshot(page, "lineage-without-javascript")
    context.close()


def test_no_govuk_transport_font_is_used_or_fetched(page: Any) -> None:
    fonts: list[str] = []
    page.on("request", lambda r: r.resource_type == "font" and fonts.append(r.url))
    page.goto("/")
    family = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" not in family and "system-ui" in family
    assert fonts == []

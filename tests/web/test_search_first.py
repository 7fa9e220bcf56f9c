"""The pages at the sizes people use them (#17), in a real browser: search first on
a phone (results on the first screen, the filters behind a "Filter results" toggle
that works without JavaScript), a skip link from the search box to the results,
"why it matched" written for people, a heading that agrees with the spelling
banner, the trace's title with its date, "Sign out" like the menu's other links,
and wide pages whose header lines up with their tables.

Every check is an auto-waiting ``expect(...)`` or a measurement of layout that no
script changes after the page has loaded.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from catalogue.web.presenters import match_reasons
from tests.conftest import date_query, demo_day, long_date
from tests.web.conftest import DESKTOP, screenshot

#: The trace's title carries a date: CI runs this module again a year ahead.
pytestmark = pytest.mark.calendar

PHONE = {"width": 375, "height": 800}
FIRST_RESULT = "#results li:first-child h3 a"


def top_of(page: Any, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box["y"]


# -- search first on a phone ----------------------------------------------------------
@pytest.mark.parametrize(
    ("width", "javascript"),
    # Without JavaScript GOV.UK's menu is shown open (its toggle needs a script):
    # at 320 px that alone pushes the first result just below the first screen.
    [(375, True), (375, False), (320, True)],
    ids=["375-script", "375-no-script", "320-script"],
)
def test_on_a_phone_the_first_result_is_on_the_first_screen_and_filters_are_a_toggle(
    open_as: Any, javascript: bool, width: int
) -> None:
    """At 375 × 800 (and 320) the first result of "council tax arrears" starts above
    y = 800 (it was at 1,811 px below the filters); the filters open from a toggle,
    with or without JavaScript; the phone journey goes on to filter and open a dataset."""
    page = open_as("viewer", {**PHONE, "width": width}, javascript)
    page.goto("/search?q=council+tax+arrears")
    first = page.locator(FIRST_RESULT)
    expect(first).to_be_in_viewport()
    assert top_of(page, FIRST_RESULT) < PHONE["height"]
    department = page.get_by_role("checkbox", name=re.compile(r"^Revenues & Benefits \(\d+\)"))
    expect(department).to_be_hidden()
    screenshot(page, f"search-first-{width}-{'script' if javascript else 'no-script'}")

    page.get_by_text("Filter results", exact=True).click()
    expect(department).to_be_visible()
    department.check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"department=Revenues"))
    expect(page.locator("#filters summary")).to_contain_text("Filter results (1 chosen)")
    expect(page.locator(FIRST_RESULT)).to_be_in_viewport()
    page.get_by_role("link", name="Council tax arrears", exact=True).click()
    page.wait_for_url("**/assets/ctax-arrears")
    expect(page.locator("h1")).to_have_text("Council tax arrears")


def test_on_a_wide_screen_the_filters_are_open_beside_the_results(open_as: Any) -> None:
    page = open_as("viewer", DESKTOP)
    page.goto("/search?q=council+tax+arrears")
    department = page.get_by_role("checkbox", name=re.compile(r"^Revenues & Benefits \(\d+\)"))
    expect(department).to_be_visible()
    filters = page.locator("#filters").bounding_box()
    results = page.locator("#results").bounding_box()
    assert filters and results and filters["x"] + filters["width"] <= results["x"]


def test_a_keyboard_user_skips_from_the_search_box_to_the_first_result(open_as: Any) -> None:
    """At 1280 px the filters come before the results; a skip link after the search
    button takes a keyboard user past them: four keys from the box to the first
    result (it took 32 Tabs)."""
    page = open_as("viewer", DESKTOP)
    page.goto("/search?q=council+tax+arrears")
    expect(page.get_by_role("checkbox").first).to_be_visible()  # the filters are open
    page.locator("#search-q").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#search-button")).to_be_focused()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    screenshot(page, "search-skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(FIRST_RESULT)).to_be_focused()


# -- the smaller list --------------------------------------------------------------------
def test_the_heading_names_the_spelling_that_was_searched(open_as: Any) -> None:
    """The banner says results are for 'council tax'; the heading under it says the
    same, not the misspelling that found nothing."""
    page = open_as("viewer", DESKTOP)
    page.goto("/search?q=counsil+tax")
    expect(page.locator("#corrected")).to_contain_text("Showing results for ‘council tax’")
    heading = page.locator("#result-count")
    expect(heading).to_have_text(re.compile(r"^\d+ results? for ‘council tax’$"))


def test_why_a_result_matched_is_written_for_people(open_as: Any) -> None:
    """No index vocabulary ("Matched on …", "synonym:", "spelling:"); a result found
    through a word of the same meaning says so in a sentence; a result whose title
    shows the match says nothing more."""
    page = open_as("viewer", DESKTOP)
    page.goto("/search?q=bins")
    expect(page.locator("#results li").first).to_be_visible()
    why = page.locator("#results .app-result__why")
    expect(why.filter(has_text="the same as what you searched for")).not_to_have_count(0)
    expect(page.locator("#results")).not_to_contain_text("Matched on")
    expect(page.locator("#results")).not_to_contain_text("synonym:")
    page.goto("/search?q=council+tax+arrears")
    titled = page.locator("#results li").filter(has=page.locator("h3 mark")).first
    expect(titled).to_be_visible()
    expect(titled.locator(".app-result__why")).to_have_count(0)
    page.goto("/search?q=counsil+tax")
    expect(page.locator("#results li").first).to_be_visible()
    expect(page.locator("#results")).not_to_contain_text("spelling:")


@pytest.mark.parametrize(
    ("reasons", "shown", "said"),
    [
        (["title", "tags", "spelling: council tax"], ["title"], ""),
        (["exact title", "title"], ["title", None], ""),
        (
            ["tags", "department", "source system"],
            [None, None],
            "Your words are in its tags, department and source system.",
        ),
        (
            ["description", "synonym: waste collection"],
            [None, "description"],
            "‘waste collection’ means the same as what you searched for.",
        ),
        (
            ["tags", "synonym: bin collection", "synonym: waste collection"],
            [None, None],
            "Your words are in its tags. ‘bin collection’ and ‘waste collection’ mean the same"
            " as what you searched for.",
        ),
    ],
)
def test_why_it_matched_in_words(reasons: list[str], shown: list[str | None], said: str) -> None:
    """The index's reasons (search.highlight.explain) as the result line says them."""
    assert match_reasons(reasons, shown) == said


def test_the_trace_title_carries_its_date(open_as: Any) -> None:
    page = open_as("auditor", DESKTOP)
    day = demo_day("2025-06-01")
    page.goto(f"/assets/rpt-housing-arrears-dashboard/trace?{date_query('as_of', day)}")
    expect(page).to_have_title(re.compile(rf"^Trace of .+ as of {re.escape(long_date(day))} – "))


def test_sign_out_looks_like_the_other_menu_links(open_as: Any) -> None:
    page = open_as("viewer", DESKTOP)
    page.goto("/")
    expected = page.locator("#change-password").evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.color, s.fontSize, s.fontWeight, s.textDecorationLine]; }"
    )
    expect(page.locator("#sign-out")).to_have_css("color", expected[0])
    expect(page.locator("#sign-out")).to_have_css("font-size", expected[1])
    expect(page.locator("#sign-out")).to_have_css("font-weight", expected[2])
    expect(page.locator("#sign-out")).to_have_css("text-decoration-line", expected[3])


@pytest.mark.parametrize("width", [1280, 1600])
@pytest.mark.parametrize(
    "path",
    [
        "/assets/rpt-housing-arrears-dashboard/trace",
        "/assets/rpt-housing-arrears-dashboard/lineage",
        "/audit?asset=rpt-housing-arrears-dashboard",
    ],
)
def test_wide_pages_line_up_with_the_header(open_as: Any, path: str, width: int) -> None:
    """The trace, lineage and audit pages widen for their tables; the header, menu
    and footer widen with them, so their left edges are one line."""
    page = open_as("auditor", {"width": width, "height": 900})
    page.goto(path)
    expect(page.locator("h1")).to_be_visible()
    lefts = {
        part: page.locator(f"{part} .govuk-width-container").first.bounding_box()["x"]
        for part in (".govuk-generic-header", ".govuk-service-navigation", ".govuk-footer")
    }
    main = page.locator("main").bounding_box()["x"]
    assert set(lefts.values()) == {main}, (lefts, main)

"""Forms stewards finish (#17): the asset form shows only the column and link
rows that hold something, with "Add another" and "Remove" buttons that show the
form again with a row more or less (no JavaScript, nothing typed lost, nothing
saved); the long form is in headed sections with a summary at the top linking
to each; the error summary still links to each field.

Through the Flask test client (no JavaScript) on both backends; in Chromium at
1280 and 375 px, with axe, as a steward adds a column and saves with Enter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from tests.web.conftest import Pages, fresh_demo_app, screenshot, sign_in
from tests.web.test_accessibility import WCAG_22_AA
from tests.web.test_forms import form_values, record

#: The form's dates come from the demo, which is dated from the day it loads.
pytestmark = pytest.mark.calendar

EDIT = "/assets/repairs-orders/edit"  # Housing: 7 columns, no links
SECTIONS = (
    "section-about",
    "section-responsible",
    "section-handling",
    "section-personal-data",
    "section-upkeep",
    "section-columns",
    "section-links",
)


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module changes the catalogue: its own demo copy."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


def rows(html: str, prefix: str) -> list[str]:
    """The names (or, for links, web addresses) in the form's rows, in order."""
    part = "name" if prefix == "columns" else "url"
    return [
        unescape(value)
        for value in re.findall(
            rf'<input[^>]*name="{prefix}-\d+-{part}"[^>]*value="([^"]*)"', html.replace("\n", " ")
        )
    ]


def buttons(html: str) -> dict[str, str]:
    """The row buttons: value of ``action`` → what a screen reader hears."""
    found = re.findall(r'<button[^>]*value="([^"]+)" name="action"[^>]*>(.*?)</button>', html, re.S)
    return {value: " ".join(re.sub(r"<[^>]+>", "", text).split()) for value, text in found}


def test_only_rows_with_content_are_shown(pages: Pages, demo_app: Flask) -> None:
    html = pages.sign_in("steward").text(EDIT)
    saved = record(demo_app, "repairs-orders")
    assert rows(html, "columns") == [c["name"] for c in saved["columns"]]
    assert len(saved["columns"]) == 7 and rows(html, "links") == []
    assert "No links are recorded." in html
    offered = buttons(html)
    assert offered["add-columns"] == "Add another column"
    assert offered["add-links"] == "Add a link"
    assert offered["remove-columns-0"] == "Remove column 1 (job_no)"
    register = pages.text("/register")
    assert rows(register, "columns") == [] and rows(register, "links") == []
    assert buttons(register)["add-columns"] == "Add a column"


def test_add_another_shows_one_more_row_keeping_what_was_typed(
    pages: Pages, demo_app: Flask
) -> None:
    pages.sign_in("steward")
    before = record(demo_app, "repairs-orders")
    values = form_values(pages.text(EDIT))
    values.update(title="Repairs orders (typed before adding a row)", action="add-columns")
    values["columns-3-description"] = "Changed, not saved yet"
    response = pages.post(EDIT, values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "There is a problem" not in html
    assert rows(html, "columns") == [c["name"] for c in before["columns"]] + [""]
    assert 'value="Repairs orders (typed before adding a row)"' in html
    assert 'value="Changed, not saved yet"' in html
    assert 'formaction="/assets/repairs-orders/edit#column-8"' in html  # the next one
    assert record(demo_app, "repairs-orders") == before  # nothing saved

    values = form_values(html)  # what the browser now submits, with the new row
    assert values["title"] == "Repairs orders (typed before adding a row)"
    values.update({"columns-7-name": "priority", "columns-7-type": "string"})
    values.update(action="add-links")
    html = unescape(pages.post(EDIT, values).get_data(as_text=True))
    assert rows(html, "columns")[-1] == "priority" and rows(html, "links") == [""]
    values = form_values(html)
    link = {"name": "Repairs dashboard", "url": "https://bi.example/r", "format": "Web page"}
    values.update({f"links-0-{part}": text for part, text in link.items()})
    assert pages.post(EDIT, values).status_code == 302
    after = record(demo_app, "repairs-orders")
    assert [c["name"] for c in after["columns"]][-1] == "priority"
    assert after["columns"][3]["description"] == "Changed, not saved yet"
    assert after["links"] == [link]


def test_registering_adds_rows_on_demand_and_keeps_the_key(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/register"))
    values.update(key="garage-rents", kind="dataset", title="Garage rents", action="add-columns")
    html = unescape(pages.post("/register", values).get_data(as_text=True))
    assert 'value="garage-rents"' in html and rows(html, "columns") == [""]
    assert buttons(html)["add-columns"] == "Add another column"
    values = form_values(html)
    values.update({"columns-0-name": "garage_ref", "columns-0-personal": "yes"})
    response = pages.post("/register", values)
    assert response.status_code == 302
    saved = record(demo_app, "garage-rents")
    assert saved["columns"] == [
        {"name": "garage_ref", "type": None, "description": None, "personal": True}
    ]


def test_remove_takes_out_that_row_only_and_saving_drops_it(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    key = "housing-properties"
    page = f"/assets/{key}/edit"
    before = record(demo_app, key)
    names = [c["name"] for c in before["columns"]]
    assert len(names) >= 3
    values = form_values(pages.text(page))
    values.update(retention_period="7 years", action="remove-columns-1")
    response = pages.post(page, values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert rows(html, "columns") == names[:1] + names[2:]
    assert 'value="7 years"' in html
    assert record(demo_app, key) == before  # removed from the form, not yet saved
    assert pages.post(page, form_values(html)).status_code == 302
    after = record(demo_app, key)
    assert [c["name"] for c in after["columns"]] == names[:1] + names[2:]
    assert after["retention_period"] == "7 years"


def test_sections_with_a_summary_at_the_top_and_errors_linked(
    pages: Pages, demo_app: Flask
) -> None:
    pages.sign_in("steward")
    page = "/assets/housing-lettings/edit"
    saved = record(demo_app, "housing-lettings")
    html = unescape(pages.text(page))
    top = html.split('id="form-summary-list"', 1)[1].split("</dl>", 1)[0]
    for section in SECTIONS:
        assert (
            f'href="#{section}"' in top and f'<h2 class="govuk-heading-l" id="{section}">' in html
        )
    words = " ".join(re.sub(r"<[^>]+>", " ", top).split())
    assert f"About it {saved['title']}. Dataset, Housing. Change about it" in words
    assert f"Owner: {saved['owner']}. Steward: {saved['steward']}." in words
    count = len(saved["columns"])
    assert f"Columns {count} columns. Change columns" in words
    assert "Links No links recorded. Change links" in words

    values = form_values(html)
    values.update({"owner_email": "not an email", f"columns-{count}-type": "string"})  # no name
    response = pages.post(page, values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    errors = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', errors)
    assert targets == ["owner_email", f"columns-{count}-name"]
    for target in targets:
        assert f'id="{target}"' in html and f'id="{target}-error"' in html
    assert f"{count + 1} columns." in html  # the summary counts what the form holds
    assert record(demo_app, "housing-lettings") == saved


def test_a_steward_adds_a_column_and_saves_with_enter_in_a_browser(
    browser: Any, live_server: str
) -> None:
    """At 1280 and 375 px: "Add another column" opens the form at the new row;
    Enter in a text box saves (it does not add or remove a row); axe finds
    nothing wrong with the form, its sections or its row buttons."""
    from playwright.sync_api import expect

    for width, name in ((1280, "contractor"), (375, "trade")):
        context = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": 800}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            sign_in(page, "steward")
            page.goto(EDIT)
            count = page.locator(".app-repeat-row[id^='column-']").count()
            page.get_by_role("button", name="Add another column").click()
            page.wait_for_url(f"**/edit#column-{count}")
            new_row = page.locator(f"#columns-{count}-name")
            expect(new_row).to_have_value("")
            expect(page.locator(".app-repeat-row[id^='column-']")).to_have_count(count + 1)
            results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
            screenshot(page, f"edit-add-another-{width}")
            assert results.violations_count == 0, results.generate_report()
            assert page.evaluate("() => document.scrollingElement.scrollWidth") <= width
            new_row.fill(name)
            new_row.press("Enter")
            expect(page.locator(".govuk-notification-banner")).to_contain_text("saved")
            expect(page.locator("#columns")).to_contain_text(name)
        finally:
            context.close()


def test_the_widest_assets_form_has_no_empty_rows(browser: Any, live_server: str) -> None:
    """The demo's widest asset (planning-applications, 8 columns) at 1280 px: its
    edit page was 11,478 px tall with three blank column blocks and two blank
    link blocks; now it shows its 8 columns and nothing blank (the height is
    printed, and stated in docs/web-pages.md)."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, "admin")
        page.goto("/assets/planning-applications/edit")
        names = page.locator("input[name^='columns-'][name$='-name']")
        assert names.count() == 8
        assert all(value for value in names.evaluate_all("els => els.map(e => e.value)"))
        assert page.locator("input[name^='links-']").count() == 0
        height = page.evaluate("() => document.scrollingElement.scrollHeight")
        print(f"\nedit form of planning-applications at 1280 px: {height} px tall")
        screenshot(page, "edit-widest-asset")
    finally:
        context.close()

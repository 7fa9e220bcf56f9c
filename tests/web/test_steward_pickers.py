"""Forms stewards finish (#17): the edit form offers the departments, source
systems and people the catalogue knows as the steward types (a `<datalist>`
beside each text box, so any other value can still be typed), a feed is named
by its title, and the history names assets by their titles, linked.

Without JavaScript through the Flask test client; in Chromium at 1280 and
375 px, with axe, as a steward edits with the pickers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from catalogue.services import assets
from tests.web.conftest import Pages, fresh_demo_app, sign_in
from tests.web.test_accessibility import WCAG_22_AA
from tests.web.test_forms import ADMIN, form_values, record

#: The form's dates come from the demo, which is dated from the day it loads.
pytestmark = pytest.mark.calendar

EDIT = "/assets/rent-arrears-weekly/edit"


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module changes the catalogue: its own demo copy."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


def options(html: str, list_id: str) -> dict[str, str]:
    """The choices a `<datalist>` offers: value → label."""
    body = html.split(f'<datalist id="{list_id}">', 1)[1].split("</datalist>", 1)[0]
    return {
        unescape(value): unescape(label)
        for value, label in re.findall(r'<option value="([^"]*)">([^<]*)</option>', body)
    }


def input_tag(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*id="{name}"[^>]*>', html)
    assert found, name
    return found.group(0)


def test_the_edit_form_offers_what_the_catalogue_knows_without_javascript(
    pages: Pages, demo_app: Flask
) -> None:
    html = pages.sign_in("steward").text(EDIT)  # Aisha Begum, Housing
    for field, list_id in (
        ("department", "known-departments"),
        ("source_system", "known-systems"),
        ("owner", "known-people"),
        ("steward", "known-people"),
        ("owner_email", "known-emails"),
        ("steward_email", "known-emails"),
    ):
        assert f'list="{list_id}"' in input_tag(html, field), field
    assert {"Housing", "Adult Social Care", "Revenues & Benefits"} <= set(
        options(html, "known-departments")
    )
    systems = options(html, "known-systems")
    assert systems["sys-northgate-housing"] == "Northgate housing management system"
    assert "sys-mosaic-asc" not in systems  # restricted to Adult Social Care
    people = options(html, "known-people")
    assert people["Aisha Begum"] == "aisha.begum@thamesbury.gov.uk"
    assert options(html, "known-emails")["aisha.begum@thamesbury.gov.uk"] == "Aisha Begum"
    values = form_values(html)
    assert people[values["owner"]] == values["owner_email"]  # its owner is one of them

    values.update(source_system="sys-northgate-housing", owner="Aisha Begum")
    values["owner_email"] = "aisha.begum@thamesbury.gov.uk"
    assert pages.post(EDIT, values).status_code == 302
    saved = record(demo_app, "rent-arrears-weekly")
    assert saved["source_system"] == "sys-northgate-housing"
    assert (saved["owner"], saved["owner_email"]) == (
        "Aisha Begum",
        "aisha.begum@thamesbury.gov.uk",
    )


def test_a_feed_is_named_by_its_title_and_shown_by_title_in_the_history(
    pages: Pages, demo_app: Flask
) -> None:
    pages.sign_in("steward")
    page = "/assets/repairs-performance-monthly/feeds"
    assert "data-autocomplete=" in input_tag(pages.text(page), "upstream")
    added = pages.post(page, {"upstream": "  council HOUSING stock "})
    assert added.status_code == 302
    html = unescape(pages.text(page))
    assert "Council housing stock now feeds" in html
    assert '<input type="hidden" name="upstream" value="housing-properties">' in html
    history = unescape(pages.text("/assets/repairs-performance-monthly/history"))
    linked = '<a class="govuk-link" href="/assets/housing-properties">Council housing stock</a>'
    assert f"{linked} now feeds this" in history


def test_a_title_two_assets_share_asks_for_the_key(pages: Pages, demo_app: Flask) -> None:
    cat = demo_app.extensions["catalogue"]
    with cat.write(ADMIN) as writer:
        assets.register(
            writer,
            {"key": "housing-stock-copy", "kind": "dataset", "title": "Council housing stock"},
        )
    pages.sign_in("steward")
    page = "/assets/repairs-performance-monthly/feeds"
    refused = pages.post(page, {"upstream": "Council housing stock"})
    html = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and 'href="#upstream">' in html
    assert "2 assets are called 'Council housing stock'" in html
    assert "housing-properties (Housing)" in html and "housing-stock-copy" in html


@pytest.mark.parametrize(
    ("width", "system", "title"),
    [
        (1280, "sys-housing-options", "Housing options and homelessness case system"),
        (375, "sys-northgate-housing", "Northgate housing management system"),
    ],
)
def test_a_steward_edits_with_the_pickers_in_a_browser(
    browser: Any, live_server: str, width: int, system: str, title: str
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        sign_in(page, "steward")
        page.goto(EDIT)
        department = page.get_by_label("Department", exact=True)
        expect(department).to_have_attribute("list", "known-departments")
        expect(page.locator("#known-departments option[value='Housing']")).to_have_count(1)
        page.get_by_label("Source system", exact=True).fill(system)  # a choice the list offers
        expect(page.locator(f"#known-systems option[value='{system}']")).to_have_text(title)
        page.get_by_label("Steward's name", exact=True).fill("Aisha Begum")
        violations = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        assert violations.response["violations"] == [], violations.generate_report()
        page.locator("#save").click()
        expect(page.locator(".govuk-notification-banner")).to_contain_text("saved")
        expect(page.locator("body")).to_contain_text(system)
    finally:
        context.close()

"""A dataset of hundreds of columns (a harvested table): its page shows the first
COLUMNS_SHOWN and links to all of them, without JavaScript; the record it is
read from (columns as plain rows) is the record the rest of the catalogue
builds from mapped objects (#21)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask

from catalogue.services import assets
from catalogue.services.access import operator
from catalogue.services.records import asset_record
from catalogue.web.asset_pages import COLUMNS_SHOWN
from tests.serving import served_in_thread
from tests.web.conftest import (
    Pages,
    _database,
    _demo_app,
    chromium_or_skip,
    fresh_demo_app,
    screenshot,
    sign_in,
)

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

ADMIN = operator("test-admin")
WIDE = "ward-returns-every-measure"
WIDTH = COLUMNS_SHOWN + 50
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def add_wide_dataset(app: Flask) -> None:
    """An open Housing dataset of WIDTH columns; every 40th holds personal data."""
    columns = [
        {
            "name": f"measure_{i:04d}",
            "type": "numeric",
            "description": f"Measure {i} of the ward return",
            "personal": i % 40 == 0,
        }
        for i in range(WIDTH)
    ]
    record = {
        "key": WIDE,
        "kind": "dataset",
        "title": "Ward returns, every measure",
        "department": "Housing",
        "access": "open",
        "columns": columns,
    }
    with app.extensions["catalogue"].write(ADMIN) as writer:
        assets.register(writer, record)


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module adds a wide dataset: its own demo copy, not the shared one."""
    for app in fresh_demo_app(web_backend, request, tmp_path_factory):
        add_wide_dataset(app)
        yield app


def column_names(html: str) -> list[str]:
    table = html.split('id="columns"')[1].split("</table>")[0]
    return re.findall(r"<tr class=\"govuk-table__row\">\s*<td[^>]*><code>([^<]+)</code>", table)


def test_a_wide_dataset_shows_its_first_columns_and_links_to_all(pages: Pages) -> None:
    html = pages.sign_in("viewer").text(f"/assets/{WIDE}")
    shown = column_names(html)
    assert shown == [f"measure_{i:04d}" for i in range(COLUMNS_SHOWN)]
    more = re.search(r'<p class="govuk-body" id="columns-more">(.*?)</p>', html, re.S)
    assert more, "no link to the columns not shown"
    assert f"The first {COLUMNS_SHOWN} of {WIDTH} columns are shown" in more.group(1)
    link = re.search(r'href="([^"]+)">Show all (\d+) columns</a>', more.group(1))
    assert link and int(link.group(2)) == WIDTH

    every = pages.text(link.group(1).replace("&amp;", "&"))
    assert column_names(every) == [f"measure_{i:04d}" for i in range(WIDTH)]
    assert 'id="columns-more"' not in every
    # The personal flag of a column past the first COLUMNS_SHOWN is there too.
    last_personal = max(i for i in range(WIDTH) if i % 40 == 0)
    row = every.split(f"<code>measure_{last_personal:04d}</code>")[1].split("</tr>")[0]
    assert re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', row)[-1] == "Yes"


def test_an_ordinary_dataset_shows_every_column_without_a_link(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/assets/rent-arrears-weekly")
    assert column_names(html) and 'id="columns-more"' not in html
    assert column_names(html) == column_names(pages.text("/assets/rent-arrears-weekly?columns=all"))


def test_the_record_read_as_rows_is_the_record_of_the_mapped_asset(demo_app: Flask) -> None:
    """assets.get reads columns as plain rows; every asset's record (the wide one
    included) is exactly what records.asset_record builds from mapped objects."""
    catalogue = demo_app.extensions["catalogue"]
    with catalogue.reading(ADMIN) as reader:
        keys = [r["key"] for r in assets.list_assets(reader, include_retired=True)]
    assert WIDE in keys and len(keys) > 20
    for key in keys:
        with catalogue.reading(ADMIN) as reader:
            as_rows = assets.get(reader, key)
        with catalogue.read() as session:
            mapped = asset_record(assets.get_asset(session, key))
        assert as_rows == mapped, key


def test_the_api_gives_every_column_in_order(pages: Pages) -> None:
    record = pages.get(f"/api/v1/assets/{WIDE}").json
    assert [c["name"] for c in record["columns"]] == [f"measure_{i:04d}" for i in range(WIDTH)]
    assert [c["personal"] for c in record["columns"]] == [i % 40 == 0 for i in range(WIDTH)]


def test_the_page_reads_only_the_columns_it_shows_and_counts_the_rest(demo_app: Flask) -> None:
    """The page's record holds the first COLUMNS_SHOWN columns, read with a LIMIT,
    and the number the dataset has in all; asked for all, every column (#21)."""
    catalogue = demo_app.extensions["catalogue"]
    with catalogue.reading(ADMIN) as reader:
        whole = assets.get(reader, WIDE)
        first, total = assets.get_shown(reader, WIDE, COLUMNS_SHOWN)
        every, every_total = assets.get_shown(reader, WIDE, None)
        exact, exact_total = assets.get_shown(reader, WIDE, WIDTH)
        small, small_total = assets.get_shown(reader, "rent-arrears-weekly", COLUMNS_SHOWN)
    assert first["columns"] == whole["columns"][:COLUMNS_SHOWN] and total == WIDTH
    assert {**first, "columns": whole["columns"]} == whole
    assert every == whole and every_total == WIDTH
    assert exact == whole and exact_total == WIDTH
    assert small_total == len(small["columns"]) > 0


# -- in a browser: both forms of the page are accessible at a desktop's and a phone's width
@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo catalogue with the wide dataset (SQLite), served for this module."""
    chromium_or_skip()
    folder = tmp_path_factory.mktemp("live-wide")
    url, _ = _database("sqlite", request, folder)
    app = _demo_app(url, folder / "instance")
    add_wide_dataset(app)
    with served_in_thread(app) as base:
        yield base
    app.extensions["catalogue"].close()


@pytest.mark.parametrize("width", [1280, 375, 320])
def test_the_wide_page_and_all_its_columns_have_no_wcag_violations(page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "viewer")
    page.goto(f"/assets/{WIDE}")
    assert page.locator("#columns tbody tr").count() == COLUMNS_SHOWN
    page.get_by_role("link", name=f"Show all {WIDTH} columns").click()
    page.wait_for_url(re.compile(r"columns=all"))
    assert page.locator("#columns tbody tr").count() == WIDTH
    for name in ("all", "first"):
        if name == "first":
            page.go_back()
            assert page.locator("#columns tbody tr").count() == COLUMNS_SHOWN
        results = Axe().run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_22_AA},
                "resultTypes": ["violations"],
            },
        )
        screenshot(page, f"asset-wide-{name}-{width}")
        assert results.violations_count == 0, results.generate_report()
        scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
        assert scroll_width <= width, f"the page is {scroll_width} px wide at {width} px"

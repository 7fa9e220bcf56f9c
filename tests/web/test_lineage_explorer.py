"""The lineage explorer in a real browser (Chromium) at 1280 and 375 px: readable
text at any zoom, edges that never cross an asset they do not join, the journey
by keyboard alone (move between assets, show a hop more, open an asset's panel
with its column lineage), the phone's tables-first view, and axe on the page.

Column lineage: the demo borough has none, so this module's live server adds one
OpenLineage run (tenancies extract → rent summary, two columns) through the
service, as a feed would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from catalogue.services.openlineage import apply_facts
from catalogue.services.openlineage_facts import ColumnInput, DatasetFacts, JobFacts, LineageFacts
from tests.serving import served_in_thread
from tests.web.conftest import (
    _database,
    _demo_app,
    chromium_or_skip,
    screenshot,
    sign_in,
    tab_to,
)

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: The biggest graph in the demo: 44 assets fed by the address gazetteer.
GAZETTEER = "/assets/sys-gis-llpg/lineage?direction=downstream&depth=all"
HOUSING = "/assets/rpt-housing-arrears-dashboard/lineage?direction=both&depth=all"
NAMESPACE = "postgres://housing-db.thamesbury.local:5432"
#: The rent summary's key, given by the catalogue when the feed's run registers it.
FEED: dict[str, str] = {}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 800}}

SMALLEST_TEXT = """() => {
  const cy = window.catalogueLineage
  const sizes = cy.nodes(':visible').map(n => parseFloat(n.style('font-size')) * cy.zoom())
  return Math.min(...sizes)
}"""
#: Every edge's drawn line (endpoints and bends, as cytoscape draws it) that
#: passes through an asset other than its own two; and the same for straight
#: lines between centres, to show the check finds crossings when there are some.
CROSSINGS = """(straight) => {
  const cy = window.catalogueLineage
  const cut = (a, b, box) => {
    let t0 = 0, t1 = 1
    const d = {x: b.x - a.x, y: b.y - a.y}
    for (const [p, q] of [[-d.x, a.x - box.x1], [d.x, box.x2 - a.x],
                          [-d.y, a.y - box.y1], [d.y, box.y2 - a.y]]) {
      if (p === 0) { if (q < 0) return false; continue }
      const r = q / p
      if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r }
      else { if (r < t0) return false; if (r < t1) t1 = r }
    }
    return t0 < t1
  }
  const found = []
  const nodes = cy.nodes(':visible')
  cy.edges(':visible').forEach(e => {
    let line
    if (straight) line = [e.source().position(), e.target().position()]
    else {
      const bends = e.segmentPoints() || []
      line = [e.sourceEndpoint(), ...bends, e.targetEndpoint()]
    }
    nodes.forEach(n => {
      if (n.same(e.source()) || n.same(e.target())) return
      const b = n.boundingBox({includeLabels: false, includeOverlays: false})
      const box = {x1: b.x1 + 2, y1: b.y1 + 2, x2: b.x2 - 2, y2: b.y2 - 2}
      for (let i = 1; i < line.length; i++) {
        if (cut(line[i - 1], line[i], box)) { found.push(e.id() + ' crosses ' + n.id()); break }
      }
    })
  })
  return found
}"""


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The demo borough plus one feed's run with column lineage, served for this module."""
    chromium_or_skip()
    folder = tmp_path_factory.mktemp("explorer")
    url, _ = _database("sqlite", request, folder)
    app = _demo_app(url, folder / "instance")
    cat = app.extensions["catalogue"]
    extract = DatasetFacts(
        NAMESPACE,
        "public.tenancies_extract",
        columns=[{"name": "tenancy_id", "type": "integer"}, {"name": "rent", "type": "numeric"}],
    )
    summary = DatasetFacts(
        NAMESPACE,
        "public.rent_summary",
        columns=[
            {"name": "tenancy_id", "type": "integer"},
            {"name": "weekly_rent", "type": "numeric"},
        ],
        column_lineage=[
            ColumnInput(
                "tenancy_id",
                NAMESPACE,
                "public.tenancies_extract",
                "tenancy_id",
                "DIRECT",
                "IDENTITY",
            ),
            ColumnInput(
                "weekly_rent",
                NAMESPACE,
                "public.tenancies_extract",
                "rent",
                "DIRECT",
                "AGGREGATION",
            ),
        ],  # fmt: skip
        authoritative=True,
    )
    facts = LineageFacts(
        time=datetime.now(UTC),
        job=JobFacts(NAMESPACE, "rent_summary_build"),
        inputs=[extract],
        outputs=[summary],
        run_id=str(uuid.uuid4()),
        event_type="COMPLETE",
    )
    with cat.write("peter.ng") as writer:
        outcome = apply_facts(writer, facts)
    assert outcome.column_lineage, outcome
    FEED["summary"] = outcome.column_lineage[0]
    with served_in_thread(app) as base:
        yield base
    cat.close()


@pytest.fixture
def open_page(open_as: Any) -> Any:
    """Opens a signed-out page at a width (desktop or phone); fails on script
    errors and CSP refusals."""
    return lambda width: open_as(None, WIDTHS[width])


def drawn(page: Any) -> None:
    page.wait_for_selector("#lineage-graph[data-drawn]")
    page.wait_for_selector(".app-explorer__node")


def focused_node(page: Any) -> str | None:
    return page.evaluate("() => document.activeElement.getAttribute('data-node')")


def shown_nodes(page: Any) -> set[str]:
    return set(page.evaluate("() => window.catalogueLineage.nodes(':visible').map(n => n.id())"))


def assert_axe_clean(page: Any, name: str) -> None:
    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]},
    )
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


# -- reading the graph ------------------------------------------------------------
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_text_is_never_drawn_below_12_px_on_the_44_asset_graph(open_page: Any, width: str) -> None:
    page = open_page(width)
    sign_in(page, "viewer")
    page.goto(GAZETTEER)
    if width == "phone":
        page.get_by_role("button", name="Show the graph").click()
    drawn(page)
    assert page.evaluate("() => window.catalogueLineage.nodes().length") == 44
    assert page.evaluate(SMALLEST_TEXT) >= 12
    for _ in range(4):  # as far out as the controls go
        page.get_by_role("button", name="Zoom out").click()
    assert page.evaluate(SMALLEST_TEXT) >= 12
    page.get_by_role("button", name="Fit").click()
    assert page.evaluate(SMALLEST_TEXT) >= 12
    page.get_by_role("button", name="Zoom in").click()
    assert page.evaluate(SMALLEST_TEXT) > 12
    screenshot(page, f"lineage-explorer-gazetteer-{width}")


@pytest.mark.parametrize("path", [GAZETTEER, HOUSING])
def test_edges_go_around_the_assets_they_do_not_join(open_page: Any, path: str) -> None:
    page = open_page("desktop")
    sign_in(page, "viewer")
    page.goto(path)
    drawn(page)
    assert page.evaluate(CROSSINGS, False) == []
    if path == GAZETTEER:  # straight lines here would cross assets: the check can fail
        assert page.evaluate(CROSSINGS, True) != []


# -- driving it by keyboard alone ---------------------------------------------------
def test_keyboard_journey_moves_expands_and_opens_a_panel(open_page: Any) -> None:
    page = open_page("desktop")
    sign_in(page, "viewer")
    page.goto(GAZETTEER)
    drawn(page)
    tab_to(page, ".app-explorer__node")
    assert focused_node(page) == "sys-gis-llpg"  # one tab stop: the asset the page is about
    page.keyboard.press("ArrowRight")
    first = focused_node(page)
    assert first and first != "sys-gis-llpg"
    fed = page.evaluate("() => window.catalogueLineage.getElementById('sys-gis-llpg')"
                        ".outgoers('node').map(n => n.id())")  # fmt: skip
    assert first in fed
    page.keyboard.press("ArrowDown")
    assert focused_node(page) not in (None, first)
    page.keyboard.press("Home")
    assert focused_node(page) == "sys-gis-llpg"

    # Only the gazetteer and what it feeds directly, then one hop more from one of them.
    page.keyboard.press("f")
    expect(page.locator("#lineage-status")).to_contain_text("and the")
    assert shown_nodes(page) == {"sys-gis-llpg", *fed}
    page.keyboard.press("ArrowRight")
    step = focused_node(page)
    beyond = page.evaluate(
        "id => window.catalogueLineage.getElementById(id).outgoers('node').map(n => n.id())", step
    )
    page.keyboard.press("d")
    expect(page.locator("#lineage-status")).to_contain_text("more downstream")
    assert shown_nodes(page) == {"sys-gis-llpg", *fed, *beyond}
    assert focused_node(page) == step
    page.keyboard.press("Shift+D")
    expect(page.locator("#lineage-status")).to_contain_text("Hid")
    assert shown_nodes(page) == {"sys-gis-llpg", *fed}

    # Its details beside the graph, and back.
    title = page.evaluate("id => window.catalogueLineage.getElementById(id).data('label')", step)
    page.keyboard.press("Enter")
    panel = page.locator("#lineage-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading")).to_have_text(title)
    expect(panel.get_by_role("link", name="Open its page")).to_have_attribute(
        "href", f"/assets/{step}"
    )
    expect(panel).to_contain_text("Owner")
    expect(panel).to_contain_text("Classification")
    assert page.evaluate("() => document.activeElement.id") == "lineage-panel-title"
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert focused_node(page) == step
    page.keyboard.press("a")
    assert len(shown_nodes(page)) == 44
    screenshot(page, "lineage-explorer-keyboard")


def test_the_panel_shows_column_lineage_when_the_asset_has_it(open_page: Any) -> None:
    page = open_page("desktop")
    sign_in(page, "admin")
    page.goto(f"/assets/{FEED['summary']}/lineage?depth=all")
    drawn(page)
    tab_to(page, ".app-explorer__node")
    page.keyboard.press("Enter")
    columns = page.locator("#lineage-panel-columns")
    expect(columns).to_have_attribute("data-loaded", "2")
    rows = columns.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("tenancy_id")
    expect(rows.nth(1)).to_contain_text("weekly_rent")
    expect(rows.nth(1)).to_contain_text("rent (aggregation)")
    expect(rows.nth(1).get_by_role("link")).to_have_text("public.tenancies_extract")
    # An asset without column lineage shows none.
    page.keyboard.press("Escape")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    expect(page.locator("#lineage-panel-columns")).to_have_attribute("data-loaded", "0")
    screenshot(page, "lineage-explorer-column-lineage")


def test_on_a_phone_the_tables_come_first_and_the_graph_on_demand(open_page: Any) -> None:
    page = open_page("phone")
    sign_in(page, "viewer")
    page.goto(HOUSING)
    expect(page.locator("#lineage-explorer")).to_be_hidden()
    expect(page.locator("#lineage-upstream")).to_be_visible()
    tab_to(page, "#lineage-show-graph")
    page.keyboard.press("Enter")
    drawn(page)
    assert focused_node(page) == "rpt-housing-arrears-dashboard"
    page.keyboard.press("ArrowLeft")
    moved = focused_node(page)
    assert moved and moved != "rpt-housing-arrears-dashboard"
    page.keyboard.press("Enter")
    expect(page.locator("#lineage-panel")).to_be_visible()
    assert page.evaluate(SMALLEST_TEXT) >= 12
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide at 375 px"
    screenshot(page, "lineage-explorer-phone")


# -- accessibility --------------------------------------------------------------------
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_lineage_page_has_no_axe_violations(open_page: Any, width: str) -> None:
    page = open_page(width)
    sign_in(page, "viewer")
    page.goto(HOUSING)
    assert_axe_clean(page, f"lineage-explorer-{width}-before")
    if width == "phone":
        page.get_by_role("button", name="Show the graph").click()
    drawn(page)
    tab_to(page, ".app-explorer__node")
    page.keyboard.press("Enter")
    expect(page.locator("#lineage-panel")).to_be_visible()
    assert_axe_clean(page, f"lineage-explorer-{width}-panel")

"""Every page, through the Flask test client, on both backends: status, the
content a person needs, and that what a caller may not see stays unseen."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from flask import Flask

from catalogue.services import lineage
from catalogue.services.access import Principal
from catalogue.services.lineage import TRACE_COLUMNS
from catalogue.services.search import search_assets
from tests.conftest import date_query, demo_day, long_date
from tests.web.conftest import Pages

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

#: A day in the demo's past, before the Housing switch-over (see catalogue/demo/README.md).
JUNE_2025 = demo_day("2025-06-01")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAY = rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b"

HOUSING_VIEWER = Principal(
    "ahmed.khan@thamesbury.gov.uk", "viewer", "Housing", "ahmed.khan@thamesbury.gov.uk"
)


def keys_linked(html: str, prefix: str = "/assets/") -> list[str]:
    return re.findall(rf'href="{prefix}([a-z0-9._-]+)"', html)


# -- health checks keep working ------------------------------------------------------
def test_health_checks(pages: Pages) -> None:
    assert pages.get("/healthz").json == {"status": "ok"}
    ready = pages.get("/readyz").json
    assert ready["status"] == "ready" and ready["database"]["ok"] is True
    assert all(view["lag"] == 0 for view in ready["views"].values())


# -- the layout -----------------------------------------------------------------------
def test_layout_is_the_councils_not_govuk(pages: Pages) -> None:
    html = pages.text("/")
    assert "London Borough of Thamesbury" in html
    assert "Thamesbury Council data catalogue" in html
    assert "govuk-header__logotype" not in html and "crown" not in html.lower()
    assert 'href="/static/vendor/govuk/govuk-frontend.min.css"' in html
    assert 'href="/static/css/council.css"' in html
    assert 'href="/sign-in?next=%2F"' in html and 'id="sign-in"' in html
    assert 'href="/accessibility"' in html
    # The template's one inline script carries the CSP nonce of the response.
    nonce = re.search(r"'nonce-([^']+)'", pages.get("/").headers["Content-Security-Policy"])
    assert nonce and html.count('nonce="') >= 1


def test_signed_in_header_signs_out_by_post_with_csrf(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/")
    form = re.search(
        r'<form class="app-inline-form" method="post" action="/sign-out">(.*?)</form>', html, re.S
    )
    assert form and 'name="csrf_token"' in form.group(1)
    assert "My assets" in html and "Audit log" not in html


# -- home ------------------------------------------------------------------------------
def test_home_for_anyone_shows_open_data_and_asks_to_sign_in(pages: Pages) -> None:
    html = pages.text("/")
    assert 'role="search"' in html and 'name="q"' in html
    assert re.search(r'id="count-assets">(\d+)<', html).group(1) == "20"
    assert "Sign in</a> to find the data held for council staff" in html


def test_home_browses_by_department_and_kind_with_counts(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/")
    assert 'href="/departments/revenues-benefits">Revenues &amp; Benefits</a> (17)' in html
    assert 'href="/search?kind=report">Reports</a>' in html
    recent = html.split('id="recently-updated"')[1].split("</ul>")[0]
    assert len(keys_linked(recent)) == 6


# -- search ----------------------------------------------------------------------------
def test_search_lists_what_the_search_service_finds(pages: Pages, demo_app: Flask) -> None:
    html = pages.sign_in("viewer").text("/search?q=council+tax")
    with demo_app.extensions["catalogue"].reading(HOUSING_VIEWER) as reader:
        expected = search_assets(reader, "council tax")
    results = html.split('id="results"')[1].split("</ol>")[0]
    assert keys_linked(results) == [hit.key for hit in expected.hits]
    assert f"{expected.total} results for ‘council tax’" in html
    assert "<mark>Council</mark> <mark>tax</mark>" in html  # highlights


def test_search_facets_are_checkboxes_that_filter(pages: Pages) -> None:
    pages.sign_in("viewer")
    html = pages.text("/search?q=council+tax")
    assert re.search(r'name="department" type="checkbox" value="Finance">', html)
    filtered = pages.text("/search?q=council+tax&department=Finance")
    assert re.search(r'name="department" type="checkbox" value="Finance" checked', filtered)
    results = filtered.split('id="results"')[1].split("</ol>")[0]
    assert 0 < len(keys_linked(results)) < len(keys_linked(html.split('id="results"')[1]))
    assert "Clear filters" in filtered


def test_search_sorts_and_pages(pages: Pages) -> None:
    pages.sign_in("viewer")
    first = pages.text("/search?sort=title")
    second = pages.text("/search?sort=title&page=2")
    assert 'class="govuk-pagination' in first and 'rel="next"' in first
    titles = re.findall(
        r'app-result__title">\s*<a class="govuk-link" href="[^"]+">([^<]+)</a>', first + second
    )
    assert titles == sorted(titles, key=str.lower) and len(titles) == 40
    assert '<option value="title" selected>' in first


def test_search_page_reads_its_address_as_the_api_does(pages: Pages) -> None:
    """One parser for page and API: a sort the API refuses is not silently
    replaced on the page; it is named with the allowed values (400), and the search
    runs without it. Parameters that are not the page's own are ignored."""
    pages.sign_in("viewer")
    api = pages.get("/api/v1/search?q=council+tax&sort=newest")
    assert api.status_code == 422 and "sort" in api.get_data(as_text=True)
    html = pages.text("/search?q=council+tax&sort=newest", status=400)
    summary = html.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert "Sort" in summary and "relevance" in summary and "title" in summary
    assert 'href="#sort"' in html and "<title>Error:" in html
    assert 'id="results"' in html  # the search still ran, by relevance
    plain = pages.text("/search?q=council+tax")
    assert keys_linked(html.split('id="results"')[1]) == keys_linked(plain.split('id="results"')[1])
    page_nan = pages.text("/search?q=council+tax&page=two", status=400)
    assert "Page" in page_nan.split("govuk-error-summary__list")[1].split("</ul>")[0]
    tagged = pages.text("/search?q=council+tax&utm_source=newsletter")
    assert "govuk-error-summary" not in tagged


def test_search_did_you_mean_and_no_match(pages: Pages) -> None:
    pages.sign_in("viewer")
    misspelt = pages.text("/search?q=councl+tx")
    assert "corrected" in misspelt or "Did you mean" in misspelt
    nothing = pages.text("/search?q=zzqqxx")
    assert "There are no matching results" in nothing and "checking your spelling" in nothing


def test_search_for_anyone_finds_only_open_data(pages: Pages) -> None:
    html = pages.text("/search?q=council+tax")
    assert "There are no matching results" in html and "signing in" in html


def test_autocomplete_suggests_only_visible_titles(pages: Pages) -> None:
    anyone = pages.get("/search/suggest.json?q=air").json["suggestions"]
    assert anyone and all(s["url"].startswith("/assets/") for s in anyone)
    assert pages.get("/search/suggest.json?q=counc").json["suggestions"] == []
    signed_in = pages.sign_in("viewer").get("/search/suggest.json?q=counc").json["suggestions"]
    assert any("Council tax" in s["title"] for s in signed_in)


# -- the asset page ---------------------------------------------------------------------
def test_asset_page_shows_every_kind_of_metadata(pages: Pages) -> None:
    html = unescape(pages.sign_in("viewer").text("/assets/rent-arrears-weekly"))
    for text in (
        "Rent arrears (weekly)",
        "Owner (Information Asset Owner)",
        "Joanne Whitaker",
        "mailto:aisha.begum@thamesbury.gov.uk",
        "Security classification",
        "govuk-tag--blue",  # access: internal
        "Public task (Article 6(1)(e))",  # lawful basis
        "Retention period",
        "Update frequency",
        "tenancy_ref",  # a column
        "What feeds it",
        "What it feeds",
        "Housing rent arrears dashboard",
        "Recent changes",
    ):
        assert text in html, text
    assert (
        '<link rel="alternate" type="text/turtle" href="/dataset/rent-arrears-weekly.ttl"' in html
    )
    assert 'href="/api/v1/assets/rent-arrears-weekly"' in html


def test_json_and_dcat_links_lead_to_the_apis_routes(pages: Pages, demo_app: Flask) -> None:
    routes = demo_app.url_map.bind("localhost")
    assert routes.match("/dataset/planning-applications-open.ttl")[0]
    pages.sign_in("viewer")
    record = pages.get("/api/v1/assets/rent-arrears-weekly")
    assert record.status_code == 200 and record.json["key"] == "rent-arrears-weekly"
    html = pages.text("/assets/planning-applications-open")
    assert 'href="/dataset/planning-applications-open.ttl"' in html
    assert pages.get("/dataset/planning-applications-open.ttl").status_code == 200


def test_asset_page_warns_when_stale(pages: Pages) -> None:
    html = pages.sign_in("viewer").text("/assets/housing-stock-condition")
    assert 'id="stale-warning"' in html and "Stale: this should be updated" in html
    fresh = pages.text("/assets/rent-arrears-weekly")
    assert 'id="stale-warning"' not in fresh


def test_asset_page_explains_inherited_sensitivity_with_its_path(pages: Pages) -> None:
    html = unescape(pages.sign_in("viewer").text("/assets/rpt-homelessness-ward-dashboard"))
    inherited = html.split('id="inherited"')[1].split("Recent changes")[0]
    assert "contains personal data via" in inherited
    assert "marked open" in html or "is open but inherits" in inherited
    assert 'href="/assets/homelessness-ward-summary"' in inherited


def test_invisible_assets_are_not_found(pages: Pages) -> None:
    assert pages.get("/assets/rent-accounts").status_code == 404  # internal, not signed in
    pages.sign_in("viewer")
    response = pages.get("/assets/sys-mosaic-asc")  # restricted to Adult Social Care
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert pages.get("/assets/no-such-asset").status_code == 404


def test_history_page_lists_every_change(pages: Pages) -> None:
    """Each feed in the history is named by its title, linked to its page (#17)."""
    html = unescape(pages.sign_in("viewer").text("/assets/rpt-housing-arrears-dashboard/history"))
    weekly = '<a class="govuk-link" href="/assets/rent-arrears-weekly">Rent arrears (weekly)</a>'
    legacy = (
        '<a class="govuk-link" href="/assets/rent-arrears-legacy-extract">'
        "Rent arrears extract from Orchard (legacy)</a>"
    )
    assert f"{weekly} now feeds this" in html
    assert f"{legacy} no longer feeds this" in html
    assert "Owner: Stephen Mallory → Joanne Whitaker" in html


def test_history_hides_restricted_upstream_keys(pages: Pages) -> None:
    # Sarah (Adult Social Care) sees the ASC dashboard; Ahmed (Housing) cannot see
    # what feeds it, so its keys never appear in the history he reads.
    html = pages.sign_in("viewer").text("/assets/rpt-asc-performance-dashboard/history")
    assert "asc-waiting-list" not in html and "an asset you cannot see now feeds this" in html


# -- lineage -----------------------------------------------------------------------------
def test_lineage_table_and_graph_json_list_the_same_nodes(pages: Pages) -> None:
    pages.sign_in("viewer")
    html = pages.text("/assets/rpt-housing-arrears-dashboard/lineage?direction=upstream&depth=all")
    data = pages.get(
        "/assets/rpt-housing-arrears-dashboard/lineage.json?direction=upstream&depth=all"
    ).json
    table = re.findall(r'data-node="([^"]+)"', html.split('id="lineage-upstream"')[1])
    graph = [n["key"] for n in data["nodes"] if n["side"] == "upstream"]
    assert table == graph and len(graph) == 7
    assert 'data-source="/assets/rpt-housing-arrears-dashboard/lineage.json?' in html
    sources = {(e["source"], e["target"]) for e in data["edges"]}
    assert ("rent-arrears-weekly", "rpt-housing-arrears-dashboard") in sources


def test_lineage_placeholders_have_no_key_or_link(pages: Pages) -> None:
    pages.sign_in("viewer")
    data = pages.get(
        "/assets/rpt-asc-performance-dashboard/lineage.json?direction=upstream&depth=all"
    ).json
    hidden = [n for n in data["nodes"] if n["restricted"]]
    assert len(hidden) == 9
    assert all(
        n["key"] is None and n["url"] is None and n["title"] == "An asset you cannot see"
        for n in hidden
    )
    assert all(n["id"].startswith("restricted-") for n in hidden)
    html = pages.text("/assets/rpt-asc-performance-dashboard/lineage?direction=upstream&depth=all")
    assert html.count('data-node="restricted"') == 9
    assert "sys-mosaic-asc" not in html and "sys-mosaic-asc" not in str(data)


def test_lineage_as_of_a_past_date(pages: Pages) -> None:
    pages.sign_in("viewer")
    url = "/assets/rpt-housing-arrears-dashboard/lineage?direction=upstream&depth=1"
    now = pages.text(url)
    then = pages.text(url + "&" + date_query("as_of", JUNE_2025))
    assert "rent-arrears-weekly" in now and "rent-arrears-weekly" not in then
    assert "rent-arrears-legacy-extract" in then and f"as of {long_date(JUNE_2025)}" in then
    bad = pages.text(url + "&as_of-day=31&as_of-month=2&as_of-year=2025")
    assert "There is a problem" in bad and "must be a real date" in bad


# -- the auditor's trace ------------------------------------------------------------------
def test_trace_lists_every_upstream_asset_with_owners(pages: Pages) -> None:
    pages.sign_in("auditor")
    html = unescape(pages.text("/assets/rpt-housing-arrears-dashboard/trace"))
    rows = re.findall(r'data-node="([^"]+)"', html)
    assert rows[:2] == ["rent-arrears-weekly", "tenancies"] and len(rows) == 7
    assert "Joanne Whitaker" in html and "Digital & Data" in html
    assert 'href="/assets/rpt-housing-arrears-dashboard/trace.csv"' in html


def test_trace_as_of_a_past_date_and_its_csv(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("auditor")
    html = pages.text(
        "/assets/rpt-housing-arrears-dashboard/trace?" + date_query("as_of", JUNE_2025)
    )
    assert "rent-arrears-legacy-extract" in html and f"as of {long_date(JUNE_2025)}" in html
    csv_url = f"/assets/rpt-housing-arrears-dashboard/trace.csv?as_of={JUNE_2025.isoformat()}"
    assert f'href="{csv_url}"' in html
    response = pages.get(csv_url)
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(TRACE_COLUMNS)
    cat = demo_app.extensions["catalogue"]
    auditor = Principal("fatima.rahman@thamesbury.gov.uk", "auditor", "Finance")
    with cat.reading(auditor) as reader:
        trace = lineage.trace(
            reader,
            "rpt-housing-arrears-dashboard",
            lineage.parse_as_of(JUNE_2025.isoformat()),
        )
    assert [r["key"] for r in rows] == [r["key"] for r in trace.rows]


def test_trace_of_an_invisible_asset_is_not_found(pages: Pages) -> None:
    assert pages.get("/assets/rpt-housing-arrears-dashboard/trace").status_code == 404
    assert pages.get("/assets/rpt-housing-arrears-dashboard/trace.csv").status_code == 404


# -- departments and people -----------------------------------------------------------------
def test_departments_and_a_department_page(pages: Pages) -> None:
    pages.sign_in("viewer")
    listing = unescape(pages.text("/departments"))
    assert "Revenues & Benefits" in listing and "Children's Services" in listing
    html = unescape(pages.text("/departments/housing"))
    assert '<h1 class="govuk-heading-l">Housing</h1>' in html
    assert "Rent arrears (weekly)" in html and "Aisha Begum" in html
    assert pages.get("/departments/no-such-department").status_code == 404


def test_person_page_shows_what_they_own_and_steward(pages: Pages) -> None:
    pages.sign_in("viewer")
    html = unescape(pages.text("/people/aisha.begum@thamesbury.gov.uk"))
    assert "Aisha Begum" in html and "Stewards (" in html and "Rent arrears (weekly)" in html
    assert pages.get("/people/nobody@thamesbury.gov.uk").status_code == 404


def test_me_is_my_person_page(pages: Pages) -> None:
    assert "/sign-in" in pages.get("/me").location
    pages.sign_in("steward")
    response = pages.get("/me")
    assert response.location.endswith("/people/aisha.begum@thamesbury.gov.uk")
    html = pages.text(response.location)
    assert "What I own and steward" in html and "Assets I steward (" in html


def test_accessibility_statement(pages: Pages) -> None:
    html = pages.text("/accessibility")
    assert "Accessibility statement" in html and "WCAG" in html.replace(
        "Web Content Accessibility Guidelines", "WCAG"
    )
    assert "Equality and Human Rights Commission" in html


# -- the audit log ------------------------------------------------------------------------------
def test_audit_log_for_auditors_with_filters_and_csv(pages: Pages) -> None:
    assert "/sign-in" in pages.get("/audit").location
    pages.sign_in("viewer")
    assert pages.get("/audit").status_code == 403
    pages.sign_in("auditor")
    html = unescape(pages.text("/audit"))
    assert 'id="audit-table"' in html and "Showing the newest 100" in html
    filtered = unescape(pages.text("/audit?asset=rpt-housing-arrears-dashboard&action=edge.add"))
    assert "rent-arrears-weekly now feeds rpt-housing-arrears-dashboard" in filtered
    assert "Sign in" not in filtered.split('id="audit-table"')[1]
    # The demo's Housing switch-over happened on "2025-10-06"; a week around it.
    switch = demo_day("2025-10-06")
    since, until = switch - timedelta(days=3), switch + timedelta(days=3)
    dated = pages.text(f"/audit?{date_query('since', since)}&{date_query('until', until)}")
    rows = dated.split('id="audit-table"')[1]
    shown = {datetime.strptime(d, "%d %B %Y").date() for d in re.findall(DAY, rows)}
    assert switch in shown and all(since <= day <= until for day in shown)
    bad = pages.text("/audit?since-day=40&since-month=1&since-year=2025")
    assert "There is a problem" in bad
    response = pages.get("/audit.csv?actor=aisha.begum@thamesbury.gov.uk")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {r["actor"] for r in rows} == {"aisha.begum", "aisha.begum@thamesbury.gov.uk"}


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/no-such-page", "/assets/no-such-asset/lineage"])
def test_not_found_pages_use_the_layout(pages: Pages, path: str) -> None:
    response = pages.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html and "govuk-service-navigation" in html


# -- a newcomer's first visit to the demo ---------------------------------------------------
def test_the_demo_introduces_its_users_and_a_real_deployment_does_not(
    pages: Pages, demo_app: Flask
) -> None:
    # A real deployment says nothing of demo users, not even on the demo's data.
    assert 'id="demo-accounts"' not in pages.text("/sign-in")
    nothing = pages.text("/search?q=council+tax")
    assert 'id="no-results"' in nothing and 'id="demo-accounts"' not in nothing
    demo_app.config["DEMO_HINTS"] = True  # as `make run` sets CATALOGUE_DEMO_HINTS=on
    try:
        sign_in = unescape(pages.text("/sign-in"))
        nothing = unescape(pages.text("/search?q=council+tax"))
    finally:
        demo_app.config["DEMO_HINTS"] = False
    for page in (sign_in, nothing):
        hint = page.split('id="demo-accounts"')[1]
        assert "demo-password-123" in hint
        assert "ahmed.khan</strong>, viewer in Housing: sees open and internal data" in hint
        assert "fatima.rahman</strong>, auditor in Finance: sees everything" in hint
    # Following the hint, the newcomer's search finds the council tax data.
    pages.sign_in("viewer")
    found = pages.text("/search?q=council+tax")
    assert 'id="result-count"' in found and 'href="/assets/ctax-arrears"' in found

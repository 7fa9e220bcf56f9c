"""Governance pages through the test client, on both backends: an owner's
review from the asset page (and who is refused), overdue reviews per person and
per department, and the Information Asset Register as a page and as files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import openpyxl
import pytest
from flask import Flask
from odf import teletype
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from catalogue.db import utcnow
from catalogue.governance import add_months
from catalogue.services import assets
from catalogue.services.access import operator
from tests.conftest import date_query, demo_day, long_date
from tests.web.conftest import Pages, fresh_demo_app
from tests.web.test_forms import form_values

pytestmark = pytest.mark.calendar

ADMIN = operator("test-admin")
AISHA = "aisha.begum@thamesbury.gov.uk"
#: Stewarded by Aisha Begum (the demo's Housing steward); its review fell due on the
#: demo's "2026-06-30", so it is overdue on the day the demo is loaded.
STOCK = "housing-stock-condition"
OVERDUE_SINCE = long_date(demo_day("2026-06-30"))
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAY = rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b"


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module records reviews: its own demo copy, not the shared one."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


def text_of(html: str, element_id: str, end: str = "div|table|form|p") -> str:
    """The text of the element with this id, up to the first closing ``end`` tag."""
    found = re.search(rf'id="{element_id}"(.*?)</(?:{end})>', html, re.S)
    assert found, f"no #{element_id}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def changes(app: Flask, key: str) -> int:
    with app.extensions["catalogue"].reading(ADMIN) as reader:
        return len(assets.history(reader, key))


# -- reviews -----------------------------------------------------------------------------
def test_an_overdue_asset_says_so_and_its_steward_confirms_it(
    pages: Pages, demo_app: Flask
) -> None:
    pages.sign_in("steward")
    html = pages.text(f"/assets/{STOCK}")
    assert f"Review overdue since {OVERDUE_SINCE}" in text_of(html, "review-overdue")
    assert "Confirm this is still correct" in html
    response = pages.post(
        f"/assets/{STOCK}/review",
        {"note": "Survey dates checked with the asset team"},
        form_page=f"/assets/{STOCK}",
    )
    assert response.status_code == 302 and response.location.endswith(f"/assets/{STOCK}")
    html = pages.text(f"/assets/{STOCK}")
    next_review = long_date(add_months(utcnow().date(), 12))
    assert f"Its next review is due on {next_review}." in unescape(html)
    assert 'id="review-overdue"' not in html
    freshness = text_of(html, "freshness", "dl")
    assert f"Next review {next_review}" in freshness
    assert f"by {AISHA}" in freshness and "Survey dates checked with the asset team" in freshness
    history = unescape(pages.text(f"/assets/{STOCK}/history"))
    assert "Reviewed" in history
    assert "Confirmed still correct: Survey dates checked with the asset team" in history


@pytest.mark.parametrize(
    ("role", "key"),
    [("viewer", STOCK), ("steward", "ctax-arrears"), ("auditor", STOCK)],
)
def test_someone_who_may_not_review_is_refused_and_nothing_is_written(
    pages: Pages, demo_app: Flask, role: str, key: str
) -> None:
    pages.sign_in(role)
    html = pages.text(f"/assets/{key}")
    assert "Confirm this is still correct" not in html
    before = changes(demo_app, key)
    response = pages.post(f"/assets/{key}/review", {"note": "fine"}, form_page=f"/assets/{key}")
    assert response.status_code == 403
    assert "only its owner, its steward or an admin" in unescape(response.get_data(as_text=True))
    assert changes(demo_app, key) == before


def test_reviewing_needs_a_sign_in(pages: Pages) -> None:
    response = pages.client.post(f"/assets/{STOCK}/review", data={})
    assert response.status_code in (302, 400)  # to sign in, or refused for want of a token
    if response.status_code == 302:
        assert "/sign-in" in response.location


def test_what_i_need_to_review(pages: Pages) -> None:
    pages.sign_in("admin")
    overdue = pages.text("/departments/human-resources/reviews", status=404)
    assert "There is no department at this address" in overdue
    html = pages.text("/departments/hr/reviews")
    overdue_in_hr = text_of(html, "overdue")
    assert "Workforce equalities monitoring" in overdue_in_hr
    assert f"{long_date(demo_day('2026-06-30'))} Overdue" in overdue_in_hr
    pages.sign_in("steward")
    mine = pages.get("/reviews")
    assert mine.status_code == 302 and mine.location.endswith(f"/people/{AISHA}/reviews")
    html = pages.text(f"/people/{AISHA}/reviews")
    assert "What I need to review" in html
    upcoming_or_overdue = text_of(html, "overdue") + text_of(html, "upcoming")
    assert "Public Health" not in upcoming_or_overdue
    housing = pages.text("/departments/housing/reviews")
    assert "Reviews in Housing" in housing


# -- the Information Asset Register -------------------------------------------------------
def test_the_register_is_for_auditors_and_admins(pages: Pages) -> None:
    assert "/sign-in" in pages.get("/governance/iar").location
    pages.sign_in("steward")
    assert pages.get("/governance/iar").status_code == 403
    assert pages.get("/governance/iar.csv").status_code == 403
    pages.sign_in("auditor")
    html = pages.text("/governance/iar?department=Housing")
    assert "Information Asset Register: Housing" in html
    table = text_of(html, "iar")
    assert "Stock condition survey (housing-stock-condition)" in table
    assert "Council tax" not in table
    assert pages.get("/governance/iar?department=Nowhere").status_code == 404
    assert pages.get("/governance/iar.pdf").status_code == 404


def test_the_register_downloads_read_back_the_same(pages: Pages) -> None:
    pages.sign_in("auditor")
    response = pages.get("/governance/iar.csv?department=Housing")
    assert response.headers["Content-Disposition"].endswith("information-asset-register.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    by_asset = {r["Asset"]: r for r in rows}
    stock = by_asset["Stock condition survey (housing-stock-condition)"]
    assert stock["Department"] == "Housing"
    assert stock["Steward"] == f"Aisha Begum <{AISHA}>"
    assert all(r["Department"] == "Housing" for r in rows)
    book = openpyxl.load_workbook(io.BytesIO(pages.get("/governance/iar.xlsx").get_data()))
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert list(sheet_rows[0]) == list(rows[0])
    assert len(sheet_rows) - 1 > len(rows)  # every department, not just Housing
    ods = load(io.BytesIO(pages.get("/governance/iar.ods?department=Housing").get_data()))
    table = ods.spreadsheet.getElementsByType(Table)[0]
    ods_rows = [
        [
            "\n".join(teletype.extractText(p) for p in c.childNodes)
            for c in r.getElementsByType(TableCell)
        ]
        for r in table.getElementsByType(TableRow)
    ]
    assert [dict(zip(ods_rows[0], r, strict=True)) for r in ods_rows[1:]] == rows


# -- the record of processing (Article 30) -------------------------------------------------
def test_the_record_of_processing_page_and_download(pages: Pages) -> None:
    pages.sign_in("steward")
    assert pages.get("/governance/ropa").status_code == 403
    pages.sign_in("auditor")
    html = unescape(pages.text("/governance/ropa?department=Housing"))
    assert "Record of processing activities: Housing" in html
    purposes = html.split('id="purposes"')[1].split("</main>")[0]
    assert "Housing register (waiting list) (housing-register)" in purposes
    assert "Council tax" not in purposes
    assert "Public toilets" not in purposes  # holds no personal data
    response = pages.get("/governance/ropa.csv?department=Housing")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assets_listed = "\n".join(r["Information assets"] for r in rows)
    assert "Housing register (waiting list) (housing-register)" in assets_listed
    by_purpose = {r["Purpose of processing"]: r for r in rows}
    allocating = by_purpose["Allocating social housing (Housing Act 1996 Part 6)"]
    assert (
        "Housing applicants and their household members"
        in allocating["Categories of data subjects"].splitlines()
    )
    assert "Lettings and allocations (housing-lettings)" in allocating["Information assets"]
    assert pages.get("/governance/ropa?department=Nowhere").status_code == 404


def test_the_article_30_fields_in_the_form_and_on_the_page(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    with demo_app.extensions["catalogue"].reading(ADMIN) as reader:
        before = assets.get(reader, "tenancies")
    values = form_values(pages.text("/assets/tenancies/edit"))
    assert values["data_subjects"] == "Council tenants and their household members\nFormer tenants"
    assert pages.post("/assets/tenancies/edit", values).status_code == 302
    with demo_app.extensions["catalogue"].reading(ADMIN) as reader:  # untouched: nothing changed
        assert assets.get(reader, "tenancies")["version"] == before["version"]
    values["recipients"] = "Repairs contractors\r\nHousing Ombudsman\r\n\r\nPolice, on request"
    assert pages.post("/assets/tenancies/edit", values).status_code == 302
    with demo_app.extensions["catalogue"].reading(ADMIN) as reader:
        after = assets.get(reader, "tenancies")
    assert after["recipients"] == ["Repairs contractors", "Housing Ombudsman", "Police, on request"]
    html = unescape(pages.text("/assets/tenancies"))
    personal = text_of(html, "personal-data", "dl")
    assert "Purpose of processing Managing council tenancies and rents" in personal
    assert "Recipients Repairs contractors; Housing Ombudsman; Police, on request" in personal


# -- coverage ----------------------------------------------------------------------------
def test_the_governance_page_shows_coverage_targets_and_the_trend(pages: Pages) -> None:
    pages.sign_in("steward")
    assert pages.get("/governance").status_code == 403
    pages.sign_in("auditor")
    html = unescape(pages.text("/governance"))
    table = text_of(html, "coverage", "table")
    assert "All departments" in table and "Housing" in table
    hr_row = re.search(r"HR</th>(.*?)</tr>", html, re.S)
    assert hr_row and "Below 90%" in hr_row.group(1)  # one HR review overdue of 9 assets
    assert "HR" in text_of(html, "missed-targets", "ul")
    chart = html.split('id="trend-chart"')[1].split("</svg>")[0]
    assert chart.count("<circle") == 13  # twelve month ends and today
    assert "<title" in chart and "<desc" in chart
    trend = text_of(html, "trend-table", "table")
    assert len(re.findall(rf"{DAY}", trend)) == 13
    dpia = unescape(pages.text("/governance?measure=dpia"))
    assert "The last 12 months: dpia (personal data)" in dpia


def test_the_governance_page_as_of_a_past_date_and_a_bad_one(pages: Pages) -> None:
    pages.sign_in("auditor")
    day = demo_day("2025-06-01")
    html = unescape(pages.text(f"/governance?{date_query('as_of', day)}"))
    assert f"How complete the register is on {long_date(day)}" in html
    future = utcnow().date() + timedelta(days=400)
    response = pages.get(f"/governance?{date_query('as_of', future)}")
    assert response.status_code == 422
    assert "The date must be today or in the past" in unescape(response.get_data(as_text=True))

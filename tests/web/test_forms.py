"""The stewards' forms through the test client: the same validation as the CLI
(errors beside each field and in a summary), conflicting edits refused with a
clear message, permissions (sign in, 403, 404), and lineage feeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest
from flask import Flask

from catalogue.services import assets
from catalogue.services.access import operator
from tests.web.conftest import Pages, fresh_demo_app

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

ADMIN = operator("test-admin")


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module changes the catalogue: its own demo copy, not the shared one."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


def form_values(html: str) -> dict[str, Any]:
    """What a browser would submit from the asset form as it stands."""
    form = html.split('id="asset-form"')[1].split("</form>")[0]
    values: dict[str, Any] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) in ("radio", "checkbox") and " checked" not in tag:
            continue
        values[name.group(1)] = unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = unescape(body.strip())
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = unescape(chosen.group(1)) if chosen else ""
    return values


def record(app: Flask, key: str) -> dict[str, Any]:
    with app.extensions["catalogue"].reading(ADMIN) as reader:
        return assets.get(reader, key)


# -- who may ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/register", "/assets/rent-accounts/edit", "/assets/rent-accounts/feeds"]
)
def test_writing_pages_ask_anyone_to_sign_in(pages: Pages, path: str) -> None:
    response = pages.get(path)
    assert response.status_code == 302 and "/sign-in?next=" in response.location


@pytest.mark.parametrize(
    "path", ["/register", "/assets/rent-accounts/edit", "/assets/rent-accounts/feeds"]
)
def test_viewers_are_refused(pages: Pages, path: str) -> None:
    response = pages.sign_in("viewer").get(path)
    assert response.status_code == 403
    assert "You cannot do that" in response.get_data(as_text=True)


def test_stewards_cannot_edit_other_departments_assets(pages: Pages) -> None:
    pages.sign_in("steward")  # Housing
    assert pages.get("/assets/ctax-arrears/edit").status_code == 403  # visible, not theirs
    assert pages.get("/assets/sys-mosaic-asc/edit").status_code == 404  # not even visible
    assert pages.post("/assets/ctax-arrears/edit", {"title": "x"}, "/").status_code == 403


def test_the_edit_button_shows_only_to_who_may_edit(pages: Pages) -> None:
    pages.sign_in("steward")
    assert "Edit this asset" in pages.text("/assets/rent-accounts")
    assert "Edit this asset" not in pages.text("/assets/ctax-arrears")


# -- register -----------------------------------------------------------------------
def test_register_shows_every_problem_beside_its_field(pages: Pages) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/register"))
    values.update(
        {
            "key": "Bad Key",
            "title": "",
            "owner_email": "not-an-email",
            "last_updated-day": "31",
            "last_updated-month": "2",
            "last_updated-year": "2026",
            "columns-0-type": "string",
        }
    )
    response = pages.post("/register", values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert html.count("govuk-error-summary__list") == 1 and "<title>Error: " in html
    for target, message in (
        ("#key", "Key must be lower-case letters"),
        ("#title", "Enter title"),
        ("#kind", "Select kind"),
        ("#owner_email", "Enter owner's email address in the correct format"),
        ("#last_updated-day", "Last updated must be a real date"),
        ("#columns-0-name", "Enter column 1 name"),
    ):
        assert f'href="{target}">{message}' in html, target
        assert f'id="{target[1:].removesuffix("-day")}-error"' in html, target
    assert 'value="not-an-email"' in html  # what they typed is kept


def test_register_an_asset(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/register"))
    assert (
        values["department"] == "Housing"
        and values["steward_email"] == "aisha.begum@thamesbury.gov.uk"
    )
    values.update(
        {
            "key": "void-properties",
            "kind": "dataset",
            "title": "Void properties",
            "description": "Council homes **empty** between tenancies.",
            "tags": "housing, voids",
            "personal_data": "no",
            "update_frequency": "weekly",
            "last_updated-day": "20",
            "last_updated-month": "11",
            "last_updated-year": "2026",
            "columns-0-name": "property_ref",
            "columns-0-type": "string",
            "links-0-name": "Warehouse",
            "links-0-url": "https://warehouse.thamesbury.gov.uk/voids",
        }
    )
    response = pages.post("/register", values)
    assert response.status_code == 302 and response.location.endswith("/assets/void-properties")
    html = pages.text(response.location)
    assert "Void properties is registered." in html and "<strong>empty</strong>" in html
    saved = record(demo_app, "void-properties")
    assert saved["tags"] == ["housing", "voids"] and saved["last_updated"] == "2026-11-20"
    assert (
        saved["columns"][0]["name"] == "property_ref" and saved["links"][0]["name"] == "Warehouse"
    )
    again = pages.post("/register", values)
    assert again.status_code == 409 and "already exists" in again.get_data(as_text=True)


def test_stewards_register_only_for_their_department(pages: Pages) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/register"))
    values.update(
        {
            "key": "not-mine",
            "kind": "dataset",
            "title": "Not mine",
            "department": "Finance",
            "steward_email": "",
            "steward": "",
        }
    )
    response = pages.post("/register", values)
    assert response.status_code == 403
    assert 'href="#department">You may not register' in response.get_data(as_text=True)


# -- edit ---------------------------------------------------------------------------
def test_edit_keeps_every_field_and_saves_a_change(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    before = record(demo_app, "housing-gas-safety")
    values = form_values(pages.text("/assets/housing-gas-safety/edit"))
    assert values["version"] == str(before["version"])
    # Submitting the form untouched changes nothing.
    unchanged = pages.post("/assets/housing-gas-safety/edit", values)
    assert unchanged.status_code == 302
    assert record(demo_app, "housing-gas-safety")["version"] == before["version"]
    values["retention_period"] = "7 years"
    saved = pages.post("/assets/housing-gas-safety/edit", values)
    assert saved.status_code == 302
    after = record(demo_app, "housing-gas-safety")
    assert after["retention_period"] == "7 years" and after["version"] == before["version"] + 1
    assert {
        k: v for k, v in after.items() if k not in ("retention_period", "version", "updated_at")
    } == {k: v for k, v in before.items() if k not in ("retention_period", "version", "updated_at")}
    assert "Your changes to" in pages.text("/assets/housing-gas-safety")


def test_edit_shows_the_error_for_an_invalid_value(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/assets/repairs-orders/edit"))
    values["steward_email"] = "aisha.begum at thamesbury"
    response = pages.post("/assets/repairs-orders/edit", values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'href="#steward_email">Enter steward\'s email address in the correct format' in html
    assert record(demo_app, "repairs-orders")["steward_email"] == "aisha.begum@thamesbury.gov.uk"


def test_a_stale_edit_is_refused_with_a_clear_message(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/assets/housing-lettings/edit"))
    with demo_app.extensions["catalogue"].write(ADMIN) as writer:  # someone else, meanwhile
        assets.update(writer, "housing-lettings", {"title": "Housing lettings (all)"})
    values["title"] = "Lettings"
    response = pages.post("/assets/housing-lettings/edit", values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "Someone else has changed this asset since you opened it" in html
    assert "Your changes have not been saved" in html and 'value="Lettings"' in html
    assert record(demo_app, "housing-lettings")["title"] == "Housing lettings (all)"


def test_retire_by_editing_the_status(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    values = form_values(pages.text("/assets/housing-damp-mould-cases/edit"))
    values["status"] = "retired"
    assert pages.post("/assets/housing-damp-mould-cases/edit", values).status_code == 302
    assert record(demo_app, "housing-damp-mould-cases")["status"] == "retired"
    assert "This asset is retired" in pages.text("/assets/housing-damp-mould-cases")


# -- feeds --------------------------------------------------------------------------
def test_add_and_end_a_feed(pages: Pages) -> None:
    pages.sign_in("steward")
    page = "/assets/repairs-performance-monthly/feeds"
    html = pages.text(page)
    assert "Add a feed" in html
    added = pages.post(page, {"upstream": "housing-properties", "description": "joined on UPRN"})
    assert added.status_code == 302
    html = unescape(pages.text(page))
    assert "Council housing stock now feeds" in html
    assert '<input type="hidden" name="upstream" value="housing-properties">' in html
    ended = pages.post(page + "/end", {"upstream": "housing-properties"}, page)
    assert ended.status_code == 302
    assert "no longer feeds" in pages.text(page)
    history = unescape(pages.text("/assets/repairs-performance-monthly/history"))
    linked = '<a class="govuk-link" href="/assets/housing-properties">Council housing stock</a>'
    assert f"{linked} now feeds this" in history
    assert f"{linked} no longer feeds this" in history


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ("", "Enter the title or key of the asset that feeds it"),
        ("no-such-asset", "no asset with key"),
        (
            "rpt-housing-arrears-dashboard",
            "go round in a circle",
        ),  # it feeds nothing upstream of itself…
        ("rent-arrears-weekly", "already feeds"),
    ],
)
def test_feed_problems_are_shown_beside_the_field(
    pages: Pages, upstream: str, message: str
) -> None:
    pages.sign_in("steward")
    target = (
        "rent-arrears-weekly"
        if upstream == "rpt-housing-arrears-dashboard"
        else "rpt-housing-arrears-dashboard"
    )
    response = pages.post(f"/assets/{target}/feeds", {"upstream": upstream})
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'href="#upstream">' in html and message.lower() in html.lower()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("links-0-url", "javascript:alert(document.cookie)"),
        ("links-0-url", "data:text/html,<script>alert(1)</script>"),
        ("location", "javascript:alert(document.cookie)"),
        ("location", "JavaScript:alert(1)"),
    ],
)
def test_edit_refuses_a_script_address(
    pages: Pages, demo_app: Flask, field: str, value: str
) -> None:
    pages.sign_in("steward")
    before = record(demo_app, "repairs-orders")
    html = pages.text("/assets/repairs-orders/edit")
    if field.startswith("links-"):  # the asset has no links: the steward adds a row (#17)
        added = pages.post(
            "/assets/repairs-orders/edit", {**form_values(html), "action": "add-links"}
        )
        html = added.get_data(as_text=True)
    values = form_values(html)
    assert field in values, sorted(values)
    values[field] = value
    if field.startswith("links-"):
        values["links-0-name"] = "Download"
    response = pages.post("/assets/repairs-orders/edit", values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f'href="#{field}"' in html, "the error summary links to the field"
    assert record(demo_app, "repairs-orders") == before
    assert 'href="javascript:' not in pages.text("/assets/repairs-orders").lower()

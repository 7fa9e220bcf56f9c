"""The edit form refuses control characters in a record's text, beside the field,
and saves nothing; a description keeps the new lines a browser sends as CRLF
(#20, with tests/catalogue/test_control_characters.py for the other ways in)."""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask

from tests.web.conftest import Pages
from tests.web.test_forms import form_values, record

pytestmark = pytest.mark.calendar


@pytest.mark.parametrize(("field", "value"), [("title", "Repairs\x1b[2J"), ("owner", "A\rB")])
def test_edit_refuses_control_characters_beside_the_field(
    pages: Pages, demo_app: Flask, field: str, value: str
) -> None:
    pages.sign_in("steward")
    before = record(demo_app, "repairs-orders")
    values = form_values(pages.text("/assets/repairs-orders/edit"))
    values[field] = value
    response = pages.post("/assets/repairs-orders/edit", values)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f'href="#{field}"' in html and "control characters" in html
    assert record(demo_app, "repairs-orders") == before


def test_a_description_from_a_browser_keeps_its_lines(pages: Pages, demo_app: Flask) -> None:
    pages.sign_in("steward")
    html = pages.text("/assets/repairs-orders/edit")
    values = form_values(html)
    values["description"] = "Orders raised.\r\n\r\nOne line a job."
    response = pages.post("/assets/repairs-orders/edit", values)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert record(demo_app, "repairs-orders")["description"] == "Orders raised.\n\nOne line a job."

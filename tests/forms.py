"""Posting the catalogue's forms as a browser would: with the CSRF token of the page."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/sign-in", html: str | None = None) -> str:
    """The token of the form on ``path`` (or in ``html``, a page already fetched)."""
    found = CSRF.search(client.get(path).get_data(as_text=True) if html is None else html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str, next_url: str = "/") -> Any:
    """Sign in through ``/sign-in``; the response (302 when it worked)."""
    return client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": next_url,
            "csrf_token": csrf_token(client),
        },
    )

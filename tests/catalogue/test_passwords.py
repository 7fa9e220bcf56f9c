"""Changing a password (#13): a signed-in person on the page (current password
first), an admin from the command line. Either way every other session of the
account ends, the audit trail says so, and failed attempts are throttled like
sign-ins. Real app, real database, real argon2 (made quick), real sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalogue import create_app
from catalogue.config import Settings
from catalogue.services import authentication
from catalogue.services.access import operator
from catalogue.services.audit import audit_entries
from catalogue.store import Catalogue
from tests import forms
from tests.catalogue.conftest import add_aisha
from tests.conftest import Runner

ADMIN = operator("admin@example.gov.uk")
OLD = "a long enough password"
NEW = "correct horse battery staple"


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue) -> Iterator[Flask]:
    add_aisha(catalogue, OLD)
    app = create_app(settings)
    yield app
    app.extensions["catalogue"].close()


def sign_in(app: Flask, password: str = OLD) -> FlaskClient:
    client = app.test_client()
    forms.sign_in(client, "aisha.begum", password)
    return client


def signed_in(client: FlaskClient) -> bool:
    return bool(client.get("/api/v1/me").json["signed_in"])


def change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> object:
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "csrf_token": forms.csrf_token(client, "/account/password"),
        },
    )


def audit_kinds(catalogue: Catalogue) -> list[tuple[str, str | None]]:
    with catalogue.reading(ADMIN) as reader:
        entries = audit_entries(reader, actor="aisha.begum")
    return [(e["action"].removeprefix("auth."), e["detail"]) for e in entries]


def test_the_page_is_for_signed_in_people(app: Flask) -> None:
    anonymous = app.test_client().get("/account/password")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    page = sign_in(app).get("/account/password")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Change your password" in html and 'autocomplete="current-password"' in html
    assert 'id="change-password"' in html  # the header links to it


def test_changing_it_ends_the_other_sessions_and_keeps_this_one(
    app: Flask, catalogue: Catalogue
) -> None:
    browser, laptop = sign_in(app), sign_in(app)
    assert signed_in(browser) and signed_in(laptop)
    answer = change(browser, OLD, NEW)
    assert answer.status_code == 200
    assert "Your password has been changed" in answer.get_data(as_text=True)
    assert signed_in(browser), "the browser that changed it carries on"
    assert not signed_in(laptop), "every other session ended"
    assert not signed_in(sign_in(app, OLD)) and signed_in(sign_in(app, NEW))
    assert ("password_changed", "by themselves") in audit_kinds(catalogue)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("not my password!", NEW, None, "current_password", "Current password is not correct"),
        (OLD, "too short", None, "new_password", "must be at least 12 characters"),
        (OLD, NEW, NEW + "!", "confirm_password", "Enter the same new password twice"),
        (OLD, OLD, None, "new_password", "must not be your current password"),
        ("", NEW, None, "current_password", "Enter your current password"),
        (OLD, "aisha.begum", None, "new_password", "at least 12 characters"),
    ],
)
def test_a_bad_change_says_what_is_wrong_and_changes_nothing(
    app: Flask, current: str, new: str, confirm: str | None, field: str, message: str
) -> None:
    browser, laptop = sign_in(app), sign_in(app)
    answer = change(browser, current, new, confirm)
    html = answer.get_data(as_text=True)
    assert answer.status_code in (400, 422)
    assert "There is a problem" in html and f'href="#{field}"' in html and message in html
    assert "Traceback" not in html
    assert signed_in(browser) and signed_in(laptop)
    assert signed_in(sign_in(app, OLD))


def test_guessing_the_current_password_is_throttled_like_signing_in(
    app: Flask, catalogue: Catalogue
) -> None:
    browser = sign_in(app)
    for _ in range(authentication.MAX_FAILURES):
        assert change(browser, "a wrong guess, again", NEW).status_code == 422
    refused = change(browser, OLD, NEW)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert signed_in(sign_in(app, OLD)) is False  # the same lock holds for signing in
    kinds = [kind for kind, _ in audit_kinds(catalogue)]
    assert kinds.count("sign_in_failed") == authentication.MAX_FAILURES
    assert "password_changed" not in kinds


def test_an_admin_sets_a_password_from_the_command_line(
    app: Flask, catalogue: Catalogue, run: Runner
) -> None:
    browser = sign_in(app)
    short = run("user", "set-password", "aisha.begum", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert "Traceback" not in short.output and signed_in(browser)
    unknown = run("user", "set-password", "nobody", "--password-stdin", input=NEW + "\n")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    done = run("user", "set-password", "aisha.begum", "--password-stdin", input=NEW + "\n")
    assert done.exit_code == 0, done.output
    assert "sessions have ended" in done.output
    assert not signed_in(browser)
    assert signed_in(sign_in(app, NEW))
    assert any(
        kind == "password_changed" and (detail or "").startswith("by ")
        for kind, detail in audit_kinds(catalogue)
    )

"""The account and token pages through the test client, on SQLite and PostgreSQL:
admins list accounts (local or single sign-on, last sign-in), change role and
department, disable and enable, create (shown once) and revoke tokens; everyone
signed in manages their own tokens. Same services as the CLI, every action in
the audit trail, and nobody else gets in (#16)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select

from catalogue.models import AuthEvent
from catalogue.services.directory import DirectoryPerson, sign_in_from_directory
from catalogue.single_sign_on import GroupMapping, GroupRule, OpenIDProvider
from tests.web.conftest import Pages, fresh_demo_app

SECRET = re.compile(r'id="token-secret" type="text" readonly value="(cat_[^"]+)"')


@pytest.fixture(scope="module")
def demo_app(
    web_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """This module changes accounts: its own demo copy, not the shared one."""
    yield from fresh_demo_app(web_backend, request, tmp_path_factory)


def fresh(demo_app: Flask, role: str) -> Pages:
    """A new browser signed in as the demo user of ``role``."""
    return Pages(demo_app.test_client()).sign_in(role)


def auth_events(app: Flask, username: str) -> list[tuple[str, str]]:
    with app.extensions["catalogue"].read() as db:
        query = select(AuthEvent).where(AuthEvent.username == username).order_by(AuthEvent.id)
        rows = db.scalars(query)
        return [(row.kind, row.detail or "") for row in rows]


def who_the_token_is(app: Flask, secret: str) -> tuple[int, dict[str, object]]:
    answer = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    return answer.status_code, answer.get_json()


def test_admins_see_every_account_with_its_source_and_last_sign_in(demo_app: Flask) -> None:
    provider = OpenIDProvider(
        issuer="https://login.example/tenant/v2.0", client_id="c", client_secret="s",
        mapping=GroupMapping((GroupRule("housing", "viewer", "Housing"),)),
    )  # fmt: skip
    person = DirectoryPerson(
        "https://login.example/tenant/v2.0", "oid-1", "joanne.sso@thamesbury.gov.uk",
        "Joanne Whitaker", ("housing",),
    )  # fmt: skip
    with demo_app.extensions["catalogue"].read() as db:
        sign_in_from_directory(db, person, provider)

    html = unescape(fresh(demo_app, "admin").text("/admin/accounts"))

    rows = {
        name: row
        for row in html.split('<tr class="govuk-table__row">')[2:]
        for name in re.findall(r'">([^<]+)</a>', row)
    }
    assert "Single sign-on" in rows["Joanne Whitaker"] and "Housing" in rows["Joanne Whitaker"]
    assert "Catalogue password" in rows["Sarah Okoro"] and "Never" in rows["Sarah Okoro"]
    assert "(UTC)" in rows["Peter Ng"]  # signed in just now, to read this page
    assert 'href="/admin/accounts"' in html  # in the admin's navigation


def test_an_admin_changes_role_and_department_through_the_same_services(
    demo_app: Flask,
) -> None:
    admin = fresh(demo_app, "admin")
    answer = admin.post(
        "/admin/accounts/sarah.okoro/role",
        {"role": "steward", "department": "Housing"},
        form_page="/admin/accounts/sarah.okoro",
    )
    assert answer.status_code == 302
    page = unescape(admin.text("/admin/accounts/sarah.okoro"))
    assert "Sarah Okoro is now steward, in Housing." in page
    kinds = auth_events(demo_app, "sarah.okoro")
    assert ("role_changed", "by peter.ng@thamesbury.gov.uk: viewer → steward") in kinds
    assert (
        "department_changed",
        "by peter.ng@thamesbury.gov.uk: Adult Social Care → Housing",
    ) in kinds


def test_a_role_that_is_not_one_is_refused_and_nothing_changes(demo_app: Flask) -> None:
    admin = fresh(demo_app, "admin")
    answer = admin.post(
        "/admin/accounts/kwame.mensah/role",
        {"role": "superuser", "department": "Nowhere"},
        form_page="/admin/accounts/kwame.mensah",
    )
    html = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert 'class="govuk-error-summary"' in html and '<a href="#role">Choose a role</a>' in html
    assert "Environment & Waste" in admin.text("/admin/accounts/kwame.mensah").replace("&amp;", "&")


def test_an_admin_creates_a_token_shown_once_and_revokes_it(demo_app: Flask) -> None:
    admin = fresh(demo_app, "admin")
    created = admin.post(
        "/admin/accounts/daniel.whitlock/tokens",
        {"label": "Council tax nightly export", "expires_in_days": "30"},
        form_page="/admin/accounts/daniel.whitlock",
    )
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(created.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    status, who = who_the_token_is(demo_app, secret)
    assert status == 200 and who["email"] == "daniel.whitlock@thamesbury.gov.uk"
    account = admin.text("/admin/accounts/daniel.whitlock")
    assert secret not in account and "Council tax nightly export" in account
    token_id = re.search(r"/tokens/(\d+)/revoke", account).group(1)  # type: ignore[union-attr]

    revoked = admin.post(
        f"/tokens/{token_id}/revoke", {"back": "account"}, "/admin/accounts/daniel.whitlock"
    )

    assert revoked.headers["Location"] == "/admin/accounts/daniel.whitlock"
    assert who_the_token_is(demo_app, secret)[0] == 401
    assert [k for k, _ in auth_events(demo_app, "daniel.whitlock")][-2:] == [
        "token_created",
        "token_revoked",
    ]


def test_disabling_an_account_refuses_its_tokens_and_enabling_restores_them(
    demo_app: Flask,
) -> None:
    admin = fresh(demo_app, "admin")
    created = admin.post(
        "/admin/accounts/george.whitfield/tokens", {"label": "audit script"},
        form_page="/admin/accounts/george.whitfield",
    )  # fmt: skip
    secret = SECRET.search(created.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    form = "/admin/accounts/george.whitfield"
    admin.post(f"{form}/disabled", {"disabled": "yes"}, form_page=form)
    assert "Disabled" in admin.text("/admin/accounts")
    assert who_the_token_is(demo_app, secret)[0] == 401
    admin.post(f"{form}/disabled", {"disabled": "no"}, form_page=form)
    assert who_the_token_is(demo_app, secret)[0] == 200
    kinds = [k for k, _ in auth_events(demo_app, "george.whitfield")]
    assert kinds[-2:] == ["user_disabled", "user_enabled"]


def test_people_manage_their_own_tokens(demo_app: Flask) -> None:
    viewer = fresh(demo_app, "viewer")
    assert "No API tokens." in viewer.text("/account/tokens")
    created = viewer.post("/account/tokens", {"label": "my spreadsheet", "expires_in_days": "7"})
    secret = SECRET.search(created.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert who_the_token_is(demo_app, secret)[1]["role"] == "viewer"
    page = viewer.text("/account/tokens")
    token_id = re.search(r"/tokens/(\d+)/revoke", page).group(1)  # type: ignore[union-attr]

    assert (
        viewer.post(f"/tokens/{token_id}/revoke", {"back": "own"}, "/account/tokens").headers[
            "Location"
        ]
        == "/account/tokens"
    )

    assert who_the_token_is(demo_app, secret)[0] == 401
    assert "Revoked" in viewer.text("/account/tokens")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"label": "  ", "expires_in_days": "30"},
            "label",
            "Is required: say what the token is for",
        ),
        ({"label": "x", "expires_in_days": "999"}, "expires_in_days", "Must be between 1 and 366"),
        ({"label": "x", "expires_in_days": "soon"}, "expires_in_days", "Must be between 1 and 366"),
    ],
    ids=["no-label", "too-long", "not-a-number"],
)
def test_a_bad_token_form_says_what_is_wrong_and_creates_nothing(
    demo_app: Flask, values: dict[str, str], field: str, message: str
) -> None:
    steward = fresh(demo_app, "steward")
    answer = steward.post("/account/tokens", values)
    html = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert f'<a href="#{field}">{message}</a>' in html
    assert "No API tokens." in html


def test_nobody_else_gets_in(demo_app: Flask) -> None:
    anonymous = Pages(demo_app.test_client())
    assert anonymous.get("/admin/accounts").headers["Location"].startswith("/sign-in?next=")
    assert anonymous.get("/account/tokens").headers["Location"].startswith("/sign-in?next=")
    viewer = fresh(demo_app, "viewer")
    # Not there for anyone but admins: not found, like an asset one may not see.
    assert viewer.get("/admin/accounts").status_code == 404
    assert viewer.get("/admin/accounts/peter.ng").status_code == 404
    refused = viewer.post("/admin/accounts/ahmed.khan/role", {"role": "admin"}, "/account/tokens")
    assert refused.status_code == 404
    assert 'href="/admin/accounts"' not in viewer.text("/account/tokens")  # nor in the menu
    admin = fresh(demo_app, "admin")
    created = admin.post("/account/tokens", {"label": "admin's own"})
    assert created.status_code == 201
    theirs = re.search(r"/tokens/(\d+)/revoke", admin.text("/account/tokens")).group(1)  # type: ignore[union-attr]
    assert viewer.post(f"/tokens/{theirs}/revoke", {}, "/account/tokens").status_code == 404

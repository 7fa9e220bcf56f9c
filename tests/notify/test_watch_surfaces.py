"""Watching through every surface: `catalogue watch|notify|webhook`, the API's
/api/v1/watches, and the button on asset and department pages. What a person
may not see is not found (404, exit 1) and nothing is written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from catalogue import create_app
from catalogue.config import Settings
from catalogue.notify_models import Watch
from catalogue.services import assets, tokens
from catalogue.services.notify_settings import NotifySettings
from catalogue.store import Catalogue
from tests import forms
from tests.conftest import Runner, _cli_env
from tests.forms import csrf_token
from tests.notify.conftest import ADMIN, ANALYST, Mailbox, Receiver

PASSWORD = "a-long-password-for-priya"


def watch_rows(cat: Catalogue) -> int:
    with cat.read() as session:
        return len(session.scalars(select(Watch)).all())


@pytest.fixture
def cli(chain: Catalogue, settings: Settings, smtp_port: int, receiver: Receiver) -> Runner:
    return Runner(
        _cli_env(settings)
        | {
            "CATALOGUE_SMTP_HOST": "127.0.0.1",
            "CATALOGUE_SMTP_PORT": str(smtp_port),
            "CATALOGUE_SMTP_SECURITY": "none",
            "CATALOGUE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "CATALOGUE_ACTOR": ANALYST,
        }
    )


def test_the_cli_watches_lists_tells_and_refuses_what_you_may_not_see(
    cli: Runner, chain: Catalogue, mailbox: Mailbox, receiver: Receiver
) -> None:
    added = cli("watch", "add", "rpt-arrears", "--upstream")
    assert added.exit_code == 0, added.output
    assert "Watching asset rpt-arrears and everything upstream of it." in added.output
    hidden = cli("watch", "add", "arrears-cases")
    assert hidden.exit_code == 1 and "no asset with key 'arrears-cases'" in hidden.output
    nowhere = cli("watch", "add", "Parks", "--department")
    assert (
        nowhere.exit_code == 1 and "no department 'Parks' (departments: Finance" in nowhere.output
    )
    nobody = cli("--as", "someone@else.gov.uk", "watch", "list")
    assert nobody.exit_code == 1 and "watches belong to accounts" in nobody.output
    listed = json.loads(cli("watch", "list", "--format", "json").output)
    assert [(w["target"], w["upstream"]) for w in listed] == [("rpt-arrears", True)]
    assert cli("watch", "email", "weekly").exit_code == 2
    hook = cli("webhook", "add", receiver.url, "--description", "Teams", "--format", "json")
    assert hook.exit_code == 0, hook.output
    secret = json.loads(hook.output)["secret"]
    refused = cli("webhook", "add", "https://example.org/hook")
    assert refused.exit_code == 1 and "CATALOGUE_WEBHOOK_ALLOWED_HOSTS" in refused.output
    assert (
        cli("--as", "admin", "lineage", "remove", "arrears-by-ward", "rpt-arrears").exit_code == 0
    )
    ran = cli("notify", "run", "--once")
    assert ran.exit_code == 0, ran.output
    assert "2 deliveries queued, 2 sent, 0 to retry, 0 failed." in ran.output
    [message] = mailbox.to(ANALYST)
    assert "Arrears by ward (arrears-by-ward) no longer feeds Arrears committee report" in (
        message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    )
    [(headers, body)] = receiver.received
    from catalogue.services.webhooks import verify

    assert verify(secret, headers["Catalogue-Signature"], body)
    log = cli("notify", "log", "--format", "json")
    assert {r["channel"] for r in json.loads(log.output)} == {"email", "webhook"}
    assert "webhook" in cli("notify", "log").output
    assert cli("notify", "resend", "999").exit_code == 1
    assert cli("notify", "resend", "99999999999999999999").exit_code == 2
    assert "will be sent again" in cli("notify", "resend", "1").output
    assert "Teams" in cli("webhook", "list").output
    assert cli("webhook", "remove", "1").exit_code == 0
    assert cli("watch", "remove", "rpt-arrears").exit_code == 0
    again = cli("watch", "remove", "rpt-arrears")
    assert again.exit_code == 1 and "you do not watch asset 'rpt-arrears'" in again.output


@pytest.fixture
def app(chain: Catalogue, settings: Settings) -> Iterator[Flask]:
    from catalogue.services import accounts

    with chain.sessions() as session, session.begin():
        user = accounts.get_user(session, "priya.shah")
        user.password_hash = accounts.hash_password(PASSWORD)
    app = create_app(settings)
    app.config.update(TESTING=True)
    yield app
    app.extensions["catalogue"].close()


def test_the_api_lists_adds_and_removes_watches(app: Flask, chain: Catalogue) -> None:
    with chain.sessions() as session, session.begin():
        secret = tokens.create_token(session, ADMIN, "priya.shah", "tests").secret
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/watches").status_code == 401
    made = client.post("/api/v1/watches", json={"asset": "rpt-arrears", "upstream": True},
                       headers=auth)  # fmt: skip
    assert made.status_code == 201 and made.json["upstream"] is True
    dept = client.post("/api/v1/watches", json={"department": "Finance"}, headers=auth)
    assert dept.status_code == 201
    hidden = client.post("/api/v1/watches", json={"asset": "arrears-cases"}, headers=auth)
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
    both = client.post("/api/v1/watches", json={"asset": "x", "department": "y"}, headers=auth)
    assert both.status_code == 422
    listed = client.get("/api/v1/watches", headers=auth).json["items"]
    assert [(w["kind"], w["target"]) for w in listed] == [
        ("asset", "rpt-arrears"),
        ("department", "Finance"),
    ]
    assert client.delete("/api/v1/watches/department/Finance", headers=auth).status_code == 204
    assert client.delete("/api/v1/watches/department/Finance", headers=auth).status_code == 404
    assert watch_rows(chain) == 1


def sign_in(client: FlaskClient, username: str = "priya.shah") -> None:
    response = forms.sign_in(client, username, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_the_watch_buttons_on_asset_and_department_pages(app: Flask, chain: Catalogue) -> None:
    client = app.test_client()
    assert "Watch with everything upstream" not in client.get("/assets/bin-rounds").get_data(
        as_text=True
    )  # not signed in: no button (and internal assets are not shown)
    sign_in(client)
    page = client.get("/assets/rpt-arrears").get_data(as_text=True)
    assert "Watch with everything upstream" in page
    token = csrf_token(client, html=page)
    done = client.post("/watches/asset/rpt-arrears",
                       data={"action": "watch-upstream", "csrf_token": token})  # fmt: skip
    assert done.status_code == 302 and done.location.endswith("/assets/rpt-arrears")
    page = client.get("/assets/rpt-arrears").get_data(as_text=True)
    assert "You now watch rpt-arrears and everything upstream of it" in page
    assert "You watch this" in page and "Stop watching" in page
    hidden = client.post("/watches/asset/arrears-cases", data={"csrf_token": token})
    assert hidden.status_code == 404
    dept = client.get("/departments/finance").get_data(as_text=True)
    assert 'action="/watches/department/Finance"' in dept
    client.post("/watches/department/Finance", data={"action": "watch", "csrf_token": token})
    assert "You watch this" in client.get("/departments/finance").get_data(as_text=True)
    assert watch_rows(chain) == 2


def test_a_department_whose_name_holds_a_slash_can_be_watched(app: Flask, chain: Catalogue) -> None:
    """ "Planning / Building Control": the button's address keeps the name whole,
    on the page and through the API."""
    department = "Planning / Building Control"
    record = {"key": "planning-apps", "kind": "dataset", "title": "Planning applications",
              "department": department, "access": "open"}  # fmt: skip
    with chain.write(ADMIN) as writer:
        assets.register(writer, record)
    client = app.test_client()
    sign_in(client)
    page = client.get("/departments/planning-building-control").get_data(as_text=True)
    token = csrf_token(client, html=page)
    action = re.search(r'id="watch-form"', page) and re.search(
        r'action="([^"]+)" id="watch-form"', page
    )
    assert action is not None
    done = client.post(action.group(1), data={"action": "watch", "csrf_token": token})
    assert done.status_code == 302 and done.location.endswith(
        "/departments/planning-building-control"
    )
    page = client.get("/departments/planning-building-control").get_data(as_text=True)
    assert f"You now watch {department}" in page and "You watch this" in page
    with chain.sessions() as session, session.begin():
        secret = tokens.create_token(session, ADMIN, "priya.shah", "tests").secret
    auth = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/watches", headers=auth).json["items"]
    assert ("department", department) in [(w["kind"], w["target"]) for w in listed]
    gone = client.delete(f"/api/v1/watches/department/{department}", headers=auth)
    assert gone.status_code == 204 and watch_rows(chain) == 0


def test_the_delivery_log_page_shows_deliveries_and_sends_one_again(
    app: Flask, chain: Catalogue, mailbox: Mailbox, notify_settings: NotifySettings
) -> None:
    from catalogue.services import accounts, notify, watches

    with chain.sessions() as session, session.begin():
        accounts.add_user(session, ADMIN, "peter.ng", name="Peter Ng", role="admin",
                          email="peter.ng@thamesbury.gov.uk", password=PASSWORD)  # fmt: skip
        priya = watches.account_of(session, watches.Principal(ANALYST, email=ANALYST))
        watches.add_watch(session, priya, watches.Target("asset", "arrears-by-ward"))
    with chain.write(ADMIN) as writer:
        assets.update(writer, "arrears-by-ward", {"access": "open"})
    notify.run_once(chain, notify_settings)
    client = app.test_client()
    sign_in(client)  # priya: not an admin
    assert client.get("/notify/log").status_code == 403
    admin = app.test_client()
    sign_in(admin, "peter.ng")
    page = admin.get("/notify/log").get_data(as_text=True)
    assert ANALYST in page and "Arrears by ward (arrears-by-ward) changed: access" in page
    assert 'govuk-tag--green">sent' in page
    token = csrf_token(client, html=page)
    huge = admin.post("/notify/log/99999999999999999999/resend", data={"csrf_token": token})
    assert huge.status_code == 404
    again = admin.post("/notify/log/1/resend", data={"csrf_token": token})
    assert again.status_code == 302
    assert "will be sent again" in admin.get("/notify/log").get_data(as_text=True)
    notify.run_once(chain, notify_settings)
    assert len(mailbox.to(ANALYST)) == 2

"""Access granted on request (#17): a grant shows exactly one asset to exactly one
person until its date, through every surface, and nothing once the date has
passed (on a clock the test sets). Asking for a key one may not see is answered
as for a key that names nothing; deciding without the right is refused with
nothing written.

The council of tests/catalogue/test_access_rules.py: Victor (a viewer in Revenues)
asks for the Housing safeguarding ledger (restricted), whose owner is Olive
(Finance); Vince, Victor's colleague, is the control who must see no change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from catalogue import create_app
from catalogue.config import Settings
from catalogue.db import utcnow
from catalogue.models import AccessRequest, ChangeLog, Notification
from catalogue.services import accounts, tokens
from catalogue.store import Catalogue
from tests.catalogue.test_access_rules import ASSETS, CAN_READ, PRINCIPALS, populate
from tests.conftest import Runner

pytestmark = pytest.mark.calendar

ASKED = "h-restricted"
TITLE = ASSETS[ASKED]["title"]
PEOPLE = {
    "victor": ("victor.r@example.gov.uk", "viewer", "Revenues & Benefits"),
    "vince": ("vince.r@example.gov.uk", "viewer", "Revenues & Benefits"),
    "olive": ("olive.owner@example.gov.uk", "viewer", "Finance"),
    "auditor": ("audrey.a@example.gov.uk", "auditor", "Legal & Governance"),
}
BEFORE = CAN_READ["viewer-revenues"]


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def council(catalogue: Catalogue, settings: Settings) -> Iterator[tuple[Flask, Catalogue, dict]]:
    populate(catalogue)
    headers = {}
    with catalogue.sessions.begin() as session:
        for username, (email, role, department) in PEOPLE.items():
            accounts.add_user(
                session, PRINCIPALS["admin"], username,
                name=username.title(), role=role, email=email, department=department,
            )  # fmt: skip
            secret = tokens.create_token(session, PRINCIPALS["admin"], username, "t").secret
            headers[username] = {"Authorization": f"Bearer {secret}"}
    app = create_app(settings)
    yield app, catalogue, headers
    app.extensions["catalogue"].close()


def ask(client: FlaskClient, headers: dict, key: str = ASKED, **body: Any) -> Any:
    until = (utcnow().date() + timedelta(days=10)).isoformat()
    body = {"reason": "Fraud review of housing cases", "until": until} | body
    return client.post(f"/api/v1/assets/{key}/access-requests", json=body, headers=headers)


def surfaces(client: FlaskClient, headers: dict) -> dict[str, bool]:
    """Whether each surface shows the asked-for asset to the caller."""
    node = {"nodeId": f"dataset:catalogue:{ASKED}"}
    trace = client.get("/api/v1/assets/h-internal/trace", headers=headers).json
    found = client.get("/api/v1/search", query_string={"q": "ledger", "per_page": 100},
                       headers=headers).json  # fmt: skip
    suggested = client.get("/search/suggest.json", query_string={"q": "safeg"}, headers=headers)
    private = {"q": "ledger", "rows": 100, "include_private": "true"}
    ckan_search = client.get("/api/3/action/package_search", query_string=private,
                             headers=headers).get_data(as_text=True)  # fmt: skip
    return {
        "api record": client.get(f"/api/v1/assets/{ASKED}", headers=headers).status_code == 200,
        "asset page": TITLE in client.get(f"/assets/{ASKED}", headers=headers).get_data(True),
        "search page": f"/assets/{ASKED}"
        in client.get("/search?q=safeguarding", headers=headers).get_data(True),
        "search api": ASKED in {hit["key"] for hit in found["hits"]},
        "suggestions": TITLE in suggested.get_data(as_text=True),
        "ckan show": client.get(
            "/api/3/action/package_show", query_string={"id": ASKED}, headers=headers
        ).status_code
        == 200,  # fmt: skip
        "ckan search": TITLE in ckan_search,
        "dcat": TITLE in client.get(f"/dataset/{ASKED}.jsonld", headers=headers).get_data(True),
        "dcat catalogue": TITLE in client.get("/catalog.jsonld", headers=headers).get_data(True),
        "trace": ASKED in json.dumps(trace),
        "lineage page": TITLE
        in client.get("/assets/h-internal/lineage", headers=headers).get_data(True),  # fmt: skip
        "marquez lineage": client.get(
            "/api/v1/lineage", query_string=node, headers=headers
        ).status_code
        == 200,  # fmt: skip
        "column lineage": client.get(
            "/api/v1/column-lineage", query_string=node, headers=headers
        ).status_code
        == 200,
    }


def listed(client: FlaskClient, headers: dict) -> set[str]:
    items = client.get("/api/v1/assets?per_page=100", headers=headers).json["items"]
    return {item["key"] for item in items}


def test_a_grant_shows_one_asset_to_one_person_until_its_date(
    council: tuple[Flask, Catalogue, dict],
) -> None:
    app, catalogue, headers = council
    client = app.test_client()
    assert not any(surfaces(client, headers["victor"]).values())
    asked = ask(client, headers["victor"])
    assert asked.status_code == 201, asked.json
    assert asked.json["status"] == "pending" and asked.json["title"] is None
    assert not any(surfaces(client, headers["victor"]).values()), "shown before approval"
    with catalogue.read() as session:  # the owner is e-mailed a link to decide
        sent = session.scalars(select(Notification).where(
            Notification.recipient == "olive.owner@example.gov.uk")).all()  # fmt: skip
    assert len(sent) == 1 and f"/access/requests/{asked.json['id']}" in sent[0].payload["link"]
    assert "Fraud review of housing cases" in sent[0].payload["text"]

    decided = client.post(f"/api/v1/access-requests/{asked.json['id']}/approve",
                          json={"reason": "For the joint fraud review"},
                          headers=headers["olive"])  # fmt: skip
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "approved" and decided.json["in_force"]
    shown = surfaces(client, headers["victor"])
    missing = [name for name, seen in shown.items() if not seen and not name.startswith("dcat")]
    assert not missing, f"the grant does not reach: {missing}"
    assert listed(client, headers["victor"]) == BEFORE | {ASKED}
    assert not any(surfaces(client, headers["vince"]).values()), "a colleague sees the grant"
    assert listed(client, headers["vince"]) == BEFORE
    # DCAT publishes what the caller may see: as for Housing's own staff.
    assert shown["dcat"] == (client.get(f"/dataset/{ASKED}.jsonld",
                             headers=headers["auditor"]).status_code == 200)  # fmt: skip

    until = datetime.fromisoformat(decided.json["until"])
    with time_machine.travel(datetime.combine(until, time(23, 59)), tick=False):
        assert listed(client, headers["victor"]) == BEFORE | {ASKED}, "ended early"
    with time_machine.travel(datetime.combine(until + timedelta(days=1), time(0, 1)), tick=False):
        assert not any(surfaces(client, headers["victor"]).values()), "shown after its date"
        assert listed(client, headers["victor"]) == BEFORE
        grants = client.get("/api/v1/access-grants", headers=headers["auditor"]).json["items"]
        assert [(g["asset"], g["requester"], g["in_force"]) for g in grants] == [
            (ASKED, "victor.r@example.gov.uk", False)
        ]


def test_every_step_is_in_the_audit_trail_and_the_requester_is_told(
    council: tuple[Flask, Catalogue, dict],
) -> None:
    app, catalogue, headers = council
    client = app.test_client()
    request_id = ask(client, headers["victor"]).json["id"]
    declined = client.post(f"/api/v1/access-requests/{request_id}/decline",
                           json={"reason": "Ask Housing's caseworkers instead"},
                           headers=headers["olive"])  # fmt: skip
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    audit = client.get("/api/v1/audit", query_string={"asset": ASKED},
                       headers=headers["auditor"]).json  # fmt: skip
    steps = [
        (e["action"], e["actor"]) for e in audit["entries"] if e["action"].startswith("access.")
    ]
    assert steps == [
        ("access.request", "victor.r@example.gov.uk"),
        ("access.decline", "olive.owner@example.gov.uk"),
    ]
    assert any("Ask Housing's caseworkers instead" in e["detail"] for e in audit["entries"])
    with catalogue.read() as session:
        told = session.scalar(select(Notification).where(
            Notification.recipient == "victor.r@example.gov.uk"))  # fmt: skip
    assert told is not None and "declined" in told.payload["text"]
    assert TITLE not in told.payload["text"]  # named by the key Victor gave, not its title
    mine = client.get("/api/v1/access-requests", headers=headers["victor"]).json["items"]
    assert [(r["id"], r["status"], r["title"]) for r in mine] == [(request_id, "declined", None)]
    # The asset's own history (which its readers see) does not carry people's requests.
    history = client.get(f"/api/v1/assets/{ASKED}/history", headers=headers["olive"]).json
    assert "access." not in json.dumps(history)


@pytest.mark.parametrize(
    ("key", "body", "status", "field"),
    [
        (ASKED, {"reason": "  "}, 422, "reason"),
        (ASKED, {"until": "2020-01-01"}, 422, "until"),
        (ASKED, {"until": "2999-01-01"}, 422, "until"),
        (ASKED, {"until": "next week"}, 422, "until"),
        ("h-open", {}, 409, None),  # open data: no request needed
        ("r-restricted", {}, 409, None),  # Victor's own department's: he sees it
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(
    council: tuple[Flask, Catalogue, dict], key: str, body: dict, status: int, field: str | None
) -> None:
    app, catalogue, headers = council
    client = app.test_client()
    answer = ask(client, headers["victor"], key, **body)
    assert answer.status_code == status, answer.json
    if field:
        assert field in json.dumps(answer.json["problems"]), answer.json
    with catalogue.read() as session:
        assert session.scalar(select(func.count()).select_from(AccessRequest)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_hidden_key_is_answered_as_one_that_names_nothing(
    council: tuple[Flask, Catalogue, dict],
) -> None:
    app, _, headers = council
    client = app.test_client()
    hidden, unknown = ask(client, headers["victor"]), ask(client, headers["victor"], "no-such")
    assert hidden.status_code == unknown.status_code == 201
    assert {k: v for k, v in hidden.json.items() if k not in ("id", "asset", "requested_at")} == {
        k: v for k, v in unknown.json.items() if k not in ("id", "asset", "requested_at")
    }
    again = ask(client, headers["victor"]), ask(client, headers["victor"], "no-such")
    assert again[0].status_code == again[1].status_code == 409


def test_deciding_without_the_right_is_refused_and_nothing_is_written(
    council: tuple[Flask, Catalogue, dict],
) -> None:
    app, catalogue, headers = council
    client = app.test_client()
    request_id = ask(client, headers["victor"]).json["id"]
    with catalogue.read() as session:
        changes = session.scalar(select(func.count()).select_from(ChangeLog))
    for who in ("vince", "victor", "auditor"):
        for verb in ("approve", "decline"):
            answer = client.post(f"/api/v1/access-requests/{request_id}/{verb}",
                                 json={"reason": "why not"}, headers=headers[who])  # fmt: skip
            assert answer.status_code == 403, (who, verb, answer.json)
    no_reason = client.post(f"/api/v1/access-requests/{request_id}/approve", json={"reason": ""},
                            headers=headers["olive"])  # fmt: skip
    assert no_reason.status_code == 422
    with catalogue.read() as session:
        assert session.scalar(select(func.count()).select_from(ChangeLog)) == changes
        assert session.get(AccessRequest, request_id).status == "pending"
    assert ASKED not in listed(client, headers["victor"])
    for who in ("vince", "victor"):  # the auditors' view of every request is theirs alone
        assert client.get("/api/v1/access-grants", headers=headers[who]).status_code == 403


def test_admins_list_and_decide_requests_at_the_terminal(
    council: tuple[Flask, Catalogue, dict], run: Runner
) -> None:
    app, _, headers = council
    client = app.test_client()
    request_id = ask(client, headers["victor"]).json["id"]
    listed_json = run("access", "requests", "--status", "pending", "--format", "json")
    assert listed_json.exit_code == 0, listed_json.output
    assert [(r["id"], r["asset"]) for r in json.loads(listed_json.output)] == [(request_id, ASKED)]
    assert run("access", "approve", str(request_id)).exit_code == 2  # no --reason
    unknown = run("access", "approve", "999", "--reason", "agreed")
    assert unknown.exit_code == 1 and "no access request 999" in unknown.output
    approved = run("access", "approve", str(request_id), "--reason", "Agreed by the IAO")
    assert approved.exit_code == 0, approved.output
    assert f"Access request {request_id} approved" in approved.output
    assert listed(client, headers["victor"]) == BEFORE | {ASKED}
    again = run("access", "decline", str(request_id), "--reason", "changed my mind")
    assert again.exit_code == 1 and "already approved" in again.output
    assert listed(client, headers["victor"]) == BEFORE | {ASKED}

"""The audit trail: `catalogue audit` shows every write with its actor, only
auditors and admins read it, and nothing in the application can change it."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
from flask import Flask
from sqlalchemy import delete, event, select, update

from catalogue import create_app
from catalogue.config import Settings
from catalogue.errors import Forbidden, Invalid, Unauthorized
from catalogue.models import AppendOnly, AuthEvent, ChangeLog
from catalogue.services import accounts, authentication, tokens
from catalogue.services.access import ANONYMOUS, Principal, operator
from catalogue.services.audit import audit_entries, parse_moment
from catalogue.services.demo import DEMO_USERS
from catalogue.store import Catalogue
from tests.catalogue.test_access_rules import every_response
from tests.conftest import Runner, demo_day
from tests.test_docs import command_paths

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

ADMIN = operator("admin@example.gov.uk")


def audit_rows(catalogue: Catalogue) -> list[tuple[Any, ...]]:
    """Every audit row, every column: what must never change."""
    with catalogue.read() as session:
        changes = [
            (r.seq, r.asset_key, r.action, r.actor, r.at, json.dumps(r.before), json.dumps(r.after))
            for r in session.scalars(select(ChangeLog).order_by(ChangeLog.seq))
        ]
        events = [
            (e.id, e.at, e.kind, e.username, e.detail, e.remote_addr)
            for e in session.scalars(select(AuthEvent).order_by(AuthEvent.id))
        ]
    return changes + events


# -- reading the trail ---------------------------------------------------------------
@pytest.mark.parametrize("role", [None, "viewer", "steward"])
def test_only_auditors_and_admins_read_the_trail(demo_catalogue: Catalogue, role: str) -> None:
    principal = Principal("x@example.gov.uk", role, "Housing") if role else ANONYMOUS
    with demo_catalogue.reading(principal) as reader, pytest.raises(Forbidden):
        audit_entries(reader)
    auditor = Principal("fatima.rahman@thamesbury.gov.uk", "auditor", "Finance")
    with demo_catalogue.reading(auditor) as reader:
        assert len(audit_entries(reader, limit=5)) == 5


def test_catalogue_audit_shows_each_write_of_the_demo_with_its_actor(
    demo_run: Runner, demo_catalogue: Catalogue
) -> None:
    result = demo_run("audit", "--format", "json")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    with demo_catalogue.read() as session:
        logged = [
            (r.seq, r.actor, r.action, r.asset_key)
            for r in session.scalars(select(ChangeLog).order_by(ChangeLog.seq))
        ]
    changes = [(e["seq"], e["actor"], e["action"], e["asset"]) for e in entries if e["seq"]]
    assert changes == logged and len(logged) > 500
    actors = {actor for _, actor, _, _ in changes}
    assert {
        "demo-loader",
        "daniel.whitlock@thamesbury.gov.uk",
        "kwame.mensah@thamesbury.gov.uk",
    } <= actors
    added = [e["actor"] for e in entries if e["action"] == "auth.user_added"]
    assert sorted(added) == sorted(u[0] for u in DEMO_USERS)
    times = [e["time"] for e in entries]
    assert times == sorted(times)
    text = demo_run("audit", "--asset", "ctax-arrears").output.splitlines()
    assert any(
        "daniel.whitlock@thamesbury.gov.uk  asset.update  ctax-arrears  changed description" in line
        for line in text
    )


def test_audit_filters(demo_run: Runner) -> None:
    def audit(*args: str) -> list[dict[str, Any]]:
        result = demo_run("audit", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    by_kwame = audit("--actor", "kwame.mensah")  # a username finds their email's changes
    assert by_kwame and {e["actor"] for e in by_kwame} == {
        "kwame.mensah@thamesbury.gov.uk",
        "kwame.mensah",
    }
    since, until = demo_day("2025-09-01"), demo_day("2025-09-30")  # the demo's September
    september = audit("--since", since.isoformat(), "--until", until.isoformat())
    assert september and all(
        since.isoformat() <= e["time"][:10] <= until.isoformat() for e in september
    )
    assert {e["actor"] for e in september} >= {"hannah.cole@thamesbury.gov.uk"}
    newest = audit("--limit", "3")
    assert len(newest) == 3 and newest == audit()[-3:]
    rows = list(csv.DictReader(io.StringIO(demo_run("audit", "--format", "csv").output)))
    assert list(rows[0]) == [
        "time",
        "source",
        "seq",
        "actor",
        "action",
        "asset",
        "detail",
        "remote_addr",
    ]
    bad = demo_run("audit", "--until", "last tuesday")
    assert bad.exit_code == 1 and "until 'last tuesday' is not a date" in bad.output


def test_sign_ins_and_tokens_are_in_the_trail(catalogue: Catalogue, run: Runner) -> None:
    run("user", "add", "ahmed.khan", "--name", "Ahmed Khan", "--password", "a long password!")
    with catalogue.read() as session, pytest.raises(Unauthorized):
        authentication.authenticate_password(session, "ahmed.khan", "wrong one", "192.0.2.7")
    with catalogue.read() as session:
        authentication.authenticate_password(session, "ahmed.khan", "a long password!", "192.0.2.7")
    run("token", "create", "ahmed.khan", "--label", "script")
    run("token", "revoke", "1")
    entries = json.loads(run("audit", "--format", "json").output)
    assert [(e["action"], e["actor"], e["remote_addr"]) for e in entries] == [
        ("auth.user_added", "ahmed.khan", None),
        ("auth.sign_in_failed", "ahmed.khan", "192.0.2.7"),
        ("auth.sign_in", "ahmed.khan", "192.0.2.7"),
        ("auth.token_created", "ahmed.khan", None),
        ("auth.token_revoked", "ahmed.khan", None),
    ]
    assert entries[3]["detail"].startswith("by test-steward: token 1 cat_")


def test_parse_moment() -> None:
    assert parse_moment("2025-05-01", "since") == datetime(2025, 5, 1, tzinfo=UTC)
    end = parse_moment("2025-05-31", "until", end_of_day=True)
    assert end is not None and (end.hour, end.minute) == (23, 59)
    assert parse_moment("2025-05-01T09:30Z", "since") == datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
    with pytest.raises(Invalid):
        parse_moment("yesterday", "since")


# -- nothing changes the trail ----------------------------------------------------------
def test_audit_rows_cannot_be_changed_or_deleted_through_sqlalchemy(catalogue: Catalogue) -> None:
    with catalogue.write(ADMIN) as writer:
        writer.log("asset.create", "x", None, {"key": "x"})
    with catalogue.sessions.begin() as session:
        accounts.record_event(session, "sign_in", "someone")
    before = audit_rows(catalogue)
    attempts = [
        lambda s: setattr(s.scalar(select(ChangeLog)), "actor", "someone else"),
        lambda s: s.delete(s.scalar(select(ChangeLog))),
        lambda s: setattr(s.scalar(select(AuthEvent)), "detail", "nothing happened"),
        lambda s: s.delete(s.scalar(select(AuthEvent))),
        lambda s: s.execute(update(ChangeLog).values(actor="someone else")),
        lambda s: s.execute(delete(AuthEvent)),
        lambda s: s.connection().execute(delete(ChangeLog.__table__)),
        lambda s: s.connection().execute(update(AuthEvent.__table__).values(kind="x")),
    ]
    for attempt in attempts:
        with pytest.raises(AppendOnly), catalogue.sessions.begin() as session:
            attempt(session)
            session.flush()
    assert audit_rows(catalogue) == before


def leaf_commands(group: click.Group) -> Iterator[str]:
    for path, _ in command_paths(group, prefix=""):
        yield path.strip()


# Every command with arguments that make it do its work on the demo catalogue.
# A new command must be added here (or to NOT_RUN, saying why).
CLI_CALLS: dict[str, list[str]] = {
    # First, so that every change the sweep makes is news for the notify commands.
    "webhook add": ["http://127.0.0.1:9/sweep", "--description", "sweep"],
    "webhook list": [],
    "init": [],
    "db upgrade": [],
    "db current": [],
    "register": ["dataset", "new-asset", "--title", "New", "--department", "Housing"],
    "update": ["ctax-arrears", "--title", "Council tax arrears (changed)"],
    "retire": ["ctax-arrears"],
    "show": ["ctax-arrears"],
    "list": [],
    "history": ["ctax-arrears"],
    "export": ["-o", "{export}"],
    "glossary add": ["Sweep term", "--department", "Housing", "--asset", "ctax-arrears"],
    "glossary update": ["sweep-term", "--status", "approved"],
    "glossary list": [],
    "glossary show": ["sweep-term"],
    "apply": ["{export}"],
    "demo": ["--if-empty"],
    "lineage add": ["sys-civica-revenues", "new-asset"],
    "lineage remove": ["sys-civica-revenues", "new-asset"],
    "lineage upstream": ["rpt-housing-arrears-dashboard"],
    "lineage downstream": ["sys-civica-revenues"],
    "lineage path": ["sys-civica-revenues", "ctax-arrears"],
    "lineage trace": ["rpt-housing-arrears-dashboard"],
    "lineage check": [],
    "lineage export": [],
    "user add": ["jo.bloggs", "--name", "Jo Bloggs", "--password", "a long password!"],
    "user list": [],
    "user set-role": ["jo.bloggs", "steward"],
    "user set-password": ["jo.bloggs", "--password", "another long password"],
    "user set-department": ["jo.bloggs", "Housing"],
    "watch add": ["rpt-housing-arrears-dashboard", "--upstream", "--user", "jo.bloggs"],
    "watch list": ["--user", "jo.bloggs"],
    "watch email": ["daily", "--user", "jo.bloggs"],
    "user disable": ["jo.bloggs"],
    "user enable": ["jo.bloggs"],
    "token create": ["jo.bloggs", "--label", "sweep"],
    "token list": [],
    "token revoke": ["1"],
    "audit": [],
    "search": ["council tax"],
    "index status": [],
    "index rebuild": [],
    "index verify": [],
    "import ckan": ["{ckan}"],
    "import dbt": ["{dbt}"],
    "review record": ["tenancies", "--note", "checked"],
    "review due": [],
    "governance iar": [],
    "governance ropa": [],
    "governance coverage": [],
    "harvest database": ["{source_db}", "--source-system", "sys-sweep"],
    "harvest review": [],
    "harvest dismiss": ["sys-sweep.main.people", "email"],
    "harvest sql": ["{sql}", "--source-system", "sys-sweep"],
    "harvest files": ["{folder}", "--source-system", "sys-sweep-files"],
    "harvest run": ["{harvest_yaml}"],
    "lineage columns": ["sys-sweep.main.people"],
    "notify run": ["--once"],
    "notify log": [],
    "notify resend": ["1"],
    "watch remove": ["rpt-housing-arrears-dashboard", "--user", "jo.bloggs"],
    "webhook remove": ["1"],
    "access requests": [],  # the two the sweep's demo is asked for (ask_for_access)
    "access approve": ["1", "--reason", "sweep"],
    "access decline": ["2", "--reason", "sweep"],
}
NOT_RUN = {"serve": "starts a web server and does not return"}


def harvest_sources(folder: Path) -> dict[str, str]:
    """A small SQLite source, a SQL script, a folder of CSV and a harvest file."""
    source = folder / "source.db"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT)")
    (folder / "views.sql").write_text("CREATE VIEW people_ids AS SELECT id FROM people;\n")
    (folder / "files").mkdir()
    (folder / "files" / "visits.csv").write_text("id,visits\n1,3\n", encoding="utf-8")
    plan = folder / "harvest.yaml"
    plan.write_text(
        f"sources:\n  - kind: database\n    url: sqlite:///{source}\n"
        "    source_system: sys-sweep\n",
        encoding="utf-8",
    )
    return {
        "{source_db}": f"sqlite:///{source}",
        "{sql}": str(folder / "views.sql"),
        "{folder}": str(folder / "files"),
        "{harvest_yaml}": str(plan),
    }


def ask_for_access(catalogue: Catalogue) -> None:
    """Two pending access requests (#17) for `catalogue access approve|decline` to answer."""
    from catalogue.services import access_requests
    from catalogue.services.accounts import find_user, principal_for

    with catalogue.read() as session:
        ahmed = principal_for(find_user(session, "ahmed.khan"))
    for key in ("hb-claims", "ctr-claims"):
        with catalogue.write(ahmed) as writer:
            access_requests.request_access(writer, key, "sweep", writer.now.date(),
                                           max_days=1, base_url="http://x")  # fmt: skip


def test_no_command_changes_or_deletes_audit_rows(
    demo_run: Runner, demo_catalogue: Catalogue, tmp_path: Any
) -> None:
    from cli import main

    commands = set(leaf_commands(main))
    missing = commands - set(CLI_CALLS) - set(NOT_RUN)
    assert not missing, f"add {sorted(missing)} to CLI_CALLS in {__file__}"
    files = {"{export}": str(tmp_path / "export.yaml")}
    for name, text in (("ckan", "[]"), ("dbt", '{"nodes": {}, "sources": {}}')):
        files[f"{{{name}}}"] = str(tmp_path / f"{name}.json")
        (tmp_path / f"{name}.json").write_text(text, encoding="utf-8")
    files.update(harvest_sources(tmp_path))
    demo_run.env["CATALOGUE_WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    ask_for_access(demo_catalogue)
    before = audit_rows(demo_catalogue)
    for name in sorted(commands - set(NOT_RUN), key=list(CLI_CALLS).index):
        args = [files.get(a, a) for a in CLI_CALLS[name]]
        result = demo_run(*name.split(), *args)
        assert "append-only" not in result.output, name
        assert result.exit_code == 0, f"catalogue {name}: {result.output}"
    after = audit_rows(demo_catalogue)
    assert set(before) <= set(after)  # every row still there, every column as it was
    assert len(after) > len(before)  # the sweep wrote (and was recorded)


@pytest.fixture
def app(demo_settings: Settings) -> Iterator[Flask]:
    app = create_app(demo_settings)
    yield app
    app.extensions["catalogue"].close()


def test_no_route_changes_or_deletes_audit_rows(app: Flask, demo_catalogue: Catalogue) -> None:
    """Every route, with every method, as an admin's token and as nobody."""
    with demo_catalogue.sessions.begin() as session:
        secret = tokens.create_token(session, ADMIN, "peter.ng", "route sweep").secret
    before = audit_rows(demo_catalogue)
    attempts: list[str] = []

    def record(_mapper: Any, _conn: Any, target: Any) -> None:
        attempts.append(type(target).__name__)

    for model in (ChangeLog, AuthEvent):
        for name in ("before_update", "before_delete"):
            event.listen(model, name, record, insert=True)
    try:
        client = app.test_client()
        for headers in ({"Authorization": f"Bearer {secret}"}, {}):
            for key in ("ctax-arrears", "rpt-housing-arrears-dashboard"):
                for path, response in every_response(client, app, key, headers):
                    assert response.status_code < 500, f"{path}: {response.status_code}"
                    assert AppendOnly.title not in response.get_data(as_text=True), path
    finally:
        for model in (ChangeLog, AuthEvent):
            for name in ("before_update", "before_delete"):
                event.remove(model, name, record)
    assert attempts == []
    assert set(before) <= set(audit_rows(demo_catalogue))

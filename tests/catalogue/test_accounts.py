"""Accounts, passwords, sign-in rate limiting and API tokens: through the
services, the CLI and HTTP, on each backend."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from catalogue import create_app
from catalogue.commands.accounts import token_group, user_group
from catalogue.config import Settings
from catalogue.db import utcnow
from catalogue.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from catalogue.models import ApiToken, AuthEvent, User
from catalogue.services import accounts, authentication, tokens
from catalogue.services.access import Principal, operator
from catalogue.services.assets import update
from catalogue.services.demo import DEMO_PASSWORD, DEMO_USERS
from catalogue.store import Catalogue
from tests.conftest import Runner
from tests.test_docs import DOCUMENTATION

#: The clock matters here: CI runs these again a year ahead (tests/conftest.py).
pytestmark = pytest.mark.calendar

ADMIN = operator("admin@example.gov.uk")
PASSWORD = "correct horse battery"


def add(catalogue: Catalogue, username: str, role: str = "viewer", **fields: Any) -> None:
    fields.setdefault("name", username.title())
    fields.setdefault("email", f"{username}@example.gov.uk")
    fields.setdefault("password", PASSWORD)
    with catalogue.sessions.begin() as session:
        accounts.add_user(session, ADMIN, username, role=role, **fields)


def sign_in(catalogue: Catalogue, username: str, password: str, **kw: Any) -> Principal:
    with catalogue.read() as session:
        return authentication.authenticate_password(session, username, password, "10.0.0.1", **kw)


def events(catalogue: Catalogue, kind: str | None = None) -> list[AuthEvent]:
    with catalogue.read() as session:
        query = select(AuthEvent).order_by(AuthEvent.id)
        if kind:
            query = query.where(AuthEvent.kind == kind)
        return list(session.scalars(query))


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    yield app
    app.extensions["catalogue"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# -- users and passwords -----------------------------------------------------------
def test_a_password_is_kept_only_as_an_argon2_hash(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan", department="Housing")
    with catalogue.read() as session:
        user = session.scalar(select(User))
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    principal = sign_in(catalogue, "Ahmed.Khan", PASSWORD)
    assert principal == Principal(
        "ahmed.khan@example.gov.uk", "viewer", "Housing", "ahmed.khan@example.gov.uk"
    )
    assert sign_in(catalogue, "ahmed.khan@example.gov.uk", PASSWORD).role == "viewer"
    assert [(e.kind, e.username, e.remote_addr) for e in events(catalogue)] == [
        ("user_added", "ahmed.khan", None),
        ("sign_in", "ahmed.khan", "10.0.0.1"),
        ("sign_in", "ahmed.khan", "10.0.0.1"),
    ]


def test_adding_a_user_lists_every_problem_and_refuses_duplicates(catalogue: Catalogue) -> None:
    with pytest.raises(Invalid) as caught, catalogue.sessions.begin() as session:
        accounts.add_user(
            session, ADMIN, "Not Valid!", name=" ", role="owner", email="nope", password="short"
        )
    assert set(caught.value.field_errors()) == {"username", "name", "role", "email", "password"}
    assert "viewer, steward, auditor, admin" in caught.value.field_errors()["role"][0]
    add(catalogue, "aisha.begum")
    with pytest.raises(Conflict, match="already exists"), catalogue.sessions.begin() as session:
        accounts.add_user(
            session, ADMIN, "other", name="O", role="viewer", email="AISHA.BEGUM@example.gov.uk"
        )


@pytest.mark.parametrize("role", ["viewer", "steward", "auditor"])
def test_only_admins_manage_accounts(catalogue: Catalogue, role: str) -> None:
    add(catalogue, "ahmed.khan")
    actor = Principal("someone@example.gov.uk", role, "Housing", "someone@example.gov.uk")
    with pytest.raises(Forbidden), catalogue.sessions.begin() as session:
        accounts.add_user(session, actor, "new.user", name="New", role="admin")
    with pytest.raises(Forbidden), catalogue.sessions.begin() as session:
        accounts.set_role(session, actor, "ahmed.khan", "admin")
    with pytest.raises(Forbidden), catalogue.sessions.begin() as session:
        tokens.create_token(session, actor, "ahmed.khan", "not mine")


def test_wrong_and_unknown_get_the_same_answer_and_are_recorded(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan")
    for username in ("ahmed.khan", "nobody"):
        with pytest.raises(Unauthorized, match="^wrong username or password$"):
            sign_in(catalogue, username, "not the password")
    failed = events(catalogue, "sign_in_failed")
    assert [(e.username, e.detail) for e in failed] == [
        ("ahmed.khan", "wrong password"),
        ("nobody", "no such user"),
    ]


def test_five_failures_in_15_minutes_lock_the_account_even_for_the_right_password(
    catalogue: Catalogue,
) -> None:
    add(catalogue, "ahmed.khan")
    start = utcnow()
    for minute in range(5):
        with pytest.raises(Unauthorized):
            sign_in(catalogue, "ahmed.khan", "guess", now=start + timedelta(minutes=minute))
    with pytest.raises(authentication.TooManyAttempts) as caught:
        sign_in(catalogue, "ahmed.khan@example.gov.uk", PASSWORD, now=start + timedelta(minutes=5))
    assert "wait 10 minute(s)" in caught.value.message and caught.value.status == 429
    assert events(catalogue, "sign_in_locked")[0].detail == "password not checked"
    # The lock lifts when the first failure is 15 minutes old; refusals do not extend it.
    later = start + timedelta(minutes=15, seconds=1)
    assert sign_in(catalogue, "ahmed.khan", PASSWORD, now=later).role == "viewer"


def attempt(catalogue: Catalogue, username: str, password: str, address: str, **kw: Any) -> Any:
    """Sign in from one network address: the Principal, or the error raised."""
    with catalogue.read() as session:
        try:
            return authentication.authenticate_password(session, username, password, address, **kw)
        except (Unauthorized, authentication.TooManyAttempts) as error:
            return error


def test_guesses_from_one_address_cannot_lock_the_owner_out_from_another(
    catalogue: Catalogue,
) -> None:
    add(catalogue, "peter.ng", role="admin")
    start = utcnow()
    for n in range(authentication.MAX_FAILURES):
        guess = attempt(catalogue, "peter.ng", "guess", "198.51.100.9", now=start)
        assert isinstance(guess, Unauthorized), n
    # Whoever guessed is locked out, even with the right password...
    locked = attempt(catalogue, "peter.ng", PASSWORD, "198.51.100.9", now=start)
    assert isinstance(locked, authentication.TooManyAttempts)
    # ...but the admin, at their own desk, still gets in.
    owner = attempt(catalogue, "peter.ng", PASSWORD, "10.1.2.3", now=start)
    assert isinstance(owner, Principal) and owner.role == "admin"


def test_password_spraying_from_one_address_is_stopped(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan")
    start = utcnow()
    for n in range(authentication.ADDRESS_MAX_FAILURES):
        sprayed = attempt(catalogue, f"user{n}", "Winter2026!", "203.0.113.5", now=start)
        assert isinstance(sprayed, Unauthorized), n
    stopped = attempt(catalogue, "ahmed.khan", PASSWORD, "203.0.113.5", now=start)
    assert isinstance(stopped, authentication.TooManyAttempts), stopped
    assert events(catalogue, "sign_in_locked")[-1].detail == "password not checked"
    elsewhere = attempt(catalogue, "ahmed.khan", PASSWORD, "10.1.2.3", now=start)
    assert isinstance(elsewhere, Principal)


def test_the_lock_message_does_not_name_the_account(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan", email="a.khan@example.gov.uk")
    for _ in range(authentication.MAX_FAILURES):
        attempt(catalogue, "a.khan@example.gov.uk", "guess", "10.0.0.1")
    locked = attempt(catalogue, "a.khan@example.gov.uk", PASSWORD, "10.0.0.1")
    assert isinstance(locked, authentication.TooManyAttempts)
    assert "ahmed.khan" not in locked.message and "too many failed sign-ins" in locked.message


def test_parallel_guesses_get_no_more_passwords_checked_than_the_limit(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All at once, as a script would: each guess must see the ones before it."""
    add(catalogue, "ahmed.khan")
    verify = authentication._verify

    def slow_verify(user: Any, password: str) -> bool:
        time.sleep(0.05)  # as long as a real argon2 check, so the guesses overlap
        return verify(user, password)

    monkeypatch.setattr(authentication, "_verify", slow_verify)
    guesses = 16
    barrier = threading.Barrier(guesses)

    def guess(n: int) -> Any:
        barrier.wait()
        return attempt(catalogue, "ahmed.khan", f"guess {n}", "198.51.100.9")

    with ThreadPoolExecutor(guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    assert all(isinstance(o, Unauthorized | authentication.TooManyAttempts) for o in outcomes), (
        outcomes
    )
    assert len(events(catalogue, "sign_in_failed")) == authentication.MAX_FAILURES
    assert len(events(catalogue, "sign_in_locked")) == guesses - authentication.MAX_FAILURES


def test_a_successful_sign_in_resets_the_count(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan")
    start = utcnow()
    for minute in range(4):
        with pytest.raises(Unauthorized):
            sign_in(catalogue, "ahmed.khan", "guess", now=start + timedelta(minutes=minute))
    sign_in(catalogue, "ahmed.khan", PASSWORD, now=start + timedelta(minutes=4))
    for minute in range(5, 9):
        with pytest.raises(Unauthorized):
            sign_in(catalogue, "ahmed.khan", "guess", now=start + timedelta(minutes=minute))
    assert sign_in(catalogue, "ahmed.khan", PASSWORD, now=start + timedelta(minutes=9))


def test_a_disabled_account_is_refused_and_told_so_only_with_the_right_password(
    catalogue: Catalogue,
) -> None:
    add(catalogue, "ahmed.khan")
    with catalogue.sessions.begin() as session:
        accounts.set_disabled(session, ADMIN, "ahmed.khan", True)
    with pytest.raises(Unauthorized, match="^wrong username or password$"):
        sign_in(catalogue, "ahmed.khan", "guess")
    with pytest.raises(Unauthorized, match="disabled"):
        sign_in(catalogue, "ahmed.khan", PASSWORD)
    with catalogue.read() as session:
        assert authentication.load_signed_in(session, session.scalar(select(User.id))) is None


# -- API tokens: the lifecycle ----------------------------------------------------------
def create(catalogue: Catalogue, username: str = "ahmed.khan", **kw: Any) -> tokens.NewToken:
    with catalogue.sessions.begin() as session:
        return tokens.create_token(session, ADMIN, username, "nightly export", **kw)


def use(catalogue: Catalogue, secret: str, **kw: Any) -> Principal:
    with catalogue.read() as session:
        return authentication.authenticate_token(session, secret, **kw)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan", department="Housing")
    new = create(catalogue, expires_in_days=30)
    assert new.secret.startswith("cat_") and len(new.secret) > 40
    with catalogue.read() as session:
        row = session.scalar(select(ApiToken))
        stored = [getattr(row, c.key) for c in ApiToken.__table__.columns]
    assert new.secret not in [str(v) for v in stored]
    assert row.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    assert new.token["prefix"] == new.secret[:12] and new.token["state"] == "active"
    assert "token" not in new.token and "token_hash" not in new.token
    assert (row.expires_at - row.created_at).days == 30
    assert use(catalogue, new.secret).department == "Housing"


def test_expired_revoked_and_disabled_tokens_are_refused_at_once(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan")
    new = create(catalogue, expires_in_days=1)
    assert use(catalogue, new.secret).role == "viewer"
    with pytest.raises(Unauthorized, match="expired"):
        use(catalogue, new.secret, now=utcnow() + timedelta(days=1, seconds=1))
    with catalogue.sessions.begin() as session:
        tokens.revoke_token(session, ADMIN, new.token["id"])
    with pytest.raises(Unauthorized, match="revoked"):
        use(catalogue, new.secret)
    other = create(catalogue)
    with catalogue.sessions.begin() as session:
        accounts.set_disabled(session, ADMIN, "ahmed.khan", True)
    with pytest.raises(Unauthorized, match="disabled"):
        use(catalogue, other.secret)
    with pytest.raises(Unauthorized, match="not recognised"):
        use(catalogue, "cat_" + "x" * 43)
    kinds = [e.kind for e in events(catalogue) if e.kind.startswith("token_")]
    assert kinds == ["token_created", "token_revoked", "token_created"]


def test_users_manage_their_own_tokens_but_not_other_peoples(catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan")
    add(catalogue, "aisha.begum", role="steward")
    ahmed = Principal("ahmed.khan@example.gov.uk", "viewer", None, "ahmed.khan@example.gov.uk")
    with catalogue.sessions.begin() as session:
        mine = tokens.create_token(session, ahmed, "ahmed.khan", "my script")
    theirs = create(catalogue, "aisha.begum")
    with catalogue.reading(ahmed) as reader:
        assert [t["label"] for t in tokens.list_tokens(reader, "ahmed.khan")] == ["my script"]
        with pytest.raises(Forbidden):
            tokens.list_tokens(reader)
    with catalogue.sessions.begin() as session:
        with pytest.raises(NotFound):
            tokens.revoke_token(session, ahmed, theirs.token["id"])
        assert tokens.revoke_token(session, ahmed, mine.token["id"])["state"] == "revoked"


@pytest.mark.parametrize("days", [0, 367])
def test_a_token_needs_a_label_and_a_sensible_expiry(catalogue: Catalogue, days: int) -> None:
    add(catalogue, "ahmed.khan")
    with pytest.raises(Invalid) as caught, catalogue.sessions.begin() as session:
        tokens.create_token(session, ADMIN, "ahmed.khan", " ", expires_in_days=days)
    assert set(caught.value.field_errors()) == {"label", "expires_in_days"}


# -- the lifecycle through HTTP -------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        lambda t: {"Authorization": f"Bearer {t}"},
        lambda t: {"Authorization": t},  # CKAN style
        lambda t: {"X-CKAN-API-Key": t},
    ],
    ids=["bearer", "ckan-authorization", "x-ckan-api-key"],
)
def test_token_lifecycle_over_http(
    app: Flask, client: FlaskClient, catalogue: Catalogue, headers: Any
) -> None:
    add(catalogue, "aisha.begum", role="steward", department="Housing")
    new = create(catalogue, "aisha.begum")
    assert client.get("/api/v1/me").get_json()["signed_in"] is False
    me = client.get("/api/v1/me", headers=headers(new.secret))
    assert me.status_code == 200
    assert me.get_json() == {
        "name": "aisha.begum@example.gov.uk",
        "role": "steward",
        "department": "Housing",
        "email": "aisha.begum@example.gov.uk",
        "signed_in": True,
        "authenticated_by": "token",
    }
    with catalogue.sessions.begin() as session:
        tokens.revoke_token(session, ADMIN, new.token["id"])
    refused = client.get("/api/v1/me", headers=headers(new.secret))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert "revoked" in refused.get_json()["detail"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused_over_http(client: FlaskClient, catalogue: Catalogue) -> None:
    add(catalogue, "ahmed.khan")
    new = create(catalogue, expires_in_days=1, now=utcnow() - timedelta(days=2))
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {new.secret}"})
    assert refused.status_code == 401 and "expired" in refused.get_json()["detail"]
    garbage = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert garbage.status_code == 401 and "not recognised" in garbage.get_json()["detail"]


# -- the CLI ---------------------------------------------------------------------------
def test_user_commands(run: Runner) -> None:
    added = run(
        "user", "add", "ahmed.khan", "--name", "Ahmed Khan", "--email", "ahmed.khan@example.gov.uk",
        "--department", "Housing", "--password-stdin", input="a long enough password\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added user ahmed.khan (viewer, Housing)." in added.output
    prompted = run(
        "user", "add", "aisha.begum", "--name", "Aisha Begum", "--role", "steward",
        input="another long password\nanother long password\n",
    )  # fmt: skip
    assert prompted.exit_code == 0, prompted.output
    assert run("user", "set-role", "ahmed.khan", "auditor").output == "ahmed.khan is now auditor.\n"
    assert "disabled" in run("user", "disable", "aisha.begum").output
    listed = json.loads(run("user", "list", "--format", "json").output)
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == [
        ("ahmed.khan", "auditor", False),
        ("aisha.begum", "steward", True),
    ]
    text = run("user", "list").output
    assert text.splitlines()[0].split() == [
        "USERNAME",
        "NAME",
        "EMAIL",
        "ROLE",
        "DEPARTMENT",
        "SOURCE",
        "LAST_SIGN_IN_AT",
        "DISABLED",
    ]
    assert "enabled" in run("user", "enable", "aisha.begum").output
    moved = run("user", "set-department", "ahmed.khan", "Revenues & Benefits")
    assert moved.output.startswith("ahmed.khan is now in Revenues & Benefits.\n")
    listed = json.loads(run("user", "list", "--format", "json").output)
    assert (listed[0]["department"], listed[0]["source"]) == ("Revenues & Benefits", "local")
    assert run("user", "set-department", "ahmed.khan", "").output == (
        "ahmed.khan is now in no department.\n"
    )


def test_user_command_mistakes_exit_with_a_message(run: Runner) -> None:
    run("user", "add", "ahmed.khan", "--name", "A", "--password", "a long enough password")
    again = run("user", "add", "ahmed.khan", "--name", "A", "--no-password")
    assert again.exit_code == 1 and "already exists" in again.output
    short = run("user", "add", "bob", "--name", "Bob", "--password", "short")
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    assert run("user", "set-role", "ahmed.khan", "owner").exit_code == 2
    missing = run("user", "disable", "nobody")
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_token_commands(run: Runner, catalogue: Catalogue) -> None:
    run("user", "add", "ahmed.khan", "--name", "Ahmed Khan", "--no-password")
    created = run("token", "create", "ahmed.khan", "--label", "nightly export")
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert "will not be shown again" in created.output and secret.startswith("cat_")
    assert use(catalogue, secret).name == "ahmed.khan"
    as_json = json.loads(
        run("token", "create", "ahmed.khan", "--label", "b", "--format", "json").output
    )
    assert as_json["token"].startswith("cat_") and as_json["expires_at"]
    listed = run("token", "list", "ahmed.khan").output
    assert secret not in listed and secret[:12] + "…" in listed and "nightly export" in listed
    revoked = run("token", "revoke", "1")
    assert revoked.exit_code == 0 and "is revoked" in revoked.output
    assert json.loads(run("token", "list", "--format", "json").output)[1]["state"] == "revoked"
    with pytest.raises(Unauthorized):
        use(catalogue, secret)
    assert run("token", "revoke", "99").exit_code == 1
    assert (
        run("token", "create", "ahmed.khan", "--label", "x", "--expires-in-days", "0").exit_code
        == 2
    )


def test_the_demo_users_sign_in_with_the_documented_password(demo_catalogue: Catalogue) -> None:
    assert {role for _, _, role, _ in DEMO_USERS} == {"viewer", "steward", "auditor", "admin"}
    for username, _, role, department in DEMO_USERS:
        principal = sign_in(demo_catalogue, username, DEMO_PASSWORD)
        assert (principal.role, principal.department) == (role, department)
        assert principal.name == f"{username}@thamesbury.gov.uk"
    aisha = sign_in(demo_catalogue, "aisha.begum", DEMO_PASSWORD)
    daniel = sign_in(demo_catalogue, "daniel.whitlock", DEMO_PASSWORD)
    with demo_catalogue.write(aisha) as writer:
        update(writer, "rent-accounts", {"title": "Rent accounts (HRA)"})
    with pytest.raises(Forbidden), demo_catalogue.write(daniel) as writer:
        update(writer, "rent-accounts", {"title": "Not his"})


def test_every_identity_command_is_in_the_readme() -> None:
    names = ["audit"] + [
        f"{group.name} {name}" for group in (user_group, token_group) for name in group.commands
    ]
    missing = [name for name in names if f"`catalogue {name}" not in DOCUMENTATION]
    assert not missing, f"document {missing} in the command table (docs/command-line.md)"

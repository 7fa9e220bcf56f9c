"""Single sign-on against a real OpenID provider (oidc-provider-mock on a loopback
port, RS256-signed tokens), through Flask's test client, on SQLite and
PostgreSQL: the whole authorization-code flow with PKCE, accounts made and
kept in step with the directory, and every attack the issue lists (#16)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from catalogue import create_app
from catalogue.config import Settings
from catalogue.models import AuthEvent, SignInSession, User
from catalogue.services import accounts
from catalogue.services.access import operator
from catalogue.single_sign_on import GroupMapping, GroupRule, OpenIDProvider, SignInSettings
from tests.serving import free_port
from tests.web.conftest import Pages
from tests.web.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    Relay,
    approve,
    id_token_for_another_service,
    provider_running,
    put_person,
    relay_running,
)

MAPPING = GroupMapping(
    rules=(
        GroupRule("catalogue-admins", "admin"),
        GroupRule("information-governance", "auditor"),
        GroupRule("housing-data-stewards", "steward", "Housing"),
        GroupRule("housing-staff", "viewer", "Housing"),
        GroupRule("all-staff", "viewer"),
    )
)
AISHA = {"email": "aisha.begum@thamesbury.gov.uk", "name": "Aisha Begum"}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with provider_running() as url:
        yield url


def sso_app(settings: Settings, issuer: str, local: bool = True, **changes: Any) -> Flask:
    """The catalogue with single sign-on to ``issuer`` (the test's provider)."""
    provider = OpenIDProvider(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        name="Thamesbury account",
        mapping=changes.pop("mapping", MAPPING),
        **changes,
    )
    app = create_app(
        replace(settings, sign_in=SignInSettings(provider=provider, local_sign_in=local))
    )
    app.config["TESTING"] = True
    return app


def sso_sign_in(client: FlaskClient, sub: str, next_url: str = "/", **changes: str) -> Any:
    """Start at the catalogue, sign in at the provider as ``sub`` (the request
    changed by ``changes``), and bring the provider's answer back."""
    start = client.get(f"/sign-in/sso?next={quote(next_url)}")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = urlsplit(approve(start.headers["Location"], sub, **changes))
    return client.get(f"{back.path}?{back.query}")


def me(client: FlaskClient) -> dict[str, Any]:
    return client.get("/api/v1/me").get_json()


def events(app: Flask, kind: str | None = None) -> list[AuthEvent]:
    with app.extensions["catalogue"].read() as db:
        query = select(AuthEvent).order_by(AuthEvent.id)
        rows = list(db.scalars(query))
    return [row for row in rows if kind is None or row.kind == kind]


def assert_refused(app: Flask, client: FlaskClient, answer: Any, reason: str, status: int) -> str:
    """Nobody signed in; a clear page; the audit trail says why (and holds no token)."""
    html = answer.get_data(as_text=True)
    assert answer.status_code == status, html
    assert 'class="govuk-heading-l"' in html and "Traceback" not in html
    assert "Go back to the sign-in page" in html
    assert me(client)["signed_in"] is False
    refusals = events(app, "sso_refused")
    assert refusals and refusals[-1].detail.startswith(reason), [e.detail for e in refusals]
    assert not any("eyJ" in (e.detail or "") for e in events(app))
    return html


# -- signing in ----------------------------------------------------------------------
def test_first_sign_in_makes_the_account_and_lands_where_the_person_was_going(
    settings: Settings, issuer: str
) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    put_person(issuer, "sub-aisha", {**AISHA, "groups": ["housing-data-stewards", "all-staff"]})

    answer = sso_sign_in(client, "sub-aisha", next_url="/search?q=rent+arrears")

    assert answer.status_code == 302 and answer.headers["Location"] == "/search?q=rent+arrears"
    who = me(client)
    assert who["role"] == "steward" and who["department"] == "Housing"
    assert who["email"] == AISHA["email"] and who["authenticated_by"] == "session"
    with app.extensions["catalogue"].read() as db:
        user = db.scalar(select(User).where(User.email == AISHA["email"]))
        assert user is not None and user.source == "sso" and user.password_hash is None
        assert user.username == "aisha.begum" and user.last_sign_in_at is not None
    assert [e.kind for e in events(app)][-2:] == ["user_added", "sso_sign_in"]
    assert not any("eyJ" in (e.detail or "") for e in events(app))


@pytest.mark.parametrize(
    ("groups", "role", "department"),
    [
        (["catalogue-admins", "housing-staff"], "admin", "Housing"),
        (["information-governance"], "auditor", None),
        (["housing-data-stewards"], "steward", "Housing"),
        (["housing-staff"], "viewer", "Housing"),
        (["a-group-the-catalogue-does-not-know"], "viewer", None),
    ],
    ids=["admin", "auditor", "steward", "viewer", "unmapped-gets-viewer"],
)
def test_groups_decide_role_and_department(
    settings: Settings, issuer: str, groups: list[str], role: str, department: str | None
) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    put_person(
        issuer, f"sub-{role}", {"email": f"{role}.person@thamesbury.gov.uk", "groups": groups}
    )

    assert sso_sign_in(client, f"sub-{role}").status_code == 302

    who = me(client)
    assert (who["role"], who["department"]) == (role, department)


def test_unmapped_people_are_refused_when_the_council_says_so(
    settings: Settings, issuer: str
) -> None:
    app = sso_app(settings, issuer, mapping=replace(MAPPING, default_role="refuse"))
    client = app.test_client()
    put_person(issuer, "sub-contractor", {"email": "temp@thamesbury.gov.uk", "groups": ["x"]})

    html = assert_refused(
        app, client, sso_sign_in(client, "sub-contractor"), "unmapped and refused", 403
    )
    assert "none of the groups that may use the catalogue" in html
    with app.extensions["catalogue"].read() as db:
        assert db.scalar(select(User).where(User.email == "temp@thamesbury.gov.uk")) is None


def test_role_and_department_follow_the_directory_at_every_sign_in(
    settings: Settings, issuer: str
) -> None:
    app = sso_app(settings, issuer)
    first, second = app.test_client(), app.test_client()
    put_person(
        issuer, "sub-mover", {"email": "mover@thamesbury.gov.uk", "groups": ["housing-staff"]}
    )
    sso_sign_in(first, "sub-mover")
    assert me(first)["role"] == "viewer"

    put_person(
        issuer, "sub-mover", {"email": "mover@thamesbury.gov.uk", "groups": ["catalogue-admins"]}
    )
    sso_sign_in(second, "sub-mover")

    assert (me(second)["role"], me(second)["department"]) == ("admin", None)
    assert me(first)["signed_in"] is False  # the old session ended with the old role
    changes = [e.detail for e in events(app) if e.kind in ("role_changed", "department_changed")]
    assert changes == ["from the directory: viewer → admin", "from the directory: Housing → none"]


def test_a_disabled_account_stays_disabled_whatever_the_provider_says(
    settings: Settings, issuer: str
) -> None:
    app = sso_app(settings, issuer)
    put_person(issuer, "sub-leaver", {"email": "leaver@thamesbury.gov.uk", "groups": ["all-staff"]})
    sso_sign_in(app.test_client(), "sub-leaver")
    with app.extensions["catalogue"].sessions.begin() as db:
        accounts.set_disabled(db, operator("peter.ng@thamesbury.gov.uk"), "leaver", True)

    client = app.test_client()
    html = assert_refused(app, client, sso_sign_in(client, "sub-leaver"), "disabled", 403)
    assert "disabled" in html


def test_next_is_honoured_only_for_paths_on_this_site(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer)
    put_person(issuer, "sub-next", {"email": "next@thamesbury.gov.uk", "groups": ["all-staff"]})
    for elsewhere in ("https://evil.example/phish", "//evil.example/", "/\\evil.example"):
        answer = sso_sign_in(app.test_client(), "sub-next", next_url=elsewhere)
        assert answer.headers["Location"] == "/", elsewhere


# -- signing out and the sign-in page --------------------------------------------------
def test_sign_out_ends_the_catalogue_session_and_the_providers(
    settings: Settings, issuer: str
) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    put_person(issuer, "sub-out", {"email": "out@thamesbury.gov.uk", "groups": ["all-staff"]})
    sso_sign_in(client, "sub-out")

    answer = Pages(client).post("/sign-out", {}, form_page="/")

    goes_to = urlsplit(answer.headers["Location"])
    assert f"{goes_to.scheme}://{goes_to.netloc}" == issuer
    query = parse_qs(goes_to.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == ["http://localhost/signed-out"]
    # The provider knows whose session to end: the ID token it signed, sent back.
    payload = query["id_token_hint"][0].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == "sub-out" and CLIENT_ID in claims["aud"]
    assert me(client)["signed_in"] is False
    with app.extensions["catalogue"].read() as db:  # and the catalogue keeps no copy
        assert db.scalars(select(SignInSession.id_token_hint)).all() == [None]
    assert "You have signed out" in client.get("/signed-out").get_data(as_text=True)


def test_the_sign_in_page_puts_the_provider_first_and_can_turn_passwords_off(
    settings: Settings, issuer: str
) -> None:
    both = sso_app(settings, issuer).test_client().get("/sign-in").get_data(as_text=True)
    assert both.index("Sign in with Thamesbury account") < both.index('id="password"')

    app = sso_app(settings, issuer, local=False)
    with app.extensions["catalogue"].sessions.begin() as db:
        accounts.add_user(
            db, operator("admin"), "breakglass", name="Break Glass", role="admin",
            password="a long enough password",
        )  # fmt: skip
    app.config["WTF_CSRF_ENABLED"] = False  # the page has no form to take a token from
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Sign in with Thamesbury account" in page and 'id="password"' not in page
    answer = client.post(
        "/sign-in", data={"username": "breakglass", "password": "a long enough password"}
    )
    assert answer.status_code == 403 and "turned off" in answer.get_data(as_text=True)
    assert me(client)["signed_in"] is False


def test_without_a_provider_the_catalogue_signs_in_with_passwords_as_before(
    settings: Settings,
) -> None:
    app = create_app(settings)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'id="sso"' not in page and 'id="password"' in page
    assert client.get("/sign-in/sso").status_code == 404


# -- automatic sign-in ------------------------------------------------------------------
def test_auto_sign_in_sends_visitors_to_the_provider_once(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer, auto_sign_in=True)
    client = app.test_client()

    answer = client.get("/search?q=council+tax")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/sign-in/sso?next=/search?q%3Dcouncil%2Btax"
    assert client.get("/api/v1/me").status_code == 200  # scripts are never redirected
    # Refused (here: the person declined at the provider): no loop, the page shows.
    client.get("/sign-in/sso?next=/search")
    declined = client.get("/sign-in/sso/callback?error=access_denied&state=x")
    assert declined.status_code == 403
    assert client.get("/search?q=council+tax").status_code == 200


# -- attacks and failures: none signs anyone in --------------------------------------
def test_a_wrong_state_is_refused(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    put_person(issuer, "sub-state", {"email": "state@thamesbury.gov.uk"})
    start = client.get("/sign-in/sso")
    back = urlsplit(approve(start.headers["Location"], "sub-state"))
    forged = back.query.replace("state=", "state=forged")
    assert_refused(app, client, client.get(f"{back.path}?{forged}"), "bad state", 400)


def test_a_replayed_code_is_refused(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer)
    put_person(issuer, "sub-replay", {"email": "replay@thamesbury.gov.uk"})
    victim = app.test_client()
    start = victim.get("/sign-in/sso")
    used = urlsplit(approve(start.headers["Location"], "sub-replay"))
    assert victim.get(f"{used.path}?{used.query}").status_code == 302

    thief = app.test_client()
    fresh_state = parse_qs(urlsplit(thief.get("/sign-in/sso").headers["Location"]).query)["state"]
    code = parse_qs(used.query)["code"][0]
    answer = thief.get(f"/sign-in/sso/callback?code={code}&state={fresh_state[0]}")
    assert_refused(app, thief, answer, "code refused by the provider (invalid_grant)", 403)


@pytest.mark.parametrize("nonce", ["forged-nonce", ""], ids=["wrong", "missing"])
def test_a_wrong_or_missing_nonce_is_refused(settings: Settings, issuer: str, nonce: str) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    put_person(issuer, "sub-nonce", {"email": "nonce@thamesbury.gov.uk"})
    answer = sso_sign_in(client, "sub-nonce", nonce=nonce)
    assert_refused(app, client, answer, "bad nonce", 403)


def test_an_id_token_for_another_service_is_refused(settings: Settings, issuer: str) -> None:
    put_person(issuer, "sub-aud", {"email": "aud@thamesbury.gov.uk"})
    with relay_running(Relay(issuer)) as relay:
        app = sso_app(settings, relay.base)
        client = app.test_client()
        start = client.get("/sign-in/sso").headers["Location"]
        nonce = parse_qs(urlsplit(start).query)["nonce"][0]
        relay.swap_id_token = id_token_for_another_service(issuer, "sub-aud", nonce)
        back = urlsplit(approve(start, "sub-aud"))
        answer = client.get(f"{back.path}?{back.query}")
        assert_refused(app, client, answer, "wrong audience", 403)


def test_an_id_token_from_another_issuer_is_refused(settings: Settings, issuer: str) -> None:
    put_person(issuer, "sub-iss", {"email": "iss@thamesbury.gov.uk"})
    with relay_running(Relay(issuer, announce_issuer="https://login.example.org/v2.0")) as relay:
        app = sso_app(settings, relay.base)
        client = app.test_client()
        assert_refused(app, client, sso_sign_in(client, "sub-iss"), "wrong issuer", 403)


def test_an_id_token_with_a_bad_signature_is_refused(settings: Settings, issuer: str) -> None:
    put_person(issuer, "sub-sig", {"email": "sig@thamesbury.gov.uk"})
    with relay_running(Relay(issuer, spoil_signature=True)) as relay:
        app = sso_app(settings, relay.base)
        client = app.test_client()
        assert_refused(app, client, sso_sign_in(client, "sub-sig"), "bad signature", 403)


def test_an_expired_id_token_is_refused(settings: Settings) -> None:
    with provider_running(token_lifetime=timedelta(minutes=-10)) as stale_issuer:
        put_person(stale_issuer, "sub-exp", {"email": "exp@thamesbury.gov.uk"})
        app = sso_app(settings, stale_issuer)
        client = app.test_client()
        assert_refused(app, client, sso_sign_in(client, "sub-exp"), "expired token", 403)


def test_a_missing_email_claim_is_refused(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    put_person(issuer, "sub-noemail", {"name": "No Email", "groups": ["all-staff"]})
    html = assert_refused(
        app, client, sso_sign_in(client, "sub-noemail"), "email claim missing", 403
    )
    assert "did not tell the catalogue your email address" in html


def test_a_group_overage_is_refused(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer)
    client = app.test_client()
    overage = {
        "email": "many.groups@thamesbury.gov.uk",
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": "https://graph.example/v1.0/me/getMemberObjects"}},
    }
    put_person(issuer, "sub-overage", overage)
    html = assert_refused(app, client, sso_sign_in(client, "sub-overage"), "group overage", 403)
    assert "too many groups" in html


def test_a_provider_that_is_down_gets_a_clear_503(settings: Settings) -> None:
    app = sso_app(settings, f"http://127.0.0.1:{free_port()}", timeout_seconds=2)
    client = app.test_client()
    answer = client.get("/sign-in/sso")
    html = assert_refused(app, client, answer, "provider unreachable", 503)
    assert answer.headers["Retry-After"] == "30" and "not answering" in html


def test_a_provider_that_goes_slow_before_the_callback_gets_a_503(
    settings: Settings, issuer: str
) -> None:
    put_person(issuer, "sub-slow", {"email": "slow@thamesbury.gov.uk"})
    with relay_running(Relay(issuer)) as relay:
        app = sso_app(settings, relay.base, timeout_seconds=1)
        client = app.test_client()
        start = client.get("/sign-in/sso")
        back = urlsplit(approve(start.headers["Location"], "sub-slow"))
        relay.hang = threading.Event()  # the token endpoint stops answering
        answer = client.get(f"{back.path}?{back.query}")
        assert_refused(app, client, answer, "provider unreachable (ReadTimeout)", 503)
        assert answer.headers["Retry-After"] == "30"


def test_an_error_from_the_provider_is_recorded_in_plain_characters(
    settings: Settings, issuer: str
) -> None:
    """The address is the attacker's to write: a NUL or markup in ``error`` is
    neither stored (PostgreSQL refuses NUL) nor shown."""
    app = sso_app(settings, issuer)
    client = app.test_client()
    client.get("/sign-in/sso")
    answer = client.get("/sign-in/sso/callback?error=access%00denied%3Cscript%3E&state=x")
    html = assert_refused(app, client, answer, "provider said access?denied?script?", 403)
    assert "<script>" not in html


def test_only_the_councils_own_tenant_signs_in(settings: Settings, issuer: str) -> None:
    app = sso_app(settings, issuer, tenant_id="thamesbury-tenant")
    put_person(issuer, "sub-home", {"email": "home@thamesbury.gov.uk", "tid": "thamesbury-tenant"})
    put_person(issuer, "sub-guest", {"email": "guest@elsewhere.gov.uk", "tid": "another-tenant"})
    assert sso_sign_in(app.test_client(), "sub-home").status_code == 302
    client = app.test_client()
    html = assert_refused(app, client, sso_sign_in(client, "sub-guest"), "wrong tenant", 403)
    assert "another organisation" in html


def test_the_redirect_uri_is_the_public_address_behind_a_proxy(
    settings: Settings, issuer: str
) -> None:
    app = sso_app(settings, issuer, public_url="https://data.thamesbury.gov.uk")
    start = urlsplit(app.test_client().get("/sign-in/sso").headers["Location"])
    query = parse_qs(start.query)
    assert query["redirect_uri"] == ["https://data.thamesbury.gov.uk/sign-in/sso/callback"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]

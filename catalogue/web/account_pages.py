"""Accounts and API tokens on the web: admins list accounts (role, department,
local or single sign-on, last sign-in, disabled), change role and department,
disable and enable, and create and revoke anyone's API tokens; everyone signed
in sees, creates and revokes their own tokens.

The same services as ``catalogue user …`` and ``catalogue token …``
(``services.accounts`` and ``services.tokens``): the same checks, and every
action in the audit trail. A new token's secret is shown once, on the page
that answers the form, and never stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from catalogue.errors import Conflict, Invalid, NotFound
from catalogue.http import catalogue, current_principal, reading
from catalogue.services import accounts, tokens
from catalogue.services.access import ROLES
from catalogue.services.record_types import TokenRecord, UserRecord
from catalogue.web.presenters import sentence_case, signed_in

bp = Blueprint("accounts", __name__)
NO_STORE = {"Cache-Control": "no-store"}
ROLE_HINTS = {
    "viewer": "Sees open and internal data, and restricted data of their department",
    "steward": "As a viewer, and changes the assets of their department",
    "auditor": "Sees everything and the audit trail; changes nothing",
    "admin": "Everything, including accounts and everyone's API tokens",
}


def _admins_only() -> None:
    """The admin pages are not there for anyone else: 404, as for an asset one
    may not see (the address says nothing, not even that the account exists)."""
    if current_principal().role != "admin":
        raise NotFound("there is no such page")


def _account(username: str) -> tuple[UserRecord, list[TokenRecord]]:
    _admins_only()
    principal = current_principal()
    with catalogue().reading(principal) as reader:
        record = accounts.user_record(accounts.get_user(reader.session, username))
        held = tokens.list_tokens(reader, record["username"])
    return record, held


def _account_page(username: str, status: int = 200, **context: Any) -> tuple[str, int, Any]:
    record, held = _account(username)
    context.setdefault("errors", {})
    context.setdefault("values", {"role": record["role"], "department": record["department"]})
    page = render_template(
        "accounts/account.html",
        account=record,
        tokens=held,
        roles=ROLES,
        role_hints=ROLE_HINTS,
        max_days=tokens.MAX_TOKEN_DAYS,
        default_days=tokens.DEFAULT_TOKEN_DAYS,
        **context,
    )
    return page, status, NO_STORE


@bp.get("/admin/accounts")
@signed_in
def account_list() -> Any:
    """Every account (admins): role, department, source, last sign-in, disabled."""
    _admins_only()
    with reading() as reader:
        people = accounts.list_users(reader)
    return render_template("accounts/accounts.html", people=people), 200, NO_STORE


@bp.get("/admin/accounts/<username>")
@signed_in
def account(username: str) -> Any:
    """One account: change its role and department, disable it, its tokens."""
    return _account_page(username)


@bp.post("/admin/accounts/<username>/role")
@signed_in
def change_role(username: str) -> Any:
    """A new role and department (the same services as ``catalogue user set-role``)."""
    _admins_only()
    role = request.form.get("role", "")
    department = request.form.get("department", "")
    values = {"role": role, "department": department}
    try:
        with catalogue().sessions.begin() as db:
            accounts.set_role(db, current_principal(), username, role)
            record = accounts.set_department(db, current_principal(), username, department)
    except Invalid as error:
        errors = {p.field or "role": sentence_case(p.message) for p in error.problems}
        if "role" in errors:
            errors["role"] = "Choose a role"
        return _account_page(username, 422, errors=errors, values=values)
    flash(
        f"{record['name']} is now {record['role']}, in {record['department'] or 'no department'}.",
        "success",
    )
    return redirect(url_for("accounts.account", username=record["username"]))


@bp.post("/admin/accounts/<username>/disabled")
@signed_in
def change_disabled(username: str) -> Any:
    """Disable or enable (as ``catalogue user disable|enable``)."""
    _admins_only()
    disable = request.form.get("disabled") == "yes"
    with catalogue().sessions.begin() as db:
        record = accounts.set_disabled(db, current_principal(), username, disable)
    state = "disabled: their sessions and tokens are refused" if disable else "enabled"
    flash(f"{record['name']} is {state}.", "success")
    return redirect(url_for("accounts.account", username=record["username"]))


def _create_token(username: str, back: str) -> Any:
    """Create a token for ``username`` and show its secret once; on a problem,
    the form again saying what is wrong."""
    label = request.form.get("label", "")
    days_text = request.form.get("expires_in_days", "").strip() or str(tokens.DEFAULT_TOKEN_DAYS)
    errors: dict[str, str] = {}
    days = int(days_text) if days_text.isdigit() else 0
    try:
        with catalogue().sessions.begin() as db:
            created = tokens.create_token(db, current_principal(), username, label, days)
    except Invalid as error:
        for problem in error.problems:
            errors[problem.field or "label"] = sentence_case(problem.message)
    except Conflict as error:
        errors["label"] = sentence_case(error.message)
    if errors:
        values = {"label": label, "expires_in_days": days_text}
        if back == "own":
            return _own_page(422, errors=errors, values=values)
        return _account_page(username, 422, token_errors=errors, token_values=values)
    page = render_template(
        "accounts/token_created.html",
        token=created.token,
        secret=created.secret,
        back=url_for("accounts.own_tokens")
        if back == "own"
        else url_for("accounts.account", username=username),
    )
    return page, 201, NO_STORE


@bp.post("/admin/accounts/<username>/tokens")
@signed_in
def create_token_for(username: str) -> Any:
    """An admin creates an API token for someone (as ``catalogue token create``)."""
    _admins_only()
    return _create_token(username, "account")


@bp.post("/tokens/<int:token_id>/revoke")
@signed_in
def revoke(token_id: int) -> Any:
    """Revoke a token (its owner or an admin): refused from the next request on."""
    with catalogue().sessions.begin() as db:
        token = tokens.revoke_token(db, current_principal(), token_id)
    flash(f"The token “{token['label']}” is revoked.", "success")
    if request.form.get("back") == "account" and current_principal().role == "admin":
        return redirect(url_for("accounts.account", username=token["username"]))
    return redirect(url_for("accounts.own_tokens"))


def _own_page(status: int = 200, **context: Any) -> tuple[str, int, Any]:
    principal = current_principal()
    with catalogue().reading(principal) as reader:
        held = tokens.list_tokens(reader, principal.name)
    context.setdefault("errors", {})
    context.setdefault("values", {})
    page = render_template(
        "accounts/own_tokens.html",
        tokens=held,
        max_days=tokens.MAX_TOKEN_DAYS,
        default_days=tokens.DEFAULT_TOKEN_DAYS,
        **context,
    )
    return page, status, NO_STORE


@bp.route("/account/tokens", methods=["GET", "POST"])
@signed_in
def own_tokens() -> Any:
    """Your own API tokens: see, create (shown once) and revoke them."""
    if request.method == "POST":
        return _create_token(current_principal().name, "own")
    return _own_page()

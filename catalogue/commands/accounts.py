"""`catalogue user …`, `catalogue token …` and `catalogue audit`: accounts, API
tokens and the auditors' trail. The CLI acts as an admin (see Context.principal)."""

from __future__ import annotations

import sys
from typing import Any

import click

from catalogue.commands import Context, emit_csv, emit_json, emit_table, format_option, pass_context
from catalogue.services import accounts, assets, passwords, tokens
from catalogue.services.access import ROLES
from catalogue.services.audit import AUDIT_COLUMNS, audit_entries, parse_moment

USER_COLUMNS = [
    "username", "name", "email", "role", "department", "source", "last_sign_in_at", "disabled",
]  # fmt: skip
TOKEN_COLUMNS = ["id", "username", "label", "prefix", "state", "expires_at", "last_used_at"]


@click.group(name="user")
def user_group() -> None:
    """Local accounts: add, list, change role or password, disable."""


def read_password(password: str | None, from_stdin: bool, no_password: bool) -> str | None:
    """The new user's password: from the option, one line of stdin, or a prompt."""
    if sum([password is not None, from_stdin, no_password]) > 1:
        raise click.UsageError("give only one of --password, --password-stdin, --no-password")
    if no_password:
        return None
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if password is not None:
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def department_note(obj: Context, department: str | None) -> str | None:
    """A warning when no asset has that department: probably a typing mistake."""
    if not department:
        return None
    with obj.catalogue.read() as session:
        known = assets.department_names(session)
    if not known or department in known:
        return None
    return f"note: no asset has department {department!r} yet; known: {', '.join(sorted(known))}"


@user_group.command(name="add")
@click.argument("username")
@click.option("--name", required=True, help="Full name, e.g. 'Aisha Begum'.")
@click.option("--email", help="Work email (the name their changes are recorded under).")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--department", help="Service area, spelt as on the assets, e.g. 'Housing'.")
@click.option("--password", help="The password (visible in shell history: prefer the prompt).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="No password: API tokens only.")
@pass_context
def add_user(
    obj: Context,
    username: str,
    name: str,
    email: str | None,
    role: str,
    department: str | None,
    password: str | None,
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Add the account USERNAME. Without a password option you are prompted."""
    secret = read_password(password, password_stdin, no_password)
    with obj.catalogue.sessions.begin() as session:
        user = accounts.add_user(
            session,
            obj.principal,
            username,
            name=name,
            email=email,
            role=role,
            department=department,
            password=secret,
        )
    where = f", {user['department']}" if user["department"] else ""
    click.echo(f"Added user {user['username']} ({user['role']}{where}).")
    note = department_note(obj, user["department"])
    if note:
        click.echo(note, err=True)


@user_group.command(name="list")
@format_option("text", "json")
@pass_context
def list_users(obj: Context, fmt: str) -> None:
    """Every account, by username."""
    with obj.reading() as reader:
        users = accounts.list_users(reader)
    if fmt == "json":
        emit_json(users)
    else:
        emit_table(users, USER_COLUMNS)


@user_group.command(name="set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@pass_context
def set_role(obj: Context, username: str, role: str) -> None:
    """Give USERNAME the role ROLE (from their next request on)."""
    with obj.catalogue.sessions.begin() as session:
        user = accounts.set_role(session, obj.principal, username, role)
    click.echo(f"{user['username']} is now {user['role']}.")


@user_group.command(name="set-department")
@click.argument("username")
@click.argument("department")
@pass_context
def set_department(obj: Context, username: str, department: str) -> None:
    """Move USERNAME to DEPARTMENT ("" for none), from their next request on."""
    with obj.catalogue.sessions.begin() as session:
        user = accounts.set_department(session, obj.principal, username, department)
    click.echo(f"{user['username']} is now in {user['department'] or 'no department'}.")
    note = department_note(obj, user["department"])
    if note:
        click.echo(note, err=True)


@user_group.command(name="set-password")
@click.argument("username")
@click.option("--password", help="The password (visible in shell history: prefer the prompt).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def set_password(obj: Context, username: str, password: str | None, password_stdin: bool) -> None:
    """Set USERNAME's password (without an option you are prompted, twice): for
    a forgotten one. Every browser signed in as them is signed out; their API
    tokens still work."""
    secret = read_password(password, password_stdin, False) or ""
    with obj.catalogue.sessions.begin() as session:
        user = passwords.set_password(session, obj.principal, username, secret)
    click.echo(f"{user['username']}'s password is changed: their sessions have ended.")


def _set_disabled(obj: Context, username: str, disabled: bool) -> None:
    with obj.catalogue.sessions.begin() as session:
        user = accounts.set_disabled(session, obj.principal, username, disabled)
    state = "disabled: their session and tokens are refused" if disabled else "enabled"
    click.echo(f"{user['username']} is {state}.")


@user_group.command(name="disable")
@click.argument("username")
@pass_context
def disable(obj: Context, username: str) -> None:
    """Disable USERNAME: sign-in, session and tokens refused at once."""
    _set_disabled(obj, username, True)


@user_group.command(name="enable")
@click.argument("username")
@pass_context
def enable(obj: Context, username: str) -> None:
    """Enable USERNAME again."""
    _set_disabled(obj, username, False)


@click.group(name="token")
def token_group() -> None:
    """API tokens for scripts: create (shown once), list, revoke."""


@token_group.command(name="create")
@click.argument("username")
@click.option("--label", required=True, help="What the token is for, e.g. 'nightly export'.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, tokens.MAX_TOKEN_DAYS),
    default=tokens.DEFAULT_TOKEN_DAYS,
    show_default=True,
)
@format_option("text", "json")
@pass_context
def create_token(obj: Context, username: str, label: str, expires_in_days: int, fmt: str) -> None:
    """Create an API token for USERNAME. The token is printed once: copy it now."""
    with obj.catalogue.sessions.begin() as session:
        new = tokens.create_token(session, obj.principal, username, label, expires_in_days)
    if fmt == "json":
        emit_json({**new.token, "token": new.secret})
        return
    token = new.token
    click.echo(
        f"Created token {token['id']} for {token['username']} ({token['label']!r}), "
        f"expires {(token['expires_at'] or '')[:10]}.\n"
        "Copy it now: it is not stored and will not be shown again.\n"
    )
    click.echo(new.secret)


@token_group.command(name="list")
@click.argument("username", required=False)
@format_option("text", "json")
@pass_context
def list_tokens(obj: Context, username: str | None, fmt: str) -> None:
    """API tokens of USERNAME (or everyone's), newest first. Never the secrets."""
    with obj.reading() as reader:
        found = tokens.list_tokens(reader, username)
    if fmt == "json":
        emit_json(found)
    else:
        emit_table([{**t, "prefix": t["prefix"] + "…"} for t in found], TOKEN_COLUMNS)


@token_group.command(name="revoke")
@click.argument("token_id", metavar="ID", type=int)
@pass_context
def revoke_token(obj: Context, token_id: int) -> None:
    """Revoke token ID: refused from the next request on."""
    with obj.catalogue.sessions.begin() as session:
        token = tokens.revoke_token(session, obj.principal, token_id)
    click.echo(f"Token {token['id']} ({token['label']!r}, {token['username']}) is revoked.")


@click.command()
@click.option("--since", metavar="DATE", help="From this ISO date or date-time (UTC).")
@click.option("--until", metavar="DATE", help="Up to this ISO date (all of it) or date-time.")
@click.option("--actor", help="Only what this person did (username or email).")
@click.option("--asset", metavar="KEY", help="Only changes to this asset.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N entries.")
@format_option("text", "json", "csv")
@pass_context
def audit(obj: Context, fmt: str, **options: Any) -> None:
    """The audit trail: every change and every sign-in, failure, token and account
    change, oldest first, with who did it."""
    since = parse_moment(options["since"], "since")
    until = parse_moment(options["until"], "until", end_of_day=True)
    if since and until and since > until:
        raise click.BadParameter(
            f"--since {options['since']} is after --until {options['until']}: "
            "nothing could match; swap them",
            param_hint="--since/--until",
        )
    with obj.reading() as reader:
        entries = audit_entries(
            reader,
            since=since,
            until=until,
            actor=options["actor"],
            asset=options["asset"],
            limit=options["limit"],
        )
    if fmt == "json":
        emit_json(entries)
    elif fmt == "csv":
        emit_csv(entries, AUDIT_COLUMNS)
    else:
        for e in entries:
            where = f"  {e['asset']}" if e["asset"] else ""
            click.echo(f"{e['time'][:19]}  {e['actor']}  {e['action']}{where}  {e['detail'] or ''}")

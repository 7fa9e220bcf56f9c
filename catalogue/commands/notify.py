"""`catalogue watch …`, `catalogue notify …` and `catalogue webhook …`: watching,
the notification worker, its delivery log and the webhooks (#19)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import click
from sqlalchemy.orm import Session

from catalogue.commands import Context, emit_json, emit_table, format_option, pass_context
from catalogue.db import utcnow
from catalogue.models import User
from catalogue.services import notify, watches, webhooks
from catalogue.services.accounts import get_user
from catalogue.services.notify_settings import load_notify_settings

#: Delivery and webhook numbers as the database holds them (a 32-bit integer).
ROW_ID = click.IntRange(1, 2**31 - 1)
WATCH_COLUMNS = ["kind", "target", "upstream", "source"]
LOG_COLUMNS = ["id", "channel", "recipient", "state", "attempts", "last_status", "kind", "text"]


def emit_rows(rows: Sequence[Mapping[str, Any]], fmt: str, columns: list[str], empty: str) -> None:
    """JSON, or a table, or a line saying there is nothing."""
    if fmt == "json":
        emit_json(rows)
    elif rows:
        emit_table(rows, columns)
    else:
        click.echo(empty)


@click.group(name="watch")
def watch_group() -> None:
    """Watch assets, departments and reports with their upstream, and be told of changes."""


def _user_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--user",
        help="Whose watches (username or e-mail); default the person acting (--as).",
    )(f)


def _target(target: str, department: bool) -> watches.Target:
    return watches.Target("department" if department else "asset", target)


def _account(obj: Context, session: Session, user: str | None) -> User:
    return get_user(session, user) if user else watches.account_of(session, obj.principal)


@watch_group.command(name="add")
@click.argument("target")
@click.option("--department", is_flag=True, help="TARGET is a department, not an asset key.")
@click.option("--upstream", is_flag=True, help="Also hear of everything upstream of TARGET.")
@_user_option
@pass_context
def watch_add(obj: Context, target: str, department: bool, upstream: bool, user: str | None):
    """Watch TARGET: an asset key (with --upstream, everything that feeds it too)
    or, with --department, a department's assets."""
    with obj.catalogue.sessions() as session, session.begin():
        record = watches.add_watch(
            session, _account(obj, session, user), _target(target, department), upstream
        )
    extra = " and everything upstream of it" if record["upstream"] else ""
    click.echo(f"Watching {record['kind']} {record['target']}{extra}.")


@watch_group.command(name="remove")
@click.argument("target")
@click.option("--department", is_flag=True, help="TARGET is a department.")
@_user_option
@pass_context
def watch_remove(obj: Context, target: str, department: bool, user: str | None) -> None:
    """Stop watching TARGET (an owner or steward opts out of their own asset)."""
    with obj.catalogue.sessions() as session, session.begin():
        watches.remove_watch(session, _account(obj, session, user), _target(target, department))
    click.echo(f"No longer watching {target}.")


@watch_group.command(name="list")
@_user_option
@format_option("text", "json")
@pass_context
def watch_list(obj: Context, user: str | None, fmt: str) -> None:
    """What a person watches, including the assets they own or steward."""
    with obj.catalogue.read() as session:
        rows = watches.list_watches(session, _account(obj, session, user))
    emit_rows(rows, fmt, WATCH_COLUMNS, "Watching nothing.")


@watch_group.command(name="email")
@click.argument("mode", type=click.Choice(watches.EMAIL_MODES))
@_user_option
@pass_context
def watch_email(obj: Context, mode: str, user: str | None) -> None:
    """How a person is told: a message for each change (immediate), one daily digest, or off."""
    with obj.catalogue.sessions() as session, session.begin():
        watches.set_email_mode(session, _account(obj, session, user), mode)
    click.echo(f"E-mail: {mode}.")


@click.group(name="notify")
def notify_group() -> None:
    """The notification worker and its delivery log."""


@notify_group.command(name="run")
@click.option("--once", is_flag=True, help="One pass, then exit (for cron).")
@format_option("text", "json")
@pass_context
def notify_run(obj: Context, once: bool, fmt: str) -> None:
    """Tell watchers of new changes: e-mail (immediate or daily digest) and webhooks.
    Runs until stopped, or one pass with --once. A second worker waits for the first."""
    settings = load_notify_settings()
    cat = obj.catalogue

    def waiting() -> None:
        click.echo("Another notify worker is running; waiting for it.", err=True)

    while True:
        done = notify.run_once(cat, settings, waiting=waiting)
        if fmt == "json":
            emit_json(done.as_dict())
        else:
            click.echo(
                f"{done.changes} changes read, {done.queued} deliveries queued, {done.sent} "
                f"sent, {done.retrying} to retry, {done.failed} failed."
                + (f" {done.pruned} old sent deliveries pruned." if done.pruned else ""),
                err=not once,
            )
        if once:
            return
        sys.stdout.flush()
        time.sleep(settings.poll_seconds)


@notify_group.command(name="log")
@click.option("--webhook", "hook", type=ROW_ID, help="Only this webhook's deliveries.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@format_option("text", "json")
@pass_context
def notify_log(obj: Context, hook: int | None, limit: int, fmt: str) -> None:
    """The delivery log, newest first: e-mails, digests and webhook calls."""
    with obj.reading() as reader:
        rows = webhooks.delivery_log(reader, hook, limit)
    emit_rows(rows, fmt, LOG_COLUMNS, "Nothing delivered yet.")


@notify_group.command(name="resend")
@click.argument("delivery", type=ROW_ID)
@pass_context
def notify_resend(obj: Context, delivery: int) -> None:
    """Send a delivery again on the worker's next pass (same event id)."""
    with obj.catalogue.sessions() as session, session.begin():
        webhooks.send_again(session, obj.principal, delivery, utcnow())
    click.echo(f"Delivery {delivery} will be sent again on the worker's next pass.")


@click.group(name="webhook")
def webhook_group() -> None:
    """Webhooks: other systems receive each change as a signed CloudEvent."""


@webhook_group.command(name="add")
@click.argument("url")
@click.option("--description", help="Who receives it, e.g. 'Housing Teams channel'.")
@format_option("text", "json")
@pass_context
def webhook_add(obj: Context, url: str, description: str | None, fmt: str) -> None:
    """Register URL; prints its signing secret once. The host must be allowed
    by CATALOGUE_WEBHOOK_ALLOWED_HOSTS."""
    settings = load_notify_settings()
    with obj.catalogue.sessions() as session, session.begin():
        record = webhooks.add_webhook(session, obj.principal, url, settings, description)
    if fmt == "json":
        emit_json(record)
        return
    click.echo(f"Webhook {record['id']} registered for {record['url']}.")
    click.echo(f"Signing secret (shown once): {record['secret']}")


@webhook_group.command(name="list")
@format_option("text", "json")
@pass_context
def webhook_list(obj: Context, fmt: str) -> None:
    """Registered webhooks (never their secrets)."""
    with obj.reading() as reader:
        rows = webhooks.list_webhooks(reader)
    emit_rows(rows, fmt, ["id", "url", "description", "active", "created_by"], "No webhooks.")


@webhook_group.command(name="remove")
@click.argument("hook", type=ROW_ID)
@pass_context
def webhook_remove(obj: Context, hook: int) -> None:
    """Stop sending to a webhook; its delivery log stays."""
    with obj.catalogue.sessions() as session, session.begin():
        webhooks.remove_webhook(session, obj.principal, hook)
    click.echo(f"Webhook {hook} removed.")

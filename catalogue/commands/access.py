"""`catalogue access …`: access requests and grants (#17) for admins and
auditors at the terminal. The CLI acts as an administrator under ``--as``, so it
lists every request and may decide any; the requester is e-mailed the answer."""

from __future__ import annotations

import click

from catalogue.commands import Context, emit_json, emit_table, format_option, pass_context
from catalogue.db import utcnow
from catalogue.services import access_requests
from catalogue.services.notify_settings import load_notify_settings

REQUEST_ID = click.IntRange(1, 2**31 - 1)
COLUMNS = ["id", "asset", "requester", "until", "status", "in_force", "reason"]


@click.group(name="access")
def access_group() -> None:
    """Access requests and grants: list them, approve or decline them."""


@access_group.command(name="requests")
@click.option(
    "--status", type=click.Choice(access_requests.STATUSES), help="Only requests in this state."
)
@format_option("table", "json")
@pass_context
def access_requests_command(obj: Context, status: str | None, fmt: str) -> None:
    """Every access request, newest first: who asked for what, why, until when,
    and the answer (``in_force``: approved and not past its date)."""
    with obj.reading() as reader:
        rows = access_requests.list_requests(reader, "all", utcnow().date(), status)
    if fmt == "json":
        emit_json(rows)
    elif rows:
        emit_table(rows, COLUMNS)
    else:
        click.echo("No access requests.")


def _decide(obj: Context, request_id: int, approve: bool, reason: str) -> None:
    with obj.catalogue.write(obj.principal) as writer:
        decided = access_requests.decide(
            writer, request_id, approve, reason, base_url=load_notify_settings().base_url
        )
    until = f" until {decided['until']}" if approve else ""
    click.echo(
        f"Access request {request_id} {decided['status']}: {decided['requester']} "
        f"for {decided['asset']}{until}. They will be told by e-mail."
    )


REASON = click.option("--reason", required=True, help="Why; the requester is told it.")


@access_group.command(name="approve")
@click.argument("request_id", type=REQUEST_ID)
@REASON
@pass_context
def approve_command(obj: Context, request_id: int, reason: str) -> None:
    """Approve access request REQUEST_ID: its requester may see the asset until
    the date they asked for."""
    _decide(obj, request_id, True, reason)


@access_group.command(name="decline")
@click.argument("request_id", type=REQUEST_ID)
@REASON
@pass_context
def decline_command(obj: Context, request_id: int, reason: str) -> None:
    """Decline access request REQUEST_ID, with a reason the requester is told."""
    _decide(obj, request_id, False, reason)

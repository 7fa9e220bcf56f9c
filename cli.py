"""The `catalogue` command: parse, call services, print. No logic of its own."""

from __future__ import annotations

import click

from catalogue.commands import CatalogueGroup, Context, pass_context
from catalogue.commands.accounts import audit, token_group, user_group
from catalogue.commands.assets import history, list_, register, retire, show, update
from catalogue.commands.files import apply, demo, export
from catalogue.commands.governance import governance_group, review_group
from catalogue.commands.harvest import harvest_group
from catalogue.commands.imports import import_group
from catalogue.commands.lineage import lineage_group
from catalogue.commands.notify import notify_group, watch_group, webhook_group
from catalogue.commands.search import index_group, search
from catalogue.commands.serve import serve
from catalogue.config import _default_actor
from catalogue.migrate import current_revision, head_revision, upgrade

ACTOR_MAX = 200


def _actor(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Who is acting is evidence: a name or e-mail of at most 200 printable
    characters, blanks trimmed; anything else is a usage mistake (exit 2)."""
    actor = (value or "").strip()
    if not actor:
        raise click.BadParameter("is empty: say who you are, e.g. --as aisha.begum@council.gov.uk")
    if len(actor) > ACTOR_MAX:
        raise click.BadParameter(f"is {len(actor):,} characters long; at most {ACTOR_MAX}")
    if any(not ch.isprintable() for ch in actor):
        raise click.BadParameter("must not contain control characters (tabs, new lines…)")
    return actor


@click.group(cls=CatalogueGroup)
@click.option(
    "--as",
    "actor",
    envvar="CATALOGUE_ACTOR",
    default=_default_actor,
    callback=_actor,
    show_default="your user name",
    help="Who is acting (recorded in the history): a name or e-mail, at most 200 characters.",
)
@click.version_option(package_name="council-catalogue")
@click.pass_context
def main(ctx: click.Context, actor: str) -> None:
    """A data catalogue and lineage tracker for a council.

    Settings come from CATALOGUE_* environment variables (see the README).
    """
    ctx.obj = Context(actor=actor)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@pass_context
def init(obj: Context) -> None:
    """Create or upgrade the database and the instance folder."""
    upgrade(obj.settings.resolved_database_url)
    click.echo(f"Catalogue ready: {obj.settings.resolved_database_url}")


@main.group()
def db() -> None:
    """Database schema migrations."""


@db.command(name="upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_context
def db_upgrade(obj: Context, revision: str) -> None:
    """Apply migrations up to REVISION."""
    from alembic.util import CommandError

    if not revision.strip():
        raise click.BadParameter("is empty: give a revision id, or head", param_hint="--revision")
    try:
        upgrade(obj.settings.resolved_database_url, revision.strip())
    except CommandError as error:
        raise click.ClickException(f"cannot upgrade to revision {revision!r}: {error}") from None
    click.echo(f"Database at revision {revision}.")


@db.command(name="current")
@pass_context
def db_current(obj: Context) -> None:
    """Show the database's revision and the newest one available."""
    from catalogue.db import make_engine

    url = obj.settings.resolved_database_url
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision(url)
    state = "up to date" if current == head else "needs `catalogue db upgrade`"
    click.echo(f"current: {current or 'none (empty database)'}\nhead:    {head}\n{state}")


for command in (register, update, retire, show, list_, history, apply, export, demo, serve):
    main.add_command(command)
main.add_command(lineage_group)
main.add_command(review_group)
main.add_command(governance_group)
main.add_command(user_group)
main.add_command(token_group)
main.add_command(audit)
main.add_command(search)
main.add_command(index_group)
main.add_command(import_group)
main.add_command(harvest_group)
main.add_command(watch_group)
main.add_command(notify_group)
main.add_command(webhook_group)


if __name__ == "__main__":
    main()

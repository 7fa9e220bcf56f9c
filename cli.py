"""The `catalogue` command: parse, call services, print. No logic of its own."""

from __future__ import annotations

import click

from catalogue.commands import CatalogueGroup, Context, pass_context
from catalogue.commands.accounts import audit, token_group, user_group
from catalogue.commands.assets import history, list_, register, retire, show, update
from catalogue.commands.files import apply, demo, export
from catalogue.commands.governance import governance_group, review_group
from catalogue.commands.imports import import_group
from catalogue.commands.lineage import lineage_group
from catalogue.commands.search import index_group, search
from catalogue.commands.serve import serve
from catalogue.config import _default_actor
from catalogue.migrate import current_revision, head_revision, upgrade


@click.group(cls=CatalogueGroup)
@click.option(
    "--as",
    "actor",
    envvar="CATALOGUE_ACTOR",
    default=_default_actor,
    show_default="your user name",
    help="Who is acting (recorded in the history).",
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
    upgrade(obj.settings.resolved_database_url, revision)
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


if __name__ == "__main__":
    main()

"""The `catalogue` command: parse, call services, print. No logic of its own."""

from __future__ import annotations

import click

from catalogue.commands import CatalogueGroup, Context, pass_context
from catalogue.config import _default_actor

#: Every command but init and db (defined below), imported only when it is run,
#: so that `catalogue --version` and `--help` start at once and `catalogue show`
#: does not import the web app, the lineage graph or the search index. The help
#: text is the command's own docstring's first sentence: tests/test_docs.py
#: checks that each says what its command says.
COMMANDS = {
    "access": (
        "catalogue.commands.access:access_group",
        "Access requests and grants: list them, approve or decline them.",
    ),
    "apply": (
        "catalogue.commands.files:apply",
        "Create or update assets and their upstream lineage from YAML, JSON or CSV FILES.",
    ),
    "audit": (
        "catalogue.commands.accounts:audit",
        "The audit trail: every change and every sign-in, failure, token and account change, "
        "oldest first, with who did it.",
    ),
    "demo": (
        "catalogue.commands.files:demo",
        "Load the demo catalogue of a fictional London borough, with its history.",
    ),
    "export": (
        "catalogue.commands.files:export",
        "Export the whole catalogue as a file `catalogue apply` can read back.",
    ),
    "glossary": (
        "catalogue.commands.glossary:glossary_group",
        "The business glossary: the council's terms, their definitions and synonyms.",
    ),
    "governance": (
        "catalogue.commands.governance:governance_group",
        "The registers the Senior Information Risk Owner keeps.",
    ),
    "harvest": (
        "catalogue.commands.harvest:harvest_group",
        "Read the council's databases, SQL scripts and spreadsheet folders into the catalogue.",
    ),
    "history": (
        "catalogue.commands.assets:history",
        "Every change to asset KEY and its lineage: when, who, what.",
    ),
    "import": (
        "catalogue.commands.imports:import_group",
        "Import metadata from other catalogues and tools.",
    ),
    "index": (
        "catalogue.commands.search:index_group",
        "The search index: status, rebuild, verify.",
    ),
    "lineage": (
        "catalogue.commands.lineage:lineage_group",
        "What feeds what: add and end edges, trace reports, check sensitivity.",
    ),
    "list": (
        "catalogue.commands.assets:list_",
        "List assets, filtered by kind, department, owner or tag.",
    ),
    "notify": (
        "catalogue.commands.notify:notify_group",
        "The notification worker and its delivery log.",
    ),
    "register": (
        "catalogue.commands.assets:register",
        "Register a new asset of KIND (dataset, report, source_system, pipeline) as KEY.",
    ),
    "retire": ("catalogue.commands.assets:retire", "Retire asset KEY."),
    "review": (
        "catalogue.commands.governance:review_group",
        "Owners' reviews: confirm an asset is still correct; list reviews due.",
    ),
    "search": (
        "catalogue.commands.search:search",
        'Search the catalogue as staff do: "bins", "council tax arrears", "school places".',
    ),
    "serve": (
        "catalogue.commands.serve:serve",
        "Serve the catalogue's pages and API with gunicorn.",
    ),
    "show": ("catalogue.commands.assets:show", "Show every field of asset KEY."),
    "token": (
        "catalogue.commands.accounts:token_group",
        "API tokens for scripts: create (shown once), list, revoke.",
    ),
    "update": (
        "catalogue.commands.assets:update",
        "Change fields of asset KEY; fields not given stay as they are.",
    ),
    "watch": (
        "catalogue.commands.notify:watch_group",
        "Watch assets, departments and reports with their upstream, and be told of changes.",
    ),
    "webhook": (
        "catalogue.commands.notify:webhook_group",
        "Webhooks: other systems receive each change as a signed CloudEvent.",
    ),
    "user": (
        "catalogue.commands.accounts:user_group",
        "Local accounts: add, list, change role or password, disable.",
    ),
}

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


@click.group(cls=CatalogueGroup, lazy=COMMANDS)
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

    Settings come from CATALOGUE_* environment variables (see docs/configuration.md).
    """
    ctx.obj = Context(actor=actor)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@pass_context
def init(obj: Context) -> None:
    """Create or upgrade the database and the instance folder."""
    from catalogue.migrate import upgrade

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

    from catalogue.migrate import upgrade

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
    from catalogue.migrate import current_revision, head_revision

    url = obj.settings.resolved_database_url
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision(url)
    state = "up to date" if current == head else "needs `catalogue db upgrade`"
    click.echo(f"current: {current or 'none (empty database)'}\nhead:    {head}\n{state}")


if __name__ == "__main__":
    main()

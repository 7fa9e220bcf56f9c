"""`catalogue glossary`: the council's business glossary (#18) — add, update,
list and show terms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from catalogue.commands import Context, emit_csv, emit_json, emit_table, format_option, pass_context
from catalogue.commands.assets import changed_values
from catalogue.text import shown_safely

STATUSES = ("draft", "approved")
LIST_COLUMNS = ["slug", "name", "status", "department", "owner", "synonyms"]


def term_options(command: Any) -> Any:
    """The options add and update share, one per field of a term."""
    options = [
        click.option("--definition", help="What the term means (Markdown)."),
        click.option(
            "--synonym",
            "synonyms",
            multiple=True,
            help="Another word for it, e.g. an acronym (repeat for several; "
            "on update, replaces the list).",
        ),
        click.option("--owner", help="Who answers for the definition (a name or e-mail)."),
        click.option("--department", help="The department the term belongs to."),
        click.option(
            "--related", multiple=True, help="The slug of a related term (repeat for several)."
        ),
        click.option(
            "--asset",
            "assets",
            multiple=True,
            help="An asset it describes, KEY, or one of its columns, KEY:COLUMN "
            "(repeat for several; on update, replaces the list).",
        ),
        click.option("--status", type=click.Choice(STATUSES), help="draft or approved."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def given(**values: Any) -> dict[str, Any]:
    """The fields a person gave (an empty repeated option is "not given")."""
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if v not in (None, ())
    }


@click.group(name="glossary")
def glossary_group() -> None:
    """The business glossary: the council's terms, their definitions and synonyms."""


@glossary_group.command(name="add")
@click.argument("name")
@term_options
@format_option("text", "json")
@pass_context
def glossary_add(obj: Context, name: str, fmt: str, **fields: Any) -> None:
    """Add the term NAME to the glossary (a draft unless --status approved)."""
    from catalogue.services import glossary

    with obj.catalogue.write(obj.actor) as writer:
        record = glossary.add_term(writer, {"name": name, **given(**fields)})
    _done(record, fmt, "Added")


@glossary_group.command(name="update")
@click.argument("slug")
@click.option("--name", help="A new name for the term.")
@term_options
@click.option("--version", "expected_version", type=int, help="Refuse if the term has changed.")
@format_option("text", "json")
@pass_context
def glossary_update(
    obj: Context, slug: str, expected_version: int | None, fmt: str, **fields: Any
) -> None:
    """Change fields of glossary term SLUG; the change is kept in its history."""
    from catalogue.services import glossary

    changes = given(**fields)
    if not changes:
        raise click.UsageError("say what to change, e.g. --definition or --status approved")
    with obj.catalogue.write(obj.actor) as writer:
        record = glossary.update_term(writer, slug, changes, expected_version)
    _done(record, fmt, "Updated")


def _done(record: Mapping[str, Any], fmt: str, verb: str) -> None:
    if fmt == "json":
        emit_json(record)
    else:
        click.echo(f"{verb} {record['slug']} ({record['name']}, {record['status']}).")


@glossary_group.command(name="list")
@click.option("--status", type=click.Choice(STATUSES), help="Only draft or approved terms.")
@click.option("--department", help="Only this department's terms.")
@format_option("text", "json", "csv")
@pass_context
def glossary_list(obj: Context, status: str | None, department: str | None, fmt: str) -> None:
    """List the glossary's terms, A to Z."""
    from catalogue.services import glossary

    with obj.reading() as reader:
        terms = glossary.list_terms(reader, status, department)
    if fmt == "json":
        emit_json(terms)
        return
    rows = [{**t, "synonyms": "; ".join(t["synonyms"])} for t in terms]
    if fmt == "csv":
        emit_csv(rows, LIST_COLUMNS)
    elif rows:
        emit_table(rows, LIST_COLUMNS)
    else:
        click.echo("The glossary has no terms yet.")


@glossary_group.command(name="show")
@click.argument("slug")
@format_option("text", "json")
@pass_context
def glossary_show(obj: Context, slug: str, fmt: str) -> None:
    """Show glossary term SLUG: its definition, synonyms, linked assets and history."""
    from catalogue.services import glossary

    with obj.reading() as reader:
        record = glossary.get_term(reader, slug)
        linked = glossary.linked_assets(reader, record)
        changes = glossary.history(reader, slug)
    if fmt == "json":
        emit_json({**record, "linked_assets": linked, "history": changes})
        return
    click.echo(f"{shown_safely(record['name'])}  ({record['status']})")
    for label, value in (
        ("synonyms", ", ".join(record["synonyms"])),
        ("department", record["department"]),
        ("owner", record["owner"]),
        ("related", ", ".join(record["related"])),
    ):
        if value:
            click.echo(f"  {label}: {shown_safely(value)}")
    click.echo("")
    click.echo(shown_safely(record["definition"] or "(no definition yet)", multiline=True))
    if linked:
        click.echo("\nDescribes:")
        for row in linked:
            column = f" (column {row['column']})" if row["column"] else ""
            click.echo(f"  {row['key']}  {shown_safely(row['title'])}{column}")
    click.echo("\nHistory:")
    for change in changes:
        names = [name for name, _, _ in changed_values(change)]
        what = "changed " + ", ".join(names) if change["before"] else "added"
        click.echo(f"  #{change['seq']}  {change['time'][:19]}  {change['actor']}  {what}")

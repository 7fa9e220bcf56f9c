"""Stewards' commands for single assets: register, update, retire, show, list, history."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import click

from catalogue import vocab
from catalogue.commands import (
    Context,
    emit_csv,
    emit_json,
    emit_table,
    format_option,
    pass_context,
)
from catalogue.services import assets
from catalogue.services.record_types import ChangeEntry
from catalogue.text import shown_safely

MANY: dict[str, Any] = {"multiple": True}
# (option, record field, help, extra click kwargs): one table serves register and update.
FIELD_OPTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("--title", "title", "Title staff will search for.", {}),
    ("--description", "description", "Description (Markdown).", {}),
    ("--department", "department", "Service area that holds it.", {}),
    ("--source-system", "source_system", "System it lives in.", {}),
    ("--location", "location", "URL or path.", {}),
    ("--owner", "owner", "Information Asset Owner (accountable).", {}),
    ("--owner-email", "owner_email", "Owner's email.", {}),
    ("--steward", "steward", "Day-to-day steward.", {}),
    ("--steward-email", "steward_email", "Steward's email.", {}),
    ("--contact-email", "contact_email", "Contact email for questions.", {}),
    ("--tag", "tags", "A tag (repeat for several).", {"multiple": True}),
    (
        "--classification",
        "classification",
        "Security classification.",
        {"type": click.Choice(vocab.CLASSIFICATIONS)},
    ),
    ("--access", "access", "Who may see it.", {"type": click.Choice(vocab.ACCESS_LEVELS)}),
    ("--licence", "licence", "Licence, e.g. OGL-UK-3.0.", {}),
    (
        "--personal-data/--no-personal-data",
        "personal_data",
        "Holds personal data.",
        {"default": None},
    ),
    (
        "--special-category/--no-special-category",
        "special_category",
        "Holds special category data.",
        {"default": None},
    ),
    (
        "--lawful-basis",
        "lawful_basis",
        "UK GDPR Art. 6 basis.",
        {"type": click.Choice(vocab.LAWFUL_BASES)},
    ),
    ("--article9-condition", "article9_condition", "UK GDPR Art. 9 condition.", {}),
    ("--retention-period", "retention_period", "How long it is kept.", {}),
    ("--dpia-reference", "dpia_reference", "DPIA reference.", {}),
    ("--purpose", "purpose", "Purpose of processing (UK GDPR Art. 30).", {}),
    (
        "--data-subject",
        "data_subjects",
        "A category of data subject, e.g. tenants (repeat for several).",
        {"multiple": True},
    ),
    (
        "--personal-data-category",
        "personal_data_categories",
        "A category of personal data, e.g. contact details (repeat for several).",
        {"multiple": True},
    ),
    ("--recipient", "recipients", "Who it is shared with (repeat for several).", MANY),
    (
        "--international-transfers",
        "international_transfers",
        "Transfers outside the UK and their safeguards, or 'None'.",
        {},
    ),
    (
        "--update-frequency",
        "update_frequency",
        "How often it is updated.",
        {"type": click.Choice(vocab.FREQUENCIES)},
    ),
    ("--last-updated", "last_updated", "Date last updated (YYYY-MM-DD).", {}),
    ("--review-date", "review_date", "Next review (YYYY-MM-DD).", {}),
]


MULTIPLE = ("tags", "data_subjects", "personal_data_categories", "recipients")


def field_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for flag, name, help_text, extra in reversed(FIELD_OPTIONS):
        func = click.option(flag, name, help=help_text, **extra)(func)
    return func


def given_fields(options: dict[str, Any]) -> dict[str, Any]:
    """The record fields the user actually gave on the command line."""
    out = {}
    for _flag, name, _help, _extra in FIELD_OPTIONS:
        value = options.get(name)
        if value is None or (name in MULTIPLE and not value):
            continue
        out[name] = list(value) if name in MULTIPLE else value
    return out


def show_record(record: Mapping[str, Any], fmt: str) -> None:
    if fmt == "json":
        emit_json(record)
        return
    width = max(len(k) for k in record)
    for name, value in record.items():
        if name == "columns":
            continue
        if isinstance(value, list):
            value = ", ".join(str(v.get("url") if isinstance(v, dict) else v) for v in value)
        shown = "" if value is None else shown_safely(str(value), multiline=name == "description")
        click.echo(f"{name.ljust(width)}  {shown}")
    if record.get("columns"):
        click.echo("\ncolumns:")
        emit_table(record["columns"], ["name", "type", "personal", "description"])


@click.command()
@click.argument("kind")
@click.argument("key")
@field_options
@format_option("text", "json")
@pass_context
def register(obj: Context, kind: str, key: str, fmt: str, **options: Any) -> None:
    """Register a new asset of KIND (dataset, report, source_system, pipeline) as KEY."""
    with obj.catalogue.read() as session:
        kinds = assets.known_kinds(session)
    if kind not in kinds:
        raise click.BadParameter(
            f"{kind!r} is not a kind of asset; use one of {', '.join(sorted(kinds))}",
            param_hint="KIND",
        )
    # The search index is a view: the next search catches it up with this asset.
    with obj.catalogue.write(obj.actor, update_index=False) as writer:
        record = assets.register(writer, {"kind": kind, "key": key, **given_fields(options)})
    if fmt == "json":
        emit_json(record)
    else:
        click.echo(f"Registered {record['kind']} {record['key']} (version {record['version']}).")


@click.command()
@click.argument("key")
@click.option("--kind", help="Change the kind.")
@click.option(
    "--version",
    "expected_version",
    type=click.IntRange(min=1),
    help="The version you edited; refused if the asset has changed since.",
)
@field_options
@format_option("text", "json")
@pass_context
def update(
    obj: Context, key: str, kind: str | None, expected_version: int | None, fmt: str, **options: Any
) -> None:
    """Change fields of asset KEY; fields not given stay as they are."""
    changes = given_fields(options)
    if kind:
        changes["kind"] = kind
    if not changes:
        raise click.UsageError("say what to change, e.g. --title or --owner")
    with obj.catalogue.write(obj.actor) as writer:
        record = assets.update(writer, key, changes, expected_version)
    if fmt == "json":
        emit_json(record)
    else:
        click.echo(f"Updated {key} (now version {record['version']}).")


@click.command()
@click.argument("key")
@click.option(
    "--version",
    "expected_version",
    type=click.IntRange(min=1),
    help="The version you looked at; refused if the asset has changed since.",
)
@pass_context
def retire(obj: Context, key: str, expected_version: int | None) -> None:
    """Retire asset KEY. Its history and lineage history are kept."""
    with obj.catalogue.write(obj.actor) as writer:
        assets.retire(writer, key, expected_version)
        changed = bool(writer.pending)
    click.echo(f"Retired {key}." if changed else f"{key} was already retired; nothing changed.")


@click.command()
@click.argument("key")
@format_option("text", "json")
@pass_context
def show(obj: Context, key: str, fmt: str) -> None:
    """Show every field of asset KEY."""
    with obj.reading() as reader:
        show_record(assets.get(reader, key), fmt)


LIST_COLUMNS = ["key", "kind", "title", "department", "owner", "classification", "access"]


@click.command(name="list")
@click.option("--kind", help="Only this kind.")
@click.option("--department", help="Only this department.")
@click.option("--owner", help="Only assets this person owns (name or email).")
@click.option("--tag", help="Only assets with this tag.")
@click.option("--all", "include_retired", is_flag=True, help="Include retired assets.")
@format_option("text", "json", "csv")
@pass_context
def list_(
    obj: Context,
    kind: str | None,
    department: str | None,
    owner: str | None,
    tag: str | None,
    include_retired: bool,
    fmt: str,
) -> None:
    """List assets, filtered by kind, department, owner or tag."""
    with obj.reading() as reader:
        records = assets.list_assets(reader, kind, department, owner, tag, include_retired)
    if fmt == "json":
        emit_json(records)
    elif fmt == "csv":
        emit_csv(records, LIST_COLUMNS + ["steward", "tags", "status", "last_updated"])
    elif records:
        emit_table(records, LIST_COLUMNS)
    else:
        click.echo("No assets match.")


@click.command()
@click.argument("key")
@format_option("text", "json")
@pass_context
def history(obj: Context, key: str, fmt: str) -> None:
    """Every change to asset KEY and its lineage: when, who, what."""
    with obj.reading() as reader:
        changes = assets.history(reader, key)
    if fmt == "json":
        emit_json(changes)
        return
    for change in changes:
        click.echo(
            f"#{change['seq']}  {change['time'][:19]}  {change['actor']}  "
            f"{change['action']}  {describe_change(change)}"
        )
        for name, old, new in changed_values(change):
            click.echo(f"      {name}: {_short(old)} → {_short(new)}")


HISTORY_SKIP = {"version", "updated_at", "created_at"}


def describe_change(change: ChangeEntry) -> str:
    before, after = change["before"] or {}, change["after"] or {}
    if change["action"].startswith("edge."):
        edge = after or before
        verb = "now feeds" if change["action"] == "edge.add" else "no longer feeds"
        text = f"{edge['upstream']} {verb} {edge['downstream']}"
        effective = str(edge.get("valid_from") or "")[:16]
        if change["action"] == "edge.add" and effective and effective != change["time"][:16]:
            # A source said when it happened (a dbt manifest, an OpenLineage event).
            text += f" (in effect from {effective.replace('T', ' ')} UTC)"
        return text
    if not before:
        return f"registered as {after.get('kind')} {after.get('title')!r}"
    names = [name for name, _, _ in changed_values(change)]
    return "changed " + ", ".join(names) if names else "no field changed"


def changed_values(change: ChangeEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each field an asset change changed."""
    before, after = change["before"] or {}, change["after"] or {}
    if change["action"].startswith("edge.") or not before:
        return []
    return [
        (k, before.get(k), after.get(k))
        for k in after
        if k not in HISTORY_SKIP and before.get(k) != after.get(k)
    ]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

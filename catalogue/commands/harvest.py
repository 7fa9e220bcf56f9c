"""`catalogue harvest …`: the catalogue reads the council's systems itself.

Each command reads one kind of source and hands it to the harvest services; a
source that cannot be read is one line naming it and the reason, and exit 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from catalogue.commands import (
    Context,
    emit_csv,
    emit_json,
    emit_table,
    format_option,
    pass_context,
)
from catalogue.services.harvest.database import read_database
from catalogue.services.harvest.files import SAMPLE_ROWS, read_files
from catalogue.services.harvest.found import Scope
from catalogue.services.harvest.review import dismiss, review_list
from catalogue.services.harvest.run import harvest_source
from catalogue.services.harvest.sources import read_harvest_file
from catalogue.services.harvest.sqlfiles import read_sql_files
from catalogue.services.harvest.sync import Summary
from lineage.sql import DIALECTS

SUMMARY_COLUMNS = ("source", "created", "changed", "unchanged", "retired", "flagged", "failed")


@click.group(name="harvest")
def harvest_group() -> None:
    """Read the council's databases, SQL scripts and spreadsheet folders into the catalogue."""


def _source_system_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--source-system",
        "source_system",
        required=True,
        metavar="KEY",
        help="Key of the source system asset these datasets come from (registered if new).",
    )(command)


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            _source_system_option,
            click.option("--department", help="Department of newly harvested assets."),
            click.option("--dry-run", is_flag=True, help="Show what would change; write nothing."),
            format_option("text", "json"),
        ]
    ):
        command = option(command)
    return command


class _Progress:
    """A bar on a terminal; plain lines every so often when the output is piped."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, total: int) -> Callable[[int], None]:
        if sys.stderr.isatty():
            bar = click.progressbar(length=total, label=self.label, file=sys.stderr)

            def tick(n: int) -> None:
                bar.update(n)
                if bar.finished:
                    bar.render_finish()

            return tick
        done = [0]
        step = max(1, total // 10)

        def line(n: int) -> None:
            done[0] += n
            if done[0] % step == 0 or done[0] == total:
                click.echo(f"{self.label}: {done[0]} of {total}", err=True)

        return line


def report(summaries: list[Summary], fmt: str, dry_run: bool) -> None:
    """Each source's changes (text) or everything (json), then the summary table."""
    if fmt == "json":
        emit_json({"dry_run": dry_run, "sources": [s.as_dict() for s in summaries]})
    else:
        for summary in summaries:
            _describe(summary, dry_run)
        emit_table([{"source": s.source, **s.counts()} for s in summaries], SUMMARY_COLUMNS)
        if dry_run:
            click.echo("Dry run: nothing was written.")
    if any(s.failed for s in summaries):
        sys.exit(1)


def _describe(summary: Summary, dry_run: bool) -> None:
    if summary.failed:
        click.echo(f"Error: {summary.source}: {summary.failed}", err=True)
        return
    verb = "would be " if dry_run else ""
    for key in summary.created:
        click.echo(f"  {verb}created  {key}")
    for key, what in summary.changed.items():
        click.echo(f"  {verb}changed  {key}: {'; '.join(what)}")
    for key in summary.retired:
        click.echo(f"  {verb}retired  {key}")
    for key, column, reason in summary.flagged:
        click.echo(f"  flagged  {key}.{column}: may hold personal data ({reason})")
    for problem in summary.problems:
        click.echo(f"Warning: {problem}", err=True)
    if not dry_run:
        click.echo(f"{summary.source}: {summary.changes} changes recorded.")


@harvest_group.command(name="database")
@click.argument("url")
@_common
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    help="Schema to read (repeatable; default: the default schema).",
)
@click.option(
    "--include",
    multiple=True,
    metavar="PATTERN",
    help="Only tables matching (e.g. 'rent*' or 'housing.*'; repeatable).",
)
@click.option(
    "--exclude", multiple=True, metavar="PATTERN", help="Leave out tables matching (repeatable)."
)
@pass_context
def database(
    obj: Context,
    url: str,
    source_system: str,
    department: str | None,
    dry_run: bool,
    fmt: str,
    schemas: tuple[str, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
) -> None:
    """Harvest the tables and views of the database at URL (any SQLAlchemy URL),
    with their columns, comments and the lineage of each view. Reads only."""
    scope = Scope(schemas=schemas, include=include, exclude=exclude)
    summary = harvest_source(
        obj.catalogue,
        obj.principal,
        source_system,
        lambda previous: read_database(url, scope, previous),
        department,
        dry_run,
        _Progress("Harvesting"),
    )
    report([summary], fmt, dry_run)


@harvest_group.command(name="sql")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_common
@click.option(
    "--dialect",
    type=click.Choice(sorted(set(DIALECTS.values()))),
    help="SQL dialect of the scripts.",
)
@click.option("--schema", "default_schema", help="Schema of tables the scripts name without one.")
@pass_context
def sql(
    obj: Context,
    paths: tuple[Path, ...],
    source_system: str,
    department: str | None,
    dry_run: bool,
    fmt: str,
    dialect: str | None,
    default_schema: str | None,
) -> None:
    """Harvest lineage from SQL scripts (files, or folders of .sql files): each
    CREATE VIEW, CREATE TABLE … AS and INSERT … SELECT makes a dataset fed by
    the tables it reads, column by column. What cannot be parsed is reported."""
    summary = harvest_source(
        obj.catalogue,
        obj.principal,
        source_system,
        lambda _: read_sql_files(list(paths), dialect, default_schema),
        department,
        dry_run,
        _Progress("Harvesting"),
    )
    report([summary], fmt, dry_run)


@harvest_group.command(name="files")
@click.argument("folder", type=click.Path(path_type=Path))
@_common
@click.option(
    "--sample-rows",
    type=click.IntRange(1, 100_000),
    default=SAMPLE_ROWS,
    show_default=True,
    help="Rows read from each file or sheet to infer column types.",
)
@pass_context
def files(
    obj: Context,
    folder: Path,
    source_system: str,
    department: str | None,
    dry_run: bool,
    fmt: str,
    sample_rows: int,
) -> None:
    """Harvest the CSV, XLSX and ODS files under FOLDER: one dataset per file
    (per sheet for workbooks), columns typed from the first rows, the file's
    modified date as last updated. Reads only."""
    summary = harvest_source(
        obj.catalogue,
        obj.principal,
        source_system,
        lambda _: read_files(folder, sample_rows),
        department,
        dry_run,
        _Progress("Harvesting"),
    )
    report([summary], fmt, dry_run)


@harvest_group.command(name="review")
@format_option("text", "json", "csv")
@pass_context
def review(obj: Context, fmt: str) -> None:
    """Columns a harvest flagged as possibly personal data, for a person to decide:
    mark the column personal (`catalogue update`, the form) or dismiss the flag."""
    with obj.reading() as reader:
        rows = review_list(reader)
    columns = ("key", "column", "reason", "department", "classification", "flagged_at")
    if fmt == "json":
        emit_json(rows)
    elif fmt == "csv":
        emit_csv(rows, columns)
    elif not rows:
        click.echo("No columns are waiting for review.")
    else:
        emit_table(rows, columns)


@harvest_group.command(name="dismiss")
@click.argument("key")
@click.argument("column")
@pass_context
def dismiss_flag(obj: Context, key: str, column: str) -> None:
    """Record that COLUMN of KEY holds no personal data: its flag is closed, and a
    later harvest does not raise it again. Logged in the asset's history."""
    with obj.catalogue.write(obj.principal) as writer:
        dismiss(writer, key, column)
    click.echo(f"Flag on {key}.{column} dismissed.")


@harvest_group.command(name="run")
@click.argument("harvest_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@format_option("text", "json")
@pass_context
def run(obj: Context, harvest_file: Path, dry_run: bool, fmt: str) -> None:
    """Harvest every source a HARVEST_FILE (YAML) lists, each in its own
    transaction: one that fails is reported and the others still run. For cron."""
    sources = read_harvest_file(harvest_file)
    summaries = []
    for source in sources:
        if fmt == "text":
            click.echo(f"{source.kind} {source.label} → {source.source_system}", err=True)
        summaries.append(
            harvest_source(
                obj.catalogue,
                obj.principal,
                source.source_system,
                source.read,
                source.department,
                dry_run,
                _Progress(f"Harvesting {source.source_system}"),
            )
        )
    report(summaries, fmt, dry_run)

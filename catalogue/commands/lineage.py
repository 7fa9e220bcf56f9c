"""`catalogue lineage …`: add and end edges, trace, impact, check, export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    write_output,
)
from catalogue.commands.tables import cell, fitted_table, say, terminal_width
from catalogue.services import assets, edges, lineage_check
from catalogue.services import lineage as lineage_service
from catalogue.services.column_links import LINK_COLUMNS, column_links, column_paths
from catalogue.services.lineage import TRACE_COLUMNS, parse_as_of
from lineage import EXPORT_FORMATS


def _not_blank(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An empty --as-of is a mistake (a shell variable that was not set), not "now"."""
    if value is not None and not value.strip():
        raise click.BadParameter(
            "is empty: give an ISO 8601 date (2025-06-01) or date-time "
            "(2025-06-01T12:00:00+01:00), or leave the option out for now"
        )
    return value


as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    callback=_not_blank,
    help="The lineage as it stood then: ISO 8601 date (the end of that day, UTC) or "
    "date-time (with its offset; UTC if none). Shown in UTC.",
)
NEIGHBOUR_COLUMNS = ["hops", "key", "kind", "title", "owner", "classification", "feeds"]


@click.group(name="lineage")
def lineage_group() -> None:
    """What feeds what: add and end edges, trace reports, check sensitivity."""


@lineage_group.command(name="add")
@click.argument("upstream")
@click.argument("downstream")
@click.option("--via", help="Key of the pipeline that moves the data.")
@click.option("--description", help="How or why UPSTREAM feeds DOWNSTREAM.")
@pass_context
def add(
    obj: Context, upstream: str, downstream: str, via: str | None, description: str | None
) -> None:
    """Record that UPSTREAM feeds DOWNSTREAM."""
    catalogue = obj.catalogue
    with catalogue.write(obj.actor) as writer:
        edges.add_edge(writer, upstream, downstream, via, description)
    click.echo(f"{upstream} now feeds {downstream}.")


@lineage_group.command(name="remove")
@click.argument("upstream")
@click.argument("downstream")
@pass_context
def remove(obj: Context, upstream: str, downstream: str) -> None:
    """End the edge UPSTREAM → DOWNSTREAM (it stays in the history)."""
    with obj.catalogue.write(obj.actor) as writer:
        edges.end_edge(writer, upstream, downstream)
    click.echo(f"{upstream} no longer feeds {downstream} (kept in the history).")


def _neighbour_command(direction: str) -> click.Command:
    @click.command(name=direction, help=f"Assets {direction} of KEY, nearest first.")
    @click.argument("key")
    @click.option("--depth", type=click.IntRange(min=1), help="At most this many hops.")
    @as_of_option
    @format_option("text", "json", "csv")
    @pass_context
    def command(obj: Context, key: str, depth: int | None, as_of: str | None, fmt: str) -> None:
        moment = parse_as_of(as_of)
        with obj.reading() as reader:
            rows = lineage_service.neighbours(reader, key, direction, depth, moment)
        if fmt == "json":
            emit_json(rows)
        elif fmt == "csv":
            emit_csv(rows, TRACE_COLUMNS)
        elif rows:
            emit_table(rows, NEIGHBOUR_COLUMNS)
        else:
            click.echo(f"Nothing is {direction} of {key}.")

    return command


lineage_group.add_command(_neighbour_command("upstream"))
lineage_group.add_command(_neighbour_command("downstream"))


@lineage_group.command(name="path")
@click.argument("a")
@click.argument("b")
@as_of_option
@format_option("text", "json")
@pass_context
def path(obj: Context, a: str, b: str, as_of: str | None, fmt: str) -> None:
    """Every route by which A feeds B, shortest first."""
    with obj.reading() as reader:
        found = lineage_service.paths(reader, a, b, parse_as_of(as_of))
    if fmt == "json":
        emit_json(found)
    elif not found:
        click.echo(f"{a} does not feed {b}.")
    for route in found:
        click.echo(" → ".join(k or "(an asset you cannot see)" for k in route))


@lineage_group.command(name="trace")
@click.argument("key")
@as_of_option
@click.option(
    "--with-columns",
    is_flag=True,
    help="Add each upstream asset's column paths into KEY (as they stood on --as-of, if given).",
)
@format_option("table", "csv", "json")
@pass_context
def trace(obj: Context, key: str, as_of: str | None, with_columns: bool, fmt: str) -> None:
    """The auditor's trace: every upstream asset of KEY with owner, handling and
    freshness, and the sensitivity KEY inherits and through which path."""
    moment = parse_as_of(as_of)
    with obj.reading() as reader:
        result = lineage_service.trace(reader, key, moment)
        sight = lineage_service.Sight(reader)
        paths = (
            column_paths(reader.session, key, sight.visible, as_of=moment) if with_columns else {}
        )
    if with_columns:
        for row in result.rows:
            row["column_paths"] = paths.get(row.get("key") or "", [])
    if fmt == "json":
        emit_json(result.as_dict())
        return
    if fmt == "csv":
        emit_csv(result.rows, [*TRACE_COLUMNS, *(["column_paths"] if with_columns else [])])
        return
    when = f" as of {result.as_of:%Y-%m-%d %H:%M} UTC" if result.as_of else ""
    width = terminal_width()
    say(f"Trace of {result.subject.get('title')} ({key}){when}", width)
    if not result.existed:
        say(f"{key} did not exist then: nothing had been recorded of it by that time.", width)
    elif result.rows:
        show_trace_rows(result.rows, width)
    else:
        click.echo("Nothing feeds it.")
    for row in result.rows if with_columns else []:
        for column_path in row["column_paths"]:
            say(f"Column path: {column_path}", width)
    for item in result.inherited:
        say(f"Inherits: {item['explanation']}", width)
    for warning in result.warnings:
        say(f"Warning: {warning}", width)


#: The trace table's columns, and the order in which a narrow terminal leaves
#: them out (docs/command-line.md documents it): the pipeline, then the
#: steward, the kind and the date last updated. Narrower still, each asset is
#: shown on two lines with every field. `--format csv` always has every column.
TRACE_TABLE = [
    "hops",
    "key",
    "kind",
    "status",
    "owner",
    "steward",
    "classification",
    "access",
    "personal_data",
    "last_updated",
    "stale",
    "via",
]
TRACE_DROPS = ["via", "steward", "kind", "last_updated"]
TRACE_HEADERS = {"personal_data": "PERSONAL", "last_updated": "UPDATED"}


def show_trace_rows(rows: Sequence[Mapping[str, Any]], width: int) -> None:
    """The upstream assets of a trace, fitted to ``width`` columns."""
    named = [{**r, "key": r.get("key") or r.get("title")} for r in rows]
    fitted = fitted_table(named, TRACE_TABLE, TRACE_HEADERS, TRACE_DROPS, width)
    if fitted is not None:
        lines, dropped = fitted
        for line in lines:
            click.echo(line)
        if dropped:
            left_out = ", ".join(TRACE_HEADERS.get(c, c).lower() for c in dropped)
            say(f"({left_out} left out to fit {width} columns; --format csv has them all)", width)
        return
    for row in named:
        say(f"{row['hops']}  {row['key']}  {row.get('kind') or ''} {trace_status(row)}", width)
        say(trace_details(row), width, indent=len(str(row["hops"])) + 2, hang=0)


def trace_status(row: dict[str, Any]) -> str:
    status = row.get("status") or ""
    return f"({status}, STALE)" if row.get("stale") else f"({status})" if status else ""


def trace_details(row: dict[str, Any]) -> str:
    """One asset of a trace in words: who, handling, freshness, how it feeds."""
    parts = [
        f"owner {row.get('owner') or 'none'}",
        f"steward {row.get('steward') or 'none'}",
        ", ".join(filter(None, [row.get("classification"), row.get("access")])),
        "personal data" if row.get("personal_data") else "no personal data",
        f"updated {row.get('last_updated') or 'never'}",
    ]
    if row.get("via"):
        parts.append(f"via {cell(row['via'])}")
    if row.get("feeds"):
        parts.append(f"feeds {row['feeds']}")
    return "; ".join(p for p in parts if p)


@lineage_group.command(name="check")
@format_option("text", "json")
@pass_context
def check(obj: Context, fmt: str) -> None:
    """List handling weaker than the sensitivity an asset inherits, stale feeds, and
    retired assets that still feed an active report."""
    with obj.reading() as reader:
        found = lineage_check.check(reader)
    if fmt == "json":
        emit_json(found)
        return
    width = max(60, min(terminal_width(), 120))
    click.echo(f"{len(found['mismatches'])} handling mismatch(es):")
    for m in found["mismatches"]:
        say(f"{m['key']} ({m['access']}): " + "; ".join(m["reasons"]), width, indent=2)
        for line in m["explanations"]:
            say(line, width, indent=6)
    click.echo(f"{len(found['stale_feeds'])} stale feed(s) of active reports:")
    for s in found["stale_feeds"]:
        say(
            f"{s['key']}: {s['update_frequency']}, last updated {s['last_updated']}; "
            f"feeds {', '.join(s['feeds_reports'])}",
            width,
            indent=2,
        )
    click.echo(f"{len(found['retired_feeds'])} retired asset(s) still feeding active reports:")
    for r in found["retired_feeds"]:
        say(f"{r['key']}: retired; feeds {', '.join(r['feeds_reports'])}", width, indent=2)


@lineage_group.command(name="export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="json",
    show_default=True,
    help="Graph format.",
)
@as_of_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@pass_context
def export(obj: Context, fmt: str, as_of: str | None, output: Path | None) -> None:
    """The whole lineage graph as JSON (node-link), GraphML or Graphviz DOT."""
    text = obj.catalogue.graph().export(fmt, as_of=parse_as_of(as_of))
    if output:
        write_output(output, text)
    else:
        click.echo(text)


@lineage_group.command(name="columns")
@click.argument("key")
@click.option("--column", help="Only this column of KEY.")
@click.option(
    "--direction",
    type=click.Choice(["up", "down"]),
    help="up: where each column comes from; down: what it feeds. Default both.",
)
@as_of_option
@format_option("text", "json", "csv")
@pass_context
def columns(
    obj: Context, key: str, column: str | None, direction: str | None, as_of: str | None, fmt: str
) -> None:
    """Column lineage of KEY: for each column, the columns it comes from and the
    columns it feeds (from views, SQL scripts, OpenLineage, dbt)."""
    moment = parse_as_of(as_of)
    with obj.reading() as reader:
        assets.get(reader, key)
        sight = lineage_service.Sight(reader)
        links = column_links(reader.session, key, sight.visible, direction, column, moment)
    rows = [link.as_dict() for link in links]
    if fmt == "json":
        emit_json(rows)
    elif fmt == "csv":
        emit_csv(rows, LINK_COLUMNS)
    elif rows:
        for row in rows:
            row["direction"] = "comes from" if row["direction"] == "up" else "feeds"
            row["other_key"] = row["other_key"] or f"({row['other_dataset']}, not catalogued)"
        emit_table(rows, ["column", "direction", "other_key", "other_column", "how"])
    else:
        click.echo(f"No column lineage is recorded for {key}.")

"""Governance commands for the SIRO and Information Asset Owners: owners'
reviews (`catalogue review`) and the registers (`catalogue governance`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from catalogue import spreadsheets
from catalogue.commands import (
    Context,
    emit_csv,
    emit_json,
    emit_table,
    format_option,
    pass_context,
    write_output,
)
from catalogue.coverage import MEASURES
from catalogue.db import utcnow
from catalogue.services import registers, reviews


class ReviewGroup(click.Group):
    """`catalogue review KEY` is short for `catalogue review record KEY`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["record", *args]
        return super().parse_args(ctx, args)


@click.group(name="review", cls=ReviewGroup)
def review_group() -> None:
    """Owners' reviews: confirm an asset is still correct; list reviews due.

    `catalogue review KEY --note …` records a review of asset KEY.
    """


@review_group.command(name="record")
@click.argument("key")
@click.option("--note", help="What you checked, or what changed (kept in the history).")
@format_option("text", "json")
@pass_context
def review_record(obj: Context, key: str, note: str | None, fmt: str) -> None:
    """Record that asset KEY is still correct (a review by its owner or steward)."""
    policy = obj.settings.review_policy
    with obj.catalogue.write(obj.actor) as writer:
        record = reviews.record_review(writer, key, policy, note)
    if fmt == "json":
        emit_json(record)
    else:
        click.echo(f"Reviewed {key}; next review due {record['review_date']}.")


DUE_COLUMNS = ["key", "title", "department", "owner", "steward", "due", "overdue"]


@review_group.command(name="due")
@click.option("--department", help="Only this department.")
@click.option("--person", help="Only assets this person (email) owns or stewards.")
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also list reviews falling due within this many days.",
)
@format_option("text", "json", "csv")
@pass_context
def review_due(
    obj: Context, department: str | None, person: str | None, within_days: int, fmt: str
) -> None:
    """List assets whose owner's review is overdue (or due soon), soonest first."""
    with obj.reading() as reader:
        rows = reviews.due_reviews(
            reader,
            obj.settings.review_policy,
            utcnow().date(),
            department=department,
            person=person,
            within_days=within_days,
        )
    if fmt == "json":
        emit_json(
            [{c: r.get(c) for c in (*DUE_COLUMNS, "owner_email", "steward_email")} for r in rows]
        )
    elif fmt == "csv":
        emit_csv(rows, DUE_COLUMNS)
    elif rows:
        emit_table(rows, DUE_COLUMNS)
    else:
        click.echo("No reviews are due.")


@click.group(name="governance")
def governance_group() -> None:
    """The registers the Senior Information Risk Owner keeps."""


def register_options(department_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every register export takes: --department, --format and -o."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write to this file (needed for xlsx and ods on a terminal).",
        )(command)
        command = format_option("csv", "xlsx", "ods", "json")(command)
        return click.option("--department", help=department_help)(command)

    return decorate


@governance_group.command(name="iar")
@register_options("Only this department's assets.")
@pass_context
def governance_iar(obj: Context, department: str | None, fmt: str, output: Path | None) -> None:
    """Export the Information Asset Register: one row per information asset."""
    with obj.reading() as reader:
        register = registers.information_asset_register(
            reader, obj.settings.review_policy, department
        )
    write_register(register, fmt, output)


def write_register(register: registers.Register, fmt: str, output: Path | None) -> None:
    """The register in ``fmt``, to ``output`` or standard output."""
    data = spreadsheets.file_bytes(fmt, register.title, register.headings, register.rows)
    write_bytes(data, fmt, output, f"{len(register.rows)} rows of the {register.title}")


def write_bytes(data: bytes, fmt: str, output: Path | None, what: str) -> None:
    if output is not None:
        write_output(output, data)
        click.echo(f"Wrote {what} to {output}.", err=True)
        return
    stdout = sys.stdout.buffer
    if fmt in ("xlsx", "ods") and stdout.isatty():
        raise click.UsageError(f"a {fmt} file is not for a terminal: give -o FILE")
    stdout.write(data)
    stdout.flush()


@governance_group.command(name="ropa")
@register_options("Only this department's processing.")
@pass_context
def governance_ropa(obj: Context, department: str | None, fmt: str, output: Path | None) -> None:
    """Export the Article 30 record of processing activities, grouped by purpose."""
    with obj.reading() as reader:
        groups, register = registers.record_of_processing(
            reader, obj.settings.controller, department
        )
    if fmt == "json":
        data = (json.dumps(groups, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        write_bytes(data, fmt, output, f"{len(groups)} purposes of processing")
        return
    write_register(register, fmt, output)


COVERAGE_HEADINGS = [("department", "Department"), ("assets", "Assets")] + [
    (m.name, m.heading) for m in MEASURES
]


@governance_group.command(name="coverage")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The register as it stood at the end of this day (YYYY-MM-DD, UTC).",
)
@click.option("--department", help="Only this department.")
@format_option("text", "json", "csv")
@pass_context
def governance_coverage(
    obj: Context, as_of: datetime | None, department: str | None, fmt: str
) -> None:
    """How complete the register is, per department and overall, now or on a past date."""
    with obj.reading() as reader:
        rows = registers.coverage(
            reader,
            obj.settings.review_policy,
            utcnow(),
            as_of.date() if as_of else None,
            department,
        )
    if fmt == "json":
        emit_json(rows)
        return
    flat = [{name: _figure(row[name]) for name, _ in COVERAGE_HEADINGS} for row in rows]
    if fmt == "csv":
        emit_csv(flat, [name for name, _ in COVERAGE_HEADINGS])
    else:
        emit_table(flat, [name for name, _ in COVERAGE_HEADINGS])


def _figure(value: Any) -> Any:
    """A measure as "75.0% (3/4)", "n/a" when it applies to nothing."""
    if not isinstance(value, dict):
        return value
    if value["percent"] is None:
        return "n/a"
    return f"{value['percent']}% ({value['met']}/{value['of']})"

"""Commands for whole catalogue files: apply, export, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from catalogue.commands import Context, pass_context, progress_for, write_output
from catalogue.errors import Invalid
from catalogue.services.apply import Plan, execute_plan, plan_apply
from catalogue.services.catalogue_file import FORMATS, read_catalogue
from catalogue.services.demo import load_demo
from catalogue.services.exporting import export_text
from lineage.packed import collector_paused


def describe_plan(plan: Plan) -> None:
    """Field by field, what applying would change. Unchanged records are counted,
    not listed; a lowered protective marking is flagged on its line and again at
    the end, where a steward reading the summary cannot miss it."""
    for step in plan.assets:
        if step.action == "unchanged":
            continue
        click.echo(f"  {step.action:<9}  {step.key}  ({step.source})")
        if step.action == "update":
            lowered = step.lowered
            for name, (old, new) in step.changes.items():
                flag = "   <-- LOWERS PROTECTION" if name in lowered else ""
                click.echo(f"      {name}: {_short(old)} → {_short(new)}{flag}")
    for edge in plan.edges:
        verb = "add edge" if edge.action == "add" else "end edge"
        via = f" via {edge.via}" if edge.via else ""
        click.echo(f"  {verb:<9}  {edge.upstream} → {edge.downstream}{via}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def warn_lowered(plan: Plan) -> None:
    """Say, on standard error, every protective marking the plan lowers."""
    for step in plan.lowered:
        for name, (old, new) in step.lowered.items():
            click.secho(
                f"WARNING: {step.key} ({step.source}): {name} lowered from {old!r} to {new!r}, "
                "as its record states",
                err=True,
                fg="red",
                bold=True,
            )


def summary(plan: Plan) -> str:
    counts = plan.counts()
    return ", ".join(f"{n} {label}" for label, n in counts.items())


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--replace",
    is_flag=True,
    help="Each record states the whole asset: fields it leaves out go back to their "
    "defaults (classification, access, personal data and status are still never "
    "lowered unless stated).",
)
@pass_context
def apply(obj: Context, files: tuple[Path, ...], dry_run: bool, replace: bool) -> None:
    """Create or update assets and their upstream lineage from YAML, JSON or CSV FILES.

    For an asset that exists, a record changes only the fields it mentions; a
    field it leaves out is left alone, and clearing one takes an explicit
    value ("" , [] or null). A record that states a lower classification,
    access or personal-data flag is applied, with a warning.

    One transaction for the whole run: if any record is invalid, nothing is
    written and every problem is listed with its file, line, key and field.
    """
    from catalogue.services import glossary_files

    records, terms = [], []
    problems = []
    for path in files:
        try:
            found = read_catalogue(path)
            records.extend(found.assets)
            terms.extend(found.terms)
        except Invalid as error:
            problems.extend(error.problems)
    if problems:
        raise Invalid(f"nothing was applied: {len(problems)} file(s) could not be read", problems)
    catalogue = obj.catalogue
    # Planning and writing a register of thousands makes hundreds of thousands
    # of objects and no reference cycles, as reading it does: with the cyclic
    # collector running, its rescans cost about a sixth of the command (#21).
    with collector_paused(), catalogue.write(obj.actor) as writer:
        plan = plan_apply(writer, records, replace=replace)
        if dry_run:
            describe_plan(plan)
            for line in glossary_files.describe_terms(writer.session, terms):
                click.echo(line)
            warn_lowered(plan)
            click.echo(f"Dry run, nothing written: {summary(plan)}.")
            return
        warn_lowered(plan)
        with progress_for("Applying", plan.size) as bar:
            execute_plan(writer, plan, bar.update)
        term_counts = glossary_files.apply_terms(writer, terms) if terms else None
    done = summary(plan) + (f", {term_counts.summary()}" if term_counts else "")
    click.echo(f"Applied {len(records)} records: {done}.")


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="yaml",
    show_default=True,
    help="File format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@pass_context
def export(obj: Context, fmt: str, output: Path | None) -> None:
    """Export the whole catalogue as a file `catalogue apply` can read back."""
    with obj.catalogue.read() as session:
        text = export_text(session, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)
        click.echo(f"Wrote {output}.", err=True)


@click.command()
@click.option("--if-empty", is_flag=True, help="Do nothing if the catalogue has assets.")
@pass_context
def demo(obj: Context, if_empty: bool) -> None:
    """Load the demo catalogue of a fictional London borough, with its history."""
    catalogue = obj.catalogue
    if if_empty and len(catalogue.graph()) > 0:
        click.echo("The catalogue already has assets; demo not loaded.")
        return
    counts = load_demo(catalogue)
    click.echo(
        f"Loaded the demo catalogue: {counts['create']} assets, "
        f"{counts['edges added']} lineage edges, {counts['history']} later changes, "
        f"{counts.get('users', 0)} demo users (see the README for their password)."
    )

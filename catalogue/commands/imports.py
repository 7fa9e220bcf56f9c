"""`catalogue import …`: bring other catalogues' and tools' metadata in (CKAN; dbt).

Each importer is one command of the ``import`` group; add another with
``@import_group.command(name=...)`` or ``import_group.add_command(...)``.
"""

from __future__ import annotations

from pathlib import Path

import click

from catalogue.commands import Context, emit_json, format_option, pass_context, progress_for
from catalogue.commands.files import summary
from catalogue.importers.dbt import import_dbt
from catalogue.services.imports import import_ckan, read_ckan_file


@click.group(name="import")
def import_group() -> None:
    """Import metadata from other catalogues and tools."""


@import_group.command(name="ckan")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key-prefix", help="Prefix for keys, when importing several portals.")
@pass_context
def ckan(obj: Context, file: Path, key_prefix: str | None) -> None:
    """Import CKAN packages: a package_search response, a JSON list, or JSON lines."""
    size = len(read_ckan_file(file, key_prefix))
    with progress_for("Importing", size) as bar:
        plan = import_ckan(obj.catalogue, file, obj.principal, bar.update, key_prefix)
    click.echo(f"Imported {size} packages: {summary(plan)}.")


@import_group.command(name="dbt")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--namespace",
    metavar="NS",
    help="The warehouse's OpenLineage namespace, as dbt-ol sends it "
    "(e.g. postgres://host:5432). Default: the manifest's adapter type.",
)
@click.option(
    "--job-namespace",
    metavar="NS",
    help="The namespace of dbt's jobs. Default: $OPENLINEAGE_NAMESPACE or 'default'.",
)
@format_option("text", "json")
@pass_context
def dbt(
    obj: Context, manifest: Path, namespace: str | None, job_namespace: str | None, fmt: str
) -> None:
    """Import a dbt MANIFEST (target/manifest.json): models, seeds, snapshots and
    sources as datasets with descriptions and columns, each model, seed and
    snapshot as a pipeline, and lineage from depends_on. Importing the same
    manifest again changes nothing."""
    outcome = import_dbt(obj.catalogue, manifest, obj.principal, namespace, job_namespace)
    if fmt == "json":
        emit_json(outcome.as_dict())
        return
    click.echo(
        f"Imported {manifest.name}: {len(outcome.created)} assets registered, "
        f"{len(outcome.updated)} updated, {outcome.edges_added} edges added, "
        f"{outcome.edges_ended} ended."
    )
    for warning in outcome.warnings:
        click.echo(f"Warning: {warning}", err=True)

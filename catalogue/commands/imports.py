"""`catalogue import …`: bring other catalogues' metadata in (CKAN; dbt)."""

from __future__ import annotations

import click

from catalogue.commands.search import import_ckan_command


@click.group(name="import")
def import_group() -> None:
    """Import metadata from other catalogues and tools."""


import_group.add_command(import_ckan_command)

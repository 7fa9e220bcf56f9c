"""Importing other catalogues: CKAN package dicts become assets through the same
plan-and-apply path as a catalogue file, so the same validation and the same
all-or-nothing transaction hold. Re-importing the same file changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from catalogue.errors import Invalid, Problem
from catalogue.importers.ckan import one_name_per_email, package_to_record, read_packages
from catalogue.services.access import Principal
from catalogue.services.apply import Plan, execute_plan, plan_apply
from catalogue.services.catalogue_file import SourceRecord

if TYPE_CHECKING:  # services are handed a Catalogue; they do not import the layer above
    from catalogue.store import Catalogue


def read_ckan_file(path: Path, key_prefix: str | None = None) -> list[SourceRecord]:
    """Each package of a CKAN file as a catalogue record with its line or position.

    Raises Invalid naming the file and what is wrong with it.
    """
    try:
        read = [
            (f"{path}:{line}", package_to_record(package, key_prefix))
            for line, package in read_packages(path)
        ]
    except (OSError, ValueError) as error:
        raise Invalid(
            f"cannot read {path} as CKAN packages", [Problem(str(error), source=str(path))]
        ) from None
    records = one_name_per_email([record for _, record in read])
    return [SourceRecord(source, record) for (source, _), record in zip(read, records, strict=True)]


def import_ckan(
    catalogue: Catalogue,
    path: Path,
    principal: Principal,
    progress: Callable[[int], None] | None = None,
    key_prefix: str | None = None,
) -> Plan:
    """Create or update one asset per CKAN package (organisation → department,
    notes → description, tags and groups → tags, resources → links)."""
    records = read_ckan_file(path, key_prefix)
    with catalogue.write(principal) as writer:
        plan = plan_apply(writer, records)
        execute_plan(writer, plan, progress)
    return plan

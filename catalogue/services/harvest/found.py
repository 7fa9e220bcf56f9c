"""What a reader found in a source, before the catalogue is touched."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lineage.sql import ColumnSource

COLUMN_NAME_MAX = 200
COLUMN_TYPE_MAX = 100


class HarvestError(Exception):
    """A source that cannot be read: the message names the source and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def files_under(
    folder: Path, suffixes: tuple[str, ...], unreadable: list[str] | None = None
) -> list[Path]:
    """The files under ``folder`` whose names end in one of ``suffixes`` (any
    case), office lock files left out, sorted. A folder that cannot be listed is
    added to ``unreadable`` (path and reason) when given, else raises HarvestError
    naming it: silently skipping it (as ``Path.rglob`` does) would look as if its
    files had been deleted, and a harvest retires what is deleted."""

    def refuse(error: OSError) -> None:
        reason = f"{error.filename or folder}: {error.strerror or error}"
        if unreadable is None:
            raise HarvestError(str(error.filename or folder), error.strerror or str(error))
        unreadable.append(reason)

    found = []
    for root, _, names in os.walk(folder, onerror=refuse):
        for name in names:
            path = Path(root, name)
            if path.suffix.lower() in suffixes and not name.startswith(("~$", ".~lock")):
                found.append(path)
    return sorted(p for p in found if p.is_file())


@dataclass
class FoundDataset:
    """One table, view, file or sheet. ``columns`` None: the reader does not
    know them (a table a SQL script only names), so they are left as they are."""

    name: str  # "schema.table", or "path/to/file.xlsx#Sheet1"
    object_type: str  # table | view | materialized view | sql output | csv | xlsx sheet …
    title: str
    location: str
    columns: list[dict[str, Any]] | None = None
    description: str | None = None
    last_updated: date | None = None
    reads: tuple[str, ...] = ()
    column_lineage: tuple[ColumnSource, ...] | None = None
    size: int | None = None  # bytes, for files
    fingerprint: str | None = None  # a view's definition and what it read, hashed


#: What an earlier harvest of the source knew of its views: name → (fingerprint, reads).
Previous = dict[str, tuple[str, tuple[str, ...]]]


@dataclass
class Scope:
    """Which objects of a source a harvest covers: what it may retire when gone."""

    schemas: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    prefix: str | None = None  # files: names under this folder

    def covers(self, name: str) -> bool:
        """Whether ``name`` (``schema.table``, or a file name) is in this harvest's reach.
        A pattern with a dot matches ``schema.table``; without, the table's name."""
        if self.prefix is not None:
            return name.startswith(self.prefix)
        schema, _, table = name.rpartition(".")
        if self.schemas and schema not in {s.lower() for s in self.schemas}:
            return False
        if self.include and not any(_matches(p, name, table) for p in self.include):
            return False
        return not any(_matches(p, name, table) for p in self.exclude)


def _matches(pattern: str, name: str, table: str) -> bool:
    target = name if "." in pattern else table
    return fnmatch.fnmatchcase(target, pattern.lower())


@dataclass
class Reading:
    """A source as read: its datasets, its scope, and what could not be read
    (a view whose SQL the parser refused, named with the parser's reason)."""

    source: str  # the URL without its password, or the folder
    scope: Scope
    datasets: list[FoundDataset] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    retires: bool = True  # a SQL-script harvest names objects, it does not list them all


def column(name: str, type_: str | None, description: str | None = None) -> dict[str, Any]:
    """A column as an asset record holds it, cut to the lengths the record allows."""
    return {
        "name": name[:COLUMN_NAME_MAX],
        "type": type_[:COLUMN_TYPE_MAX] if type_ else None,
        "description": description or None,
    }

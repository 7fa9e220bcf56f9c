"""Reading a folder of SQL scripts (CREATE VIEW, CREATE TABLE … AS, INSERT …
SELECT), the way council analysts keep their transformations: each table a
script makes becomes a dataset with its lineage; each table it only reads is
named, so the lineage has both ends. A statement or file that cannot be read is
reported by file and line; the rest still lands."""

from __future__ import annotations

from pathlib import Path

from catalogue.services.harvest.found import (
    FoundDataset,
    HarvestError,
    Reading,
    Scope,
    column,
    files_under,
)
from lineage.sql import script_lineage


def sql_paths(paths: list[Path], unreadable: list[str] | None = None) -> list[Path]:
    """The files given, and every ``.sql`` file under the folders given, in order;
    a folder that cannot be listed is named in ``unreadable``."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(files_under(path, (".sql",), unreadable))
        elif path.is_file():
            out.append(path)
        else:
            raise HarvestError(str(path), "no such file or folder")
    return out


def read_sql_files(
    paths: list[Path], dialect: str | None = None, default_schema: str | None = None
) -> Reading:
    """Datasets and lineage from the scripts. Raises HarvestError when a path is
    missing; a file that cannot be read or parsed is a problem of the reading."""
    reading = Reading(source=", ".join(str(p) for p in paths), scope=Scope(), retires=False)
    unreadable: list[str] = []
    files = sql_paths(paths, unreadable)
    reading.problems.extend(f"{u} (folder cannot be read)" for u in unreadable)
    made: dict[str, FoundDataset] = {}
    named: set[str] = set()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reading.problems.append(f"{path}: cannot be read ({error})")
            continue
        statements, problems = script_lineage(text, dialect, default_schema=default_schema)
        reading.problems.extend(f"{path}: {p}" for p in problems)
        for statement in statements:
            assert statement.target is not None
            names = sorted({c.column for c in statement.columns})
            made[statement.target] = FoundDataset(
                name=statement.target,
                object_type="sql output",
                title=statement.target.rpartition(".")[2],
                location=str(path),
                columns=[column(n, None) for n in names],
                reads=statement.reads,
                column_lineage=statement.columns,
            )
            named.update(statement.reads)
    reading.datasets = list(made.values())
    reading.datasets += [
        FoundDataset(name=n, object_type="table", title=n.rpartition(".")[2], location="")
        for n in sorted(named - set(made))
    ]
    return reading

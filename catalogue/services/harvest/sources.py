"""A harvest file: the declarative list of sources `catalogue harvest run`
reads, so one cron line keeps the catalogue true.

```yaml
sources:
  - kind: database              # database | files | sql
    url: postgresql+psycopg://harvester@warehouse/housing
    password_env: HOUSING_DB_PASSWORD   # the password comes from this variable
    source_system: housing-db
    schemas: [housing]
    include: ["rent*"]
    exclude: ["tmp_*"]
    department: Housing
  - kind: files
    path: /mnt/shared/housing
    source_system: housing-shared-drive
```

The password is put into the URL only in memory, when the source is read; it
is never stored, logged or shown. Every mistake in the file is found before
any source is harvested, and named by source and field.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from catalogue.errors import Invalid, Problem
from catalogue.services.harvest.database import read_database, safe_url
from catalogue.services.harvest.files import SAMPLE_ROWS, read_files
from catalogue.services.harvest.found import HarvestError, Previous, Reading, Scope
from catalogue.services.harvest.sqlfiles import read_sql_files
from lineage.sql import DIALECTS

COMMON = ("kind", "source_system", "department")
FIELDS = {
    "database": (*COMMON, "url", "password_env", "schemas", "include", "exclude"),
    "files": (*COMMON, "path", "sample_rows"),
    "sql": (*COMMON, "paths", "dialect", "schema"),
}
REQUIRED = {"database": ("url",), "files": ("path",), "sql": ("paths",)}
LISTS = ("schemas", "include", "exclude", "paths")


@dataclass(frozen=True)
class Source:
    """One source of a harvest file, checked; ``read`` reads it."""

    kind: str
    source_system: str
    department: str | None
    options: dict[str, Any]

    @property
    def label(self) -> str:
        if self.kind == "database":
            return safe_url(self.options["url"])
        return str(self.options.get("path") or ", ".join(self.options.get("paths", [])))

    def read(self, previous: Previous | None = None) -> Reading:
        """Read the source. Raises HarvestError naming it and the reason."""
        o = self.options
        if self.kind == "database":
            scope = Scope(tuple(o.get("schemas", ())), tuple(o.get("include", ())),
                          tuple(o.get("exclude", ())))  # fmt: skip
            url = _with_password(o["url"], o.get("password_env"))
            return read_database(url, scope, previous)
        if self.kind == "files":
            return read_files(Path(o["path"]), o.get("sample_rows", SAMPLE_ROWS))
        return read_sql_files([Path(p) for p in o["paths"]], o.get("dialect"), o.get("schema"))


def _with_password(url: str, variable: str | None) -> str:
    if not variable:
        return url
    password = os.environ.get(variable)
    if password is None:
        raise HarvestError(safe_url(url), f"environment variable {variable} is not set")
    try:
        return make_url(url).set(password=password).render_as_string(hide_password=False)
    except ArgumentError:
        raise HarvestError(safe_url(url), "not a database URL") from None


def read_harvest_file(path: Path) -> list[Source]:
    """The sources of a harvest file. Raises Invalid listing every problem, each
    named by file, source number and field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise Invalid(f"cannot read {path}", [Problem(str(error), source=str(path))]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = Problem(f"not valid YAML: {getattr(error, 'problem', error)}", source=where)
        raise Invalid(f"{where}: not valid YAML", [problem]) from None
    items = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        message = "expected `sources:`, a list of sources (kind, source_system, …)"
        raise Invalid(f"{path}: {message}", [Problem(message, source=str(path))])
    sources, problems = [], []
    for number, item in enumerate(items, 1):
        found, wrong = _source(item, f"{path} source {number}")
        problems.extend(wrong)
        if found is not None:
            sources.append(found)
    if problems:
        raise Invalid(f"nothing was harvested: {len(problems)} problem(s) in {path}", problems)
    return sources


def _source(item: Any, where: str) -> tuple[Source | None, list[Problem]]:
    if not isinstance(item, dict):
        return None, [Problem("each source must be a mapping of fields", source=where)]
    kind = item.get("kind")
    if kind not in FIELDS:
        allowed = ", ".join(FIELDS)
        return None, [Problem(f"must be one of: {allowed}", field="kind", source=where)]
    problems = [
        Problem(
            f"unknown field (allowed: {', '.join(FIELDS[kind])})", field=str(name), source=where
        )
        for name in item
        if name not in FIELDS[kind]
    ]
    for name in ("source_system", *REQUIRED[kind]):
        if not item.get(name):
            problems.append(Problem("is required", field=name, source=where))
    for name in LISTS:
        if name in item and not (
            isinstance(item[name], list) and all(isinstance(v, str) for v in item[name])
        ):
            problems.append(Problem("must be a list of text", field=name, source=where))
    checks: dict[str, tuple[Callable[[Any], bool], str]] = {
        "sample_rows": (
            lambda v: isinstance(v, int) and 1 <= v <= 100_000,
            "must be a whole number from 1 to 100000",
        ),
        "dialect": (
            lambda v: v in set(DIALECTS.values()),
            "must be one of: " + ", ".join(sorted(set(DIALECTS.values()))),
        ),
    }
    for name, (ok, message) in checks.items():
        if name in item and not ok(item[name]):
            problems.append(Problem(message, field=name, source=where))
    if problems:
        return None, problems
    options = {k: v for k, v in item.items() if k not in COMMON}
    return Source(kind, str(item["source_system"]), item.get("department"), options), []

"""Click plumbing shared by the CLI's command modules: the context object, the
error mapping and output formats. The commands themselves call services only."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from catalogue.config import Settings, load_settings
from catalogue.errors import CatalogueError, Invalid
from catalogue.services.access import Principal, operator
from catalogue.store import Catalogue


@dataclass
class Context:
    """Built once per command by the group; commands receive it as ``ctx.obj``."""

    actor: str
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _catalogue: Catalogue | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.overrides)
        return self._settings

    @property
    def principal(self) -> Principal:
        """The CLI works on the catalogue's own database, so its user holds the
        keys: an admin, recorded under the name given with --as."""
        return operator(self.actor)

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue, refusing politely if the database has no tables yet."""
        if self._catalogue is None:
            self._catalogue = Catalogue(self.settings)
            self._catalogue.require_initialised()
        return self._catalogue

    def close(self) -> None:
        if self._catalogue is not None:
            self._catalogue.close()


pass_context = click.make_pass_decorator(Context)


class CatalogueGroup(click.Group):
    """Turns known failures into a message and exit code 1, never a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """A NUL character cannot be stored (PostgreSQL refuses it in text) and
        never comes from a shell: refuse it as a usage mistake, naming where."""
        for position, arg in enumerate(args, start=1):
            if "\x00" in arg:
                raise click.UsageError(
                    f"argument {position} contains a NUL character (\\x00); remove it", ctx
                )
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Invalid as error:
            raise click.ClickException(str(error)) from None
        except CatalogueError as error:
            raise click.ClickException(error.message) from None
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise click.ClickException(
                f"cannot use the catalogue database: {reason}. "
                "Check CATALOGUE_DATABASE_URL and that the database server is running."
            ) from None


def write_output(output: Path, data: str | bytes) -> None:
    """Write ``data`` (text, or a file's bytes such as a workbook) to the file a
    person named with -o; a ClickException naming the file and the reason when
    it cannot be written (no such folder, no right)."""
    try:
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(
            f"cannot write {output}: {error.strerror or error}"
            + (" (the folder does not exist)" if not output.parent.exists() else "")
        ) from None


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def emit_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    click.echo(out.getvalue(), nl=False)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else value


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned text table (what a person reads in a terminal)."""
    cells = [[str(_cell(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def format_option(*choices: str, default: str | None = None) -> Callable[[Any], Any]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default or choices[0],
        show_default=True,
        help="Output format.",
    )


def progress_for(label: str, length: int) -> Any:
    """A progress bar on a terminal; silent when the output is piped."""
    return (
        click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True)
        if length > 200
        else _NoBar()
    )


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None

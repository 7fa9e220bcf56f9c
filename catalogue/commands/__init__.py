"""Click plumbing shared by the CLI's command modules: the context object, the
error mapping, lazily loaded commands and output formats. The commands
themselves call services only.

This module imports only click and the standard library (and the catalogue's
settings and errors, which import nothing heavier): `catalogue --version` and
`--help` run on it alone, and each command imports what it needs when it runs.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from catalogue.commands.tables import cell, table_lines
from catalogue.config import Settings, load_settings
from catalogue.errors import CatalogueError, Invalid

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from catalogue.services.access import Principal
    from catalogue.services.context import Reader
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
        from catalogue.services.access import operator

        return operator(self.actor)

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue, refusing politely if the database has no tables yet."""
        if self._catalogue is None:
            from catalogue.store import Catalogue

            self._catalogue = Catalogue(self.settings)
            self._catalogue.require_initialised()
        return self._catalogue

    def reading(self) -> AbstractContextManager[Reader]:
        """The context of a read service call, as this command's user."""
        return self.catalogue.reading(self.principal)

    def close(self) -> None:
        if self._catalogue is not None:
            self._catalogue.close()


pass_context = click.make_pass_decorator(Context)


#: Long enough for any command's first sentence: `--help` wraps it rather than cutting it.
SENTENCE = 500


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when one is used (click's
    "lazy loading of subcommands" pattern): ``lazy`` maps a command's name to
    ``(module:attribute, short help)``. `--help` lists the short help from the
    table without importing anything; tests check it says what each command's
    own docstring says."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            self.add_command(self.load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load(self, cmd_name: str) -> click.Command:
        """Import the command named ``cmd_name`` from the module the table names."""
        module_name, _, attribute = self.lazy[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # a wrong table entry is a bug
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`: each command's first sentence, wrapped,
        from the table for a command not imported yet."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                rows.append((name, self.lazy[name][1]))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit=SENTENCE)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class CatalogueGroup(LazyGroup):
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
        except Exception as error:
            reason = database_unreachable(error)
            if reason is None:
                raise
            raise click.ClickException(
                f"cannot use the catalogue database: {reason}. "
                "Check CATALOGUE_DATABASE_URL and that the database server is running."
            ) from None


def database_unreachable(error: Exception) -> str | None:
    """The first line of the reason when ``error`` is SQLAlchemy's OperationalError
    (the server is down, the file cannot be opened), else None. SQLAlchemy is not
    imported for this: if no command imported it, the error cannot be one of its."""
    sqlalchemy_errors = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_errors is None or not isinstance(error, sqlalchemy_errors.OperationalError):
        return None
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)


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


def emit_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: cell(v) for k, v in row.items()})
    click.echo(out.getvalue(), nl=False)


def emit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned text table (what a person reads in a terminal)."""
    for line in table_lines(rows, columns, {}):
        click.echo(line)


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

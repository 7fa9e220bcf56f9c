"""Documentation that the tests enforce: every CLI command is in the reference
(docs/command-line.md and the other docs/ pages the README links to), and its
--help text is its docstring, so a new command cannot ship undocumented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The README and the reference it links to in docs/, as one text: tests that
#: check a section (such as "## HTTP API") find it whichever file holds it.
DOCUMENTATION = "\n".join(
    [README, *(page.read_text(encoding="utf-8") for page in sorted((ROOT / "docs").glob("*.md")))]
)
# The rows of the documentation's tables: a command named only in prose is not in a table.
TABLE_ROWS = "\n".join(line for line in DOCUMENTATION.splitlines() if line.startswith("| `"))


def command_paths(group: click.Group, prefix: str = "catalogue") -> list[tuple[str, click.Command]]:
    """Every command under ``group``, loading the ones it imports only when used."""
    found = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, f"{prefix} {name} is listed but cannot be loaded"
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found.extend(command_paths(command, path))
        else:
            found.append((path, command))
    return found


COMMANDS = command_paths(main)


def test_the_cli_has_the_commands_the_readme_opens_with() -> None:
    names = {path for path, _ in COMMANDS}
    assert {
        "catalogue apply",
        "catalogue lineage trace",
        "catalogue search",
        "catalogue index verify",
    } <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_is_documented(path: str, command: click.Command) -> None:
    assert f"`{path}" in TABLE_ROWS, f"{path} is missing from the command tables in docs/"
    assert command.help, f"{path} has no docstring for --help"


def test_the_help_listed_before_a_command_is_loaded_is_its_own() -> None:
    """`catalogue --help` lists commands from cli.COMMANDS without importing them:
    each line there must be the first sentence of the command's docstring."""
    from cli import COMMANDS

    context = click.Context(main)
    for name, (_, help_text) in COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None
        assert command.get_short_help_str(limit=500) == help_text, name


def test_readme_opens_with_the_two_commands() -> None:
    top = README[: README.index("## Quickstart")]
    assert "make run" in top and "make test" in top

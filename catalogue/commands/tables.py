"""Text that fits the terminal: tables that leave out their least needed columns
when the terminal is narrow (and say which), a two-line-per-row layout when even
that does not fit, and long lines wrapped without breaking keys at hyphens.

The width is the terminal's: ``COLUMNS`` when set, else the terminal's own
width, else 80 (output piped to a file or another program).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import click

from catalogue.text import shown_safely

#: Never narrower than this, whatever a terminal reports.
MIN_WIDTH = 40
GAP = "  "


def terminal_width() -> int:
    """The width to fit: COLUMNS, else the terminal's, else 80 when not a terminal."""
    return max(MIN_WIDTH, shutil.get_terminal_size((80, 24)).columns)


def cell(value: Any) -> str:
    """A value as a table shows it: lists joined, yes/no, blank for nothing, and
    control characters escaped (a value cannot add a row or move the cursor)."""
    if isinstance(value, list):
        return ";".join(shown_safely(str(v)) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else shown_safely(str(value))


def table_lines(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], headers: Mapping[str, str]
) -> list[str]:
    """A plain aligned table: a header line of ``headers`` then one line a row."""
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    titles = [headers.get(c, c.upper()) for c in columns]
    widths = [max([len(t)] + [len(row[i]) for row in cells]) for i, t in enumerate(titles)]
    lines = [GAP.join(t.ljust(w) for t, w in zip(titles, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append(GAP.join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return lines


def fitted_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    headers: Mapping[str, str],
    drop_order: Sequence[str],
    width: int,
) -> tuple[list[str], list[str]] | None:
    """The table's lines within ``width``, leaving out columns in ``drop_order``
    one at a time until it fits, and the columns left out; None when it does not
    fit even without all of them (the caller then lays each row out on its own)."""
    shown = list(columns)
    dropped: list[str] = []
    for leave_out in [None, *drop_order]:
        if leave_out is not None:
            shown.remove(leave_out)
            dropped.append(leave_out)
        lines = table_lines(rows, shown, headers)
        if max(len(line) for line in lines) <= width:
            return lines, dropped
    return None


def wrapped(text: str, width: int, indent: int = 0, hang: int = 4) -> str:
    """``text`` wrapped to ``width``, indented, continuation lines ``hang`` deeper;
    words (keys such as ``rpt-housing-arrears``) are never broken, and control
    characters are shown escaped."""
    pad = " " * indent
    return textwrap.fill(
        shown_safely(text),
        width,
        initial_indent=pad,
        subsequent_indent=pad + " " * hang,
        break_on_hyphens=False,
        break_long_words=False,
    )


def say(text: str, width: int, indent: int = 0, hang: int = 4) -> None:
    """Print ``text`` wrapped to ``width`` (see :func:`wrapped`)."""
    click.echo(wrapped(text, width, indent, hang))

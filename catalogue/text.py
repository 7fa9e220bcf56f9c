"""Control characters in free text: what the catalogue refuses on the way in
(``schemas``), cleans from other systems' metadata (``importers``) and escapes
on the way out (the command line), so that no text can move a terminal's
cursor, clear its screen or fake a line of the catalogue's output.

Imports only the standard library: the command line uses it before anything else.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters and DEL: a terminal acts on them (escape codes,
#: carriage returns, new lines) rather than showing them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: The same but for multi-line (Markdown) text, where new lines and tabs belong.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Another system's text as one plain line: control characters (stray escape
    codes, tabs, a new line in a spreadsheet's header) become spaces, and runs
    of spaces one. What importers and harvests store instead of refusing it."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def shown_safely(text: str, multiline: bool = False) -> str:
    """``text`` with each control character written as its escape (``\\x1b``,
    ``\\n``), so it is seen rather than acted on; with ``multiline``, new lines
    and tabs are kept. Text stored before the catalogue refused them still
    prints as one honest line."""
    pattern = CONTROL_IN_TEXT if multiline else CONTROL_CHARACTERS
    return pattern.sub(lambda found: repr(found.group())[1:-1], text)

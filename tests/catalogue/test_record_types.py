"""docs/records.md and catalogue/services/record_types.py describe the same
records: every key a section's table lists is a key of the class its heading
names, and the other way round, and "or null" is written exactly where the
class allows None. The records the services return are checked against the
classes too, so a key added to a record but not to its type (or its doc) fails."""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest

from catalogue.services import record_types
from catalogue.services.audit import AUDIT_COLUMNS
from catalogue.services.edges import EDGE_FIELDS
from catalogue.services.lineage import TRACE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "records.md"
HEADING = re.compile(r"^#+ .*\(`(\w+)`\)")
EXTENDS = re.compile(r"every key of .*?\(`(\w+)`")


def documented() -> tuple[dict[str, dict[str, bool]], dict[str, str]]:
    """For each class a heading names: the keys of the first table under it, each
    with whether the doc says it may be null; and the class each one extends, where
    its section says it has "every key of" another (named in backticks)."""
    found: dict[str, dict[str, bool]] = {}
    extends: dict[str, str] = {}
    prose: dict[str, str] = {}
    current: str | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        if heading:
            current = heading.group(1)
            found[current] = {}
        elif current is None:
            continue
        elif line.startswith("| "):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if cells[:2] == ["key", "type"]:  # the table's header
                continue
            for key in cells[0].split(","):
                found[current][key.strip().strip("`")] = "null" in cells[1]
        elif found[current] and not line.startswith("|"):
            current = None  # the class's table has ended: later tables are not its keys
        else:
            prose[current] = f"{prose.get(current, '')} {line}"
    for name, text in prose.items():
        if base := EXTENDS.search(text):
            extends[name] = base.group(1)
    return found, extends


def classes() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(record_types).items()
        if isinstance(value, type) and typing.is_typeddict(value)
    }


def nullable(hint: object) -> bool:
    return isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)


DOCUMENTED, EXTENDS_CLASS = documented()


def test_every_record_type_has_a_table_in_the_doc() -> None:
    assert sorted(classes()) == sorted(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(classes()))
def test_the_doc_lists_exactly_the_keys_of_the_type(name: str) -> None:
    hints = typing.get_type_hints(classes()[name])
    if name in EXTENDS_CLASS:  # the doc lists only what it adds to the class it extends
        inherited = typing.get_type_hints(classes()[EXTENDS_CLASS[name]])
        assert set(inherited) < set(hints), f"{name} does not extend {EXTENDS_CLASS[name]}"
        hints = {key: hint for key, hint in hints.items() if key not in inherited}
    doc = DOCUMENTED[name]
    only_doc, only_type = sorted(set(doc) - set(hints)), sorted(set(hints) - set(doc))
    assert not only_doc and not only_type, (
        f"{name}: only in the doc {only_doc}, only in the type {only_type}"
    )
    wrong = [key for key in hints if nullable(hints[key]) != doc[key]]
    assert not wrong, f"{name}: 'or null' in the doc and None in the type disagree for {wrong}"


def test_the_heading_parser_finds_the_asset_record() -> None:
    # A parser that found nothing would pass the tests above vacuously.
    assert {"key", "columns", "version", "links"} <= set(DOCUMENTED["AssetRecord"])
    assert len(DOCUMENTED) >= 15
    assert EXTENDS_CLASS == {"DueReview": "AssetRecord", "NewWebhook": "WebhookRecord"}


def test_the_columns_the_cli_prints_are_keys_of_their_records() -> None:
    # Trace rows and edges are built by a loop over these names, which mypy cannot check.
    assert keys(record_types.TraceRow) - {"restricted", "column_paths"} == set(TRACE_COLUMNS)
    assert keys(record_types.TimedEdge) == set(EDGE_FIELDS)
    assert keys(record_types.AuditEntry) - {"before", "after"} == set(AUDIT_COLUMNS)


def test_what_the_cli_shows_has_exactly_the_typed_keys(demo_run: Any) -> None:
    shown = json.loads(demo_run("show", "rent-accounts", "--format", "json").output)
    assert set(shown) == keys(record_types.AssetRecord)
    assert shown["columns"], "the demo's rent accounts have columns"
    assert {frozenset(c) for c in shown["columns"]} == {frozenset(keys(record_types.ColumnRecord))}
    trace = demo_run("lineage", "trace", "rpt-housing-arrears-dashboard", "--format", "json")
    rows = json.loads(trace.output)["upstream"]
    assert rows, "the demo's arrears dashboard is fed by something"
    assert {frozenset(r) for r in rows} == {
        frozenset(keys(record_types.TraceRow) - {"column_paths"})
    }


def keys(record_type: type) -> set[str]:
    return set(typing.get_type_hints(record_type))

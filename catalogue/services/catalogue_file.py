"""Reading and writing catalogue files: YAML, JSON or CSV, one record per asset.

Every record read carries where it came from (file and line), so an error can
say exactly where to look. See "The catalogue file format" in docs/command-line.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalogue.errors import Invalid, Problem
from catalogue.schemas import ASSET_FIELDS
from lineage.packed import collector_paused

FORMATS = ("yaml", "json", "csv")
FILE_FIELDS = (*ASSET_FIELDS, "upstream")
LIST_FIELDS = ("tags", "upstream", "data_subjects", "personal_data_categories", "recipients")
JSON_FIELDS = ("columns", "links")


@dataclass(frozen=True)
class SourceRecord:
    source: str  # "register.yaml:12"
    data: dict[str, Any]


def file_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    fmt = {"yml": "yaml", "yaml": "yaml", "json": "json", "csv": "csv"}.get(suffix)
    if fmt is None:
        raise Invalid(
            f"{path}: cannot tell the format from the name; use .yaml, .yml, .json or .csv",
            [Problem("unknown file type (allowed: .yaml, .yml, .json, .csv)", source=str(path))],
        )
    return fmt


@dataclass(frozen=True)
class CatalogueFile:
    """What one catalogue file holds: asset records and glossary term records."""

    assets: list[SourceRecord]
    terms: list[SourceRecord]


def read_catalogue_file(path: Path) -> list[SourceRecord]:
    """The asset records of one file, in order. Raises Invalid naming the file and line."""
    return read_catalogue(path).assets


def read_catalogue(path: Path) -> CatalogueFile:
    """The asset records and the glossary ``terms:`` records of one file, read
    in one pass (a register of 10,000 assets is 9 MB of YAML: composing it
    twice cost a third of `catalogue apply`, #21). Raises Invalid naming the
    file and line."""
    fmt = file_format(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise Invalid(f"cannot read {path}", [Problem(str(error), source=str(path))]) from None
    except UnicodeDecodeError as error:
        byte = error.object[error.start : error.start + 1].hex()
        message = f"not UTF-8 text (byte 0x{byte} at offset {error.start}): save it as UTF-8"
        raise Invalid(f"cannot read {path}", [Problem(message, source=str(path))]) from None
    # A register of 10,000 assets is a million objects (the YAML's nodes, then
    # the records) and no reference cycles: with the cyclic collector running,
    # rescanning the growing heap took three quarters of the reading (#21).
    with collector_paused():
        if fmt == "yaml":
            return _read_yaml(text, str(path))
        reader = {"json": _read_json, "csv": _read_csv}[fmt]
        return CatalogueFile(_mappings(reader(text, str(path))), [])


def _mappings(records: list[SourceRecord]) -> list[SourceRecord]:
    """``records``, each checked to be a mapping. Raises Invalid naming the first that is not."""
    for record in records:
        if not isinstance(record.data, dict):
            raise Invalid(
                f"{record.source}: each record must be a mapping of field names to values",
                [Problem("not a mapping of fields", source=record.source)],
            )
    return records


def _bad_file(source: str, message: str) -> Invalid:
    return Invalid(f"{source}: {message}", [Problem(message, source=source)])


def _read_yaml(text: str, name: str) -> CatalogueFile:
    # libyaml's loader where available: ten times faster on a register of thousands.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise _bad_file(f"{name}:1", "the file is empty: expected a list of asset records")
        items = root.value if isinstance(root, yaml.SequenceNode) else None
        if items is None and isinstance(root, yaml.MappingNode):
            items = next(
                (v.value for k, v in root.value if k.value == "assets" and v.id == "sequence"),
                None,
            )
            if items is None and any(k.value == "terms" for k, _ in root.value):
                items = []  # only glossary terms (read below)
        if items is None:
            raise _bad_file(f"{name}:1", "expected a list of asset records (or `assets:` list)")
        problems = [p for node in items for p in _repeated_fields(node, name)]
        if problems:
            raise Invalid(f"{name}: a field is given twice in a record", problems)
        assets = _mappings([_yaml_record(loader, node, name) for node in items])
        return CatalogueFile(assets, _term_records(loader, root, name))
    except RecursionError:
        raise _bad_file(f"{name}:1", "not valid YAML: nested too deeply") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise _bad_file(f"{name}:{line}", f"not valid YAML: {error.problem}") from None
    finally:
        loader.dispose()


def _term_records(loader: Any, root: yaml.Node, name: str) -> list[SourceRecord]:
    """The ``terms:`` records of a YAML file's root (#18), each with its line;
    none without the section. Raises Invalid naming the file and line when the
    section is not a list of mappings."""
    if not isinstance(root, yaml.MappingNode):
        return []
    section = next((v for k, v in root.value if k.value == "terms"), None)
    if section is None:
        return []
    if not isinstance(section, yaml.SequenceNode):
        where = f"{name}:{section.start_mark.line + 1}"
        raise Invalid(
            f"{where}: terms must be a list of glossary term records",
            [Problem("must be a list of term records", "terms", source=where)],
        )
    records = []
    for node in section.value:
        where = f"{name}:{node.start_mark.line + 1}"
        data = loader.construct_object(node, True)
        if not isinstance(data, dict):
            raise Invalid(
                f"{where}: a term must be a mapping of field names to values",
                [Problem("not a mapping of fields", source=where)],
            )
        records.append(SourceRecord(where, data))
    return records


def _yaml_record(loader: Any, node: yaml.Node, name: str) -> SourceRecord:
    source = f"{name}:{node.start_mark.line + 1}"
    try:
        try:
            data = _plain_value(loader, node, set())
        except _Unusual:
            data = loader.construct_object(node, True)
        return SourceRecord(source, data)
    except (ValueError, OverflowError) as error:  # e.g. a date like 2026-13-45
        field, line = _failing_field(node)
        where = f"{name}:{line}" if line else source
        message = f"the value cannot be read: {error}"
        problem = Problem(message, field=field, source=where)
        raise Invalid(f"{where}: {message}", [problem]) from None


_STR, _MAP, _SEQ = (f"tag:yaml.org,2002:{name}" for name in ("str", "map", "seq"))


class _Unusual(Exception):
    """A node the quick constructor leaves to PyYAML's own."""


def _plain_value(loader: Any, node: yaml.Node, building: set[int]) -> Any:
    """What ``loader.construct_object(node, True)`` builds, for the shapes a
    register holds: mappings with string keys, lists and scalars (a scalar other
    than a string through PyYAML's own constructor, so dates, booleans and their
    errors are its). Several times quicker than PyYAML's generic walk (#21). Each
    list and mapping is kept in the loader's table of built nodes, so an alias
    gives the same object as PyYAML would. Raises _Unusual for anything else:
    another tag, a merge key, a key that is not a string, or a node inside
    itself, which PyYAML then builds (or refuses) as it always did."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.tag == _STR else loader.construct_object(node, True)
    built = loader.constructed_objects.get(node)
    if built is not None:
        return built
    if id(node) in building or node.tag != (_SEQ if kind is yaml.SequenceNode else _MAP):
        raise _Unusual
    building.add(id(node))
    value: Any
    if kind is yaml.SequenceNode:
        value = [_plain_value(loader, item, building) for item in node.value]
    else:
        value = {}
        for key, item in node.value:
            if type(key) is not yaml.ScalarNode or key.tag != _STR:
                raise _Unusual
            value[key.value] = _plain_value(loader, item, building)
    building.discard(id(node))
    loader.constructed_objects[node] = value
    return value


def _failing_field(node: yaml.Node) -> tuple[str | None, int | None]:
    """The field (and its line) whose value the YAML constructor refuses."""
    for key, value in node.value if isinstance(node, yaml.MappingNode) else ():
        try:  # a fresh constructor: the loader's is left mid-object by the failure
            yaml.constructor.SafeConstructor().construct_object(value, True)
        except (ValueError, OverflowError):
            return str(key.value), value.start_mark.line + 1
    return None, None


def _repeated_fields(node: yaml.Node, name: str) -> list[Problem]:
    """A field named twice in one record: YAML forbids it, and PyYAML would
    silently keep the last value, so a typo'd copy could undo a correction."""
    if not isinstance(node, yaml.MappingNode):
        return []
    seen: dict[str, int] = {}
    problems = []
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        line = key.start_mark.line + 1
        if key.value in seen:
            message = f"given twice, at lines {seen[key.value]} and {line}"
            problems.append(Problem(message, field=key.value, source=f"{name}:{line}"))
        seen.setdefault(key.value, line)
    return problems


class _RepeatedField(ValueError):
    pass


def _refuse_repeated(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field, value in pairs:
        if field in data:
            raise _RepeatedField(field)
        data[field] = value
    return data


def _read_json(text: str, name: str) -> list[SourceRecord]:
    """A JSON list of records; each record's line is found while decoding."""
    decoder = json.JSONDecoder(object_pairs_hook=_refuse_repeated)
    records: list[SourceRecord] = []
    line_at = _LineCounter(text)
    pos = _skip_space(text, 0)
    if pos >= len(text) or text[pos] != "[":
        raise _bad_file(f"{name}:{line_at(pos)}", "expected a JSON list of asset records")
    pos = _skip_space(text, pos + 1)
    while pos < len(text) and text[pos] != "]":
        try:
            data, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as error:
            raise _bad_file(f"{name}:{error.lineno}", f"not valid JSON: {error.msg}") from None
        except _RepeatedField as error:
            source = f"{name}:{line_at(pos)}"
            raise Invalid(
                f"{source}: field {error} is given twice in a record",
                [Problem("given twice in one record", field=str(error), source=source)],
            ) from None
        except RecursionError:
            raise _bad_file(f"{name}:{line_at(pos)}", "not valid JSON: nested too deeply") from None
        records.append(SourceRecord(f"{name}:{line_at(pos)}", data))
        pos = _skip_space(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_space(text, pos + 1)
        elif pos >= len(text) or text[pos] != "]":
            raise _bad_file(f"{name}:{line_at(pos)}", "expected ',' or ']' between records")
    return records


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


class _LineCounter:
    """The line of a position in ``text``, counted on from the last position
    asked (they only grow while a file is read): counting from the start for
    every record made reading 10,000 records take seconds (#21)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def __call__(self, pos: int) -> int:
        start, line = (self.pos, self.line) if pos >= self.pos else (0, 1)
        self.pos, self.line = pos, line + self.text.count("\n", start, pos)
        return self.line


def _read_csv(text: str, name: str) -> list[SourceRecord]:
    reader = csv.DictReader(io.StringIO(text))
    records = []
    for row in reader:
        source = f"{name}:{reader.line_num}"
        data: dict[str, Any] = {}
        for field, cell in row.items():
            if field is None:
                raise _bad_file(source, "this row has more cells than the header has columns")
            if cell is None or cell.strip() == "":
                continue
            try:
                data[field] = _csv_cell(field, cell.strip())
            except json.JSONDecodeError as error:
                raise _bad_file(source, f"field {field!r} is not valid JSON: {error.msg}") from None
        records.append(SourceRecord(source, data))
    return records


def _csv_cell(field: str, cell: str) -> Any:
    if field in JSON_FIELDS or (field in LIST_FIELDS and cell.startswith("[")):
        return json.loads(cell)
    if field in LIST_FIELDS:
        return [part.strip() for part in cell.split(";") if part.strip()]
    return cell


def file_record(record: Mapping[str, Any], upstream: list[Any]) -> dict[str, Any]:
    """A stored record in file form: fields in order, empty ones left out."""
    out: dict[str, Any] = {}
    for name in ASSET_FIELDS:
        value = record.get(name)
        if value is None or value == [] or (name == "description" and value == ""):
            continue
        if name == "columns":
            value = [{k: v for k, v in c.items() if v is not None} for c in value]
        out[name] = value
    if upstream:
        out["upstream"] = upstream
    return out


def dump_records(records: Iterable[dict[str, Any]], fmt: str) -> str:
    """Serialise file-form records. Raises ValueError for an unknown format."""
    records = list(records)
    if fmt == "yaml":
        return yaml.safe_dump(records, sort_keys=False, allow_unicode=True, width=100)
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=FILE_FIELDS, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: _csv_value(k, v) for k, v in record.items()})
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")


def _csv_value(field: str, value: Any) -> Any:
    if field in JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False)
    if field in LIST_FIELDS:
        if all(isinstance(v, str) for v in value):
            return ";".join(value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value

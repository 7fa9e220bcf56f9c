"""Reading a folder of CSV, XLSX and ODS files: one dataset per CSV file and
per workbook sheet, its columns named by the header row and typed from a
bounded sample of rows. A CSV file is streamed (only the sample is read); a
workbook sheet is read by calamine, and only its sample rows become Python
values. A file that cannot be read fails the whole folder, so nothing is
retired for being unreadable."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

import python_calamine

from catalogue.services.harvest.found import (
    FoundDataset,
    HarvestError,
    Reading,
    Scope,
    column,
    files_under,
)
from catalogue.text import one_line

SAMPLE_ROWS = 1000
CSV_SUFFIXES = (".csv",)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
SNIFF_BYTES = 64 * 1024
BOOLEANS = {"true", "false", "yes", "no"}
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d{1,3}(,\d{3})+(\.\d+)?)$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")


def read_files(folder: Path, sample_rows: int = SAMPLE_ROWS) -> Reading:
    """A dataset per CSV file and per non-empty sheet under ``folder``.

    Raises HarvestError naming the folder or the file that cannot be read.
    """
    if not folder.is_dir():
        raise HarvestError(str(folder), "no such folder")
    reading = Reading(source=str(folder), scope=Scope(prefix=""))
    for path in files_under(folder, CSV_SUFFIXES + WORKBOOK_SUFFIXES):
        relative = path.relative_to(folder).as_posix()
        try:
            stat = path.stat()
            modified = datetime.fromtimestamp(stat.st_mtime, UTC).date()
            if path.suffix.lower() in CSV_SUFFIXES:
                found = [_csv_dataset(path, relative, sample_rows)]
            else:
                found = _workbook_datasets(path, relative, sample_rows)
        except OSError as error:
            raise HarvestError(str(path), error.strerror or str(error)) from None
        for dataset in found:
            dataset.last_updated = modified
            dataset.size = stat.st_size
        reading.datasets.extend(found)
    return reading


# -- CSV -------------------------------------------------------------------------
def _csv_dataset(path: Path, name: str, sample_rows: int) -> FoundDataset:
    with path.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
    encoding = "utf-8-sig"
    try:
        head.decode(encoding)
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the sniffing limit
            encoding = "cp1252"  # what a spreadsheet on Windows saves
    text = head.decode(encoding, errors="ignore")
    try:
        dialect: Any = csv.Sniffer().sniff(text, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        with path.open(newline="", encoding=encoding, errors="replace") as handle:
            rows = csv.reader(handle, dialect)
            header = next(rows, [])
            sample = list(islice(rows, sample_rows))
    except csv.Error as error:
        raise HarvestError(str(path), f"not a CSV file this can read ({error})") from None
    return FoundDataset(
        name=name.lower(),
        object_type="csv file",
        title=Path(name).name,
        location=str(path.resolve()),
        columns=_columns(header, sample),
    )


# -- workbooks ---------------------------------------------------------------------
def _workbook_datasets(path: Path, name: str, sample_rows: int) -> list[FoundDataset]:
    kind = path.suffix.lower().lstrip(".")
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, ValueError) as error:
        raise HarvestError(str(path), f"not a workbook this can read ({_reason(error)})") from None
    out = []
    try:
        for sheet_name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(sheet_name)
                rows = sheet.to_python(skip_empty_area=True, nrows=sample_rows + 1)
            except (python_calamine.CalamineError, ValueError) as error:
                message = f"sheet {sheet_name!r} cannot be read ({_reason(error)})"
                raise HarvestError(str(path), message) from None
            if not rows or not any(cell not in ("", None) for cell in rows[0]):
                continue  # an empty sheet holds no dataset
            out.append(
                FoundDataset(
                    name=f"{name}#{sheet_name}".lower(),
                    object_type=f"{kind} sheet",
                    title=f"{Path(name).name}: {sheet_name}",
                    location=f"{path.resolve()}#{sheet_name}",
                    columns=_columns([_text(c) for c in rows[0]], rows[1:]),
                )
            )
    finally:
        book.close()
    return out


def _reason(error: Exception) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


# -- columns and types -------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _columns(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Columns named by the header (blank and repeated names made unique), each
    typed from the sample's non-empty cells."""
    names: list[str] = []
    for i, raw in enumerate(header):
        name = one_line(str(raw)) or f"column_{i + 1}"
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return [column(name, infer_type(_cells(rows, i))) for i, name in enumerate(names)]


def _cells(rows: Iterable[Sequence[Any]], index: int) -> Iterator[Any]:
    for row in rows:
        if index < len(row) and row[index] not in ("", None):
            yield row[index]


def infer_type(values: Iterable[Any]) -> str:
    """The narrowest of boolean, integer, decimal, date, datetime, time and text
    that every value fits ("text" when there are none)."""
    kinds = {_kind(v) for v in values}
    if not kinds:
        return "text"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"integer", "decimal"}:
        return "decimal"
    if kinds <= {"date", "datetime"}:
        return "datetime"
    return "text"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "decimal"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    return _text_kind(str(value).strip())


def _text_kind(text: str) -> str:
    if text.lower() in BOOLEANS:
        return "boolean"
    if INTEGER.match(text):
        return "integer"
    if DECIMAL.match(text):
        return "decimal"
    for formats, kind in ((DATE_FORMATS, "date"), (DATETIME_FORMATS, "datetime")):
        for fmt in formats:
            try:
                datetime.strptime(text, fmt)
            except ValueError:
                continue
            return kind
    return "text"

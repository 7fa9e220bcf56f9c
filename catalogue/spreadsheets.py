"""A register as a file: CSV, XLSX (openpyxl) or ODS (odfpy), from headings and
rows of strings. One table in, the same table out in each format, so the page,
the CLI and the download never disagree."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import Workbook
from openpyxl.styles import Font

FORMATS = ("csv", "xlsx", "ods", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

Rows = Sequence[dict[str, str]]


def csv_bytes(headings: Sequence[str], rows: Rows) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows names like "Siân" correctly."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(headings), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(title: str, headings: Sequence[str], rows: Rows) -> bytes:
    """One sheet named ``title``, bold headings, the heading row frozen."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]  # Excel's limit on a sheet name
    sheet.append(list(headings))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(h, "") for h in headings])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods_bytes(title: str, headings: Sequence[str], rows: Rows) -> bytes:
    """One table named ``title``, every cell a string."""
    document = OpenDocumentSpreadsheet()
    table = Table(name=title)
    for values in [list(headings), *([row.get(h, "") for h in headings] for row in rows)]:
        table_row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            for line in str(value).split("\n"):
                cell.addElement(P(text=line))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def file_bytes(fmt: str, title: str, headings: Sequence[str], rows: Rows) -> bytes:
    """The table in ``fmt`` (one of FORMATS); JSON is a list of heading → value objects."""
    if fmt == "json":
        return (json.dumps(list(rows), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "xlsx":
        return xlsx_bytes(title, headings, rows)
    if fmt == "ods":
        return ods_bytes(title, headings, rows)
    return csv_bytes(headings, rows)

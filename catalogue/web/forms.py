"""The steward's asset form: from a record or a submitted form to the values the
services validate, and from their ``Invalid`` problems back to GOV.UK errors.

Validation is the services' (``schemas.AssetSchema``, the same as the CLI, the
API and catalogue files): this module only reshapes the form and words the
messages for people, field by field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from catalogue.errors import Problem

TEXT_FIELDS = (
    "title",
    "description",
    "department",
    "source_system",
    "location",
    "owner",
    "owner_email",
    "steward",
    "steward_email",
    "contact_email",
    "licence",
    "article9_condition",
    "retention_period",
    "dpia_reference",
    "purpose",
    "international_transfers",
)
#: Article 30 categories: one a line in a text area (they often hold commas).
LINE_LIST_FIELDS = ("data_subjects", "personal_data_categories", "recipients")
CHOICE_FIELDS = ("kind", "classification", "access", "lawful_basis", "update_frequency", "status")
BOOLEAN_FIELDS = ("personal_data", "special_category")
DATE_FIELDS = ("last_updated", "review_date")
DATE_PARTS = ("day", "month", "year")
COLUMN_FIELDS = ("name", "type", "description")
LINK_FIELDS = ("name", "url", "format")
MAX_ROWS = 500
#: The buttons that change the rows instead of saving (GOV.UK's "add another",
#: without JavaScript): ``add-columns``, ``remove-links-2``…
ROW_ACTION = re.compile(r"(add|remove)-(columns|links)(?:-(\d+))?")

LABELS = {
    "key": "Key",
    "kind": "Kind",
    "title": "Title",
    "description": "Description",
    "tags": "Tags",
    "department": "Department",
    "source_system": "Source system",
    "location": "Location",
    "owner": "Owner's name",
    "owner_email": "Owner's email address",
    "steward": "Steward's name",
    "steward_email": "Steward's email address",
    "contact_email": "Contact email address",
    "classification": "Security classification",
    "access": "Who can see it",
    "licence": "Licence",
    "personal_data": "Whether it contains personal data",
    "special_category": "Whether it contains special category data",
    "lawful_basis": "Lawful basis",
    "article9_condition": "Article 9 condition",
    "retention_period": "Retention period",
    "dpia_reference": "DPIA reference",
    "purpose": "Purpose of processing",
    "data_subjects": "Categories of data subjects",
    "personal_data_categories": "Categories of personal data",
    "recipients": "Recipients",
    "international_transfers": "International transfers",
    "update_frequency": "Update frequency",
    "last_updated": "Last updated",
    "review_date": "Review date",
    "status": "Status",
    "upstream": "What feeds it",
    "via": "Pipeline",
    "name": "Name",
    "type": "Type",
    "url": "Web address",
    "format": "Format",
}


def label(name: str) -> str:
    """The label of a field path: "columns.2.name" -> "Column 3 name"."""
    parts = name.split(".")
    if len(parts) == 3 and parts[0] in ("columns", "links") and parts[1].isdigit():
        noun = "Column" if parts[0] == "columns" else "Link"
        return f"{noun} {int(parts[1]) + 1} {LABELS.get(parts[2], parts[2]).lower()}"
    return LABELS.get(name, name.replace("_", " ").capitalize())


def friendly(name: str, message: str, given: str | None = None) -> str:
    """A validation message worded as the GOV.UK Design System advises
    (``given`` is what was entered, when the message alone cannot tell)."""
    what = label(name)
    lower = what[0].lower() + what[1:]
    between = re.match(r"Length must be between 1 and (\d+)\.", message)
    if between and given:
        return f"{what} must be {between.group(1)} characters or fewer"
    if (
        between
        or message in ("Missing data for required field.", "Field may not be null.")
        or message.startswith("Shorter than minimum length")
    ):
        if name in CHOICE_FIELDS or name in BOOLEAN_FIELDS:
            return f"Select {lower}"
        return f"Enter {lower}"
    if message == "Not a valid email address.":
        return f"Enter {lower} in the correct format, like name@council.gov.uk"
    if message == "Not a valid date.":
        return f"{what} must be a real date"
    found = re.match(r"Longer than maximum length (\d+)\.", message)
    if found:
        return f"{what} must be {found.group(1)} characters or fewer"
    if message.startswith("must "):
        return f"{what} {message}"
    return f"{what}: {message}"


def field_id(name: str) -> str:
    """The id of the input a field's error links to."""
    if name in DATE_FIELDS:
        return f"{name}-day"
    return name.replace(".", "-")


@dataclass
class AssetForm:
    """What the form shows and what it submits, and its errors."""

    values: dict[str, str] = field(default_factory=dict)
    columns: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    summary: list[dict[str, str]] = field(default_factory=list)
    # Submitted rows that were not blank, by form row number (for error links).
    column_rows: list[int] = field(default_factory=list)
    link_rows: list[int] = field(default_factory=list)
    #: The steward pressed "Add another" or "Remove": show the form again, save nothing.
    changing_rows: bool = False

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> AssetForm:
        values = {name: _text(record.get(name)) for name in (*TEXT_FIELDS, *CHOICE_FIELDS, "key")}
        values["tags"] = ", ".join(record.get("tags") or [])
        for name in LINE_LIST_FIELDS:
            values[name] = "\n".join(record.get(name) or [])
        for name in BOOLEAN_FIELDS:
            values[name] = "yes" if record.get(name) else "no"
        for name in DATE_FIELDS:
            values.update(_date_parts(name, record.get(name)))
        values["version"] = _text(record.get("version"))
        columns = [
            {
                "name": _text(c.get("name")),
                "type": _text(c.get("type")),
                "description": _text(c.get("description")),
                "personal": "yes" if c.get("personal") else "",
            }
            for c in record.get("columns") or []
        ]
        links = [{k: _text(link.get(k)) for k in LINK_FIELDS} for link in record.get("links") or []]
        return cls(values=values, columns=columns, links=links)

    @classmethod
    def from_request(cls, submitted: MultiDict[str, str]) -> AssetForm:
        names = (
            *TEXT_FIELDS,
            *CHOICE_FIELDS,
            *BOOLEAN_FIELDS,
            *LINE_LIST_FIELDS,
            "key",
            "tags",
            "version",
        )
        values = {name: submitted.get(name, "") for name in names}
        for name in DATE_FIELDS:
            for part in DATE_PARTS:
                values[f"{name}-{part}"] = submitted.get(f"{name}-{part}", "").strip()
        action = ROW_ACTION.fullmatch(submitted.get("action", ""))
        removed = {
            prefix: int(action.group(3))
            for prefix in ("columns", "links")
            if action and action.group(1) == "remove" and action.group(2) == prefix
            if action.group(3) is not None
        }
        form = cls(values=values, changing_rows=action is not None)
        form.columns = _rows(
            submitted, "columns", (*COLUMN_FIELDS, "personal"), removed.get("columns")
        )
        form.links = _rows(submitted, "links", LINK_FIELDS, removed.get("links"))
        if action and action.group(1) == "add":
            form.add_row(action.group(2))
        return form

    def add_row(self, prefix: str) -> None:
        """One more empty column (``prefix`` "columns") or link ("links") row."""
        if prefix == "columns":
            self.columns.append(dict.fromkeys((*COLUMN_FIELDS, "personal"), ""))
        else:
            self.links.append(dict.fromkeys(LINK_FIELDS, ""))

    def record(self, with_key: bool) -> dict[str, Any]:
        """The record the services validate: every field the form has."""
        data: dict[str, Any] = {name: self.values.get(name, "") for name in TEXT_FIELDS}
        for name in CHOICE_FIELDS:
            if name == "status" and not self.values.get(name):
                continue  # registering: the schema's default (active)
            data[name] = self.values.get(name) or None
        if with_key:
            data["key"] = self.values.get("key", "")
        data["tags"] = [
            t.strip() for t in re.split(r"[,;]", self.values.get("tags", "")) if t.strip()
        ]
        for name in LINE_LIST_FIELDS:
            lines = self.values.get(name, "").splitlines()
            data[name] = [line.strip() for line in lines if line.strip()]
        for name in BOOLEAN_FIELDS:
            data[name] = self.values.get(name) == "yes"
        for name in DATE_FIELDS:
            data[name] = self.iso_date(name)
        self.column_rows, data["columns"] = [], []
        for row_number, row in enumerate(self.columns):
            if any(row.get(k, "").strip() for k in COLUMN_FIELDS):
                self.column_rows.append(row_number)
                data["columns"].append(
                    {
                        **{k: row.get(k, "").strip() or None for k in COLUMN_FIELDS},
                        "personal": row.get("personal") == "yes",
                    }
                )
        self.link_rows, data["links"] = [], []
        for row_number, row in enumerate(self.links):
            if any(row.get(k, "").strip() for k in LINK_FIELDS):
                self.link_rows.append(row_number)
                data["links"].append({k: row.get(k, "").strip() or None for k in LINK_FIELDS})
        for rows, kind in ((data["columns"], "columns"), (data["links"], "links")):
            for row in rows:
                if kind == "columns" and row["name"] is None:
                    row["name"] = ""  # "Enter column N name", not "may not be null"
                if kind == "links" and row["url"] is None:
                    row["url"] = ""
        return data

    def iso_date(self, name: str) -> str | None:
        """A date field's day, month and year as the schema reads them (see ``_iso_date``)."""
        return _iso_date(*(self.values.get(f"{name}-{p}", "") for p in DATE_PARTS))

    def version(self) -> int | None:
        try:
            return int(self.values.get("version", ""))
        except ValueError:
            return None

    def add_error(self, name: str, message: str) -> None:
        """One error for the summary and (the first per field) beside the field."""
        target = field_id(name)
        if target not in self.errors:
            self.errors[target] = message
        self.summary.append({"text": message, "href": f"#{target}"})

    def add_problems(self, problems: list[Problem]) -> None:
        for problem in problems:
            name = self._form_field(problem.field)
            if name is None:
                self.summary.append({"text": problem.message, "href": "#asset-form"})
            else:
                self.add_error(name, friendly(name, problem.message, self._given(name)))

    def _given(self, name: str) -> str:
        """What was entered in a field (form row numbering)."""
        parts = name.split(".")
        if len(parts) == 3 and parts[0] in ("columns", "links"):
            rows = self.columns if parts[0] == "columns" else self.links
            index = int(parts[1])
            return rows[index].get(parts[2], "").strip() if index < len(rows) else ""
        return self.values.get(name, "").strip()

    def _form_field(self, name: str | None) -> str | None:
        """A problem's field as the form names it (rows renumbered as shown)."""
        if not name:
            return None
        parts = name.split(".")
        if parts[0] in ("columns", "links") and len(parts) >= 2 and parts[1].isdigit():
            rows = self.column_rows if parts[0] == "columns" else self.link_rows
            index = int(parts[1])
            if index < len(rows):
                parts[1] = str(rows[index])
            return ".".join(parts) if len(parts) == 3 else None
        return name


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date_parts(name: str, value: Any) -> dict[str, str]:
    if not value:
        return {f"{name}-{p}": "" for p in DATE_PARTS}
    year, month, day = str(value)[:10].split("-")
    return {f"{name}-day": str(int(day)), f"{name}-month": str(int(month)), f"{name}-year": year}


def _iso_date(day: str, month: str, year: str) -> str | None:
    """ "1", "6", "2025" -> "2025-06-01"; anything not a date is passed on for the
    schema to refuse ("Not a valid date."); all blank -> None."""
    if not (day or month or year):
        return None
    if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return f"{year}-{month}-{day}"


def _rows(
    submitted: MultiDict[str, str],
    prefix: str,
    names: tuple[str, ...],
    removed: int | None = None,
) -> list[dict[str, str]]:
    """Rows submitted as ``prefix-N-name`` fields, in row order, without row
    number ``removed``. A row the steward added and left blank stays on the
    form (what they see is what they had); saving skips it (``record``)."""
    numbers = sorted(
        {
            int(found.group(1))
            for key in submitted
            if (found := re.fullmatch(rf"{prefix}-(\d+)-\w+", key))
            and int(found.group(1)) < MAX_ROWS
        }
        - {removed}
    )
    return [{name: submitted.get(f"{prefix}-{n}-{name}", "") for name in names} for n in numbers]

"""Governance arithmetic: when an asset's owner must next review it, the rows
of the Information Asset Register and the record of processing activities
(how complete the register is: ``catalogue.coverage``). Pure: plain records
in, plain values out (no Flask, no SQLAlchemy), so it is tested in
milliseconds.

A *record* here is an asset record as ``services.records.asset_record`` makes it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

#: How often an owner confirms an asset is still correct, unless a kind says otherwise.
DEFAULT_REVIEW_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months; the 31st becomes the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class ReviewPolicy:
    """Months between reviews: ``default_months`` unless ``by_kind`` names the kind."""

    default_months: int = DEFAULT_REVIEW_MONTHS
    by_kind: tuple[tuple[str, int], ...] = ()

    def months_for(self, kind: str | None) -> int:
        return dict(self.by_kind).get(kind or "", self.default_months)

    def next_review(self, record: Mapping[str, Any]) -> date | None:
        """When the asset is next due for review.

        The review date recorded on the asset if there is one (a review moves it
        on by the interval); otherwise one interval after its last review, or
        after it was registered if it was never reviewed.
        """
        explicit = _day(record.get("review_date"))
        if explicit is not None:
            return explicit
        start = _day(record.get("last_reviewed")) or _day(record.get("created_at"))
        if start is None:
            return None
        return add_months(start, self.months_for(record.get("kind")))

    def overdue_since(self, record: Mapping[str, Any], today: date) -> date | None:
        """The day the review fell due, if that is before ``today``; else None.
        Retired assets are never due."""
        if record.get("status") == "retired":
            return None
        due = self.next_review(record)
        return due if due is not None and due < today else None


def parse_review_months(text: str) -> ReviewPolicy:
    """``"12"`` or ``"12,report=6,pipeline=24"``: the default, then per kind.

    Raises ValueError naming the part that is not a whole number of months.
    """
    default = DEFAULT_REVIEW_MONTHS
    by_kind: list[tuple[str, int]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kind, _, months = part.rpartition("=")
        try:
            number = int(months)
        except ValueError:
            number = 0
        if number < 1:
            raise ValueError(f"{part!r} is not a whole number of months (at least 1)")
        if kind:
            by_kind.append((kind.strip(), number))
        else:
            default = number
    return ReviewPolicy(default, tuple(by_kind))


# -- the Information Asset Register ------------------------------------------------

SHARING = {
    "open": "Published openly",
    "internal": "Shared within the council",
    "restricted": "Restricted to its department, owner and steward",
}
LAWFUL_BASIS_LABELS = {
    "consent": "Consent (Article 6(1)(a))",
    "contract": "Contract (Article 6(1)(b))",
    "legal_obligation": "Legal obligation (Article 6(1)(c))",
    "vital_interests": "Vital interests (Article 6(1)(d))",
    "public_task": "Public task (Article 6(1)(e))",
    "legitimate_interests": "Legitimate interests (Article 6(1)(f))",
}


@dataclass(frozen=True)
class RegisterColumn:
    """One column of a register: its heading, where its value comes from (said
    in the README's table), and how to read it from a record."""

    heading: str
    source: str
    value: Callable[[Mapping[str, Any]], Any]


def _yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def _field(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda record: record.get(name) or ""


def _format_and_location(record: Mapping[str, Any]) -> str:
    links = record.get("links") or []
    formats = sorted({link["format"] for link in links if link.get("format")})
    location = record.get("location") or ""
    return "; ".join(p for p in (", ".join(formats), location) if p)


def _who_may_see(record: Mapping[str, Any]) -> str:
    access = record.get("access") or "internal"
    text = SHARING.get(access, access)
    if access == "open" and record.get("licence"):
        text += f" under {record['licence']}"
    return text


def _sharing(record: Mapping[str, Any]) -> str:
    text = _who_may_see(record)
    if record.get("recipients"):
        text += "; disclosed to " + ", ".join(record["recipients"])
    return text


def _lawful_basis(record: Mapping[str, Any]) -> str:
    basis = record.get("lawful_basis")
    return LAWFUL_BASIS_LABELS.get(basis, basis) if basis else ""


def _last_review(record: Mapping[str, Any]) -> str:
    day = record.get("last_reviewed")
    if not day:
        return ""
    by = record.get("last_reviewed_by")
    return f"{day} by {by}" if by else str(day)


def iar_columns(policy: ReviewPolicy) -> list[RegisterColumn]:
    """The Information Asset Register's columns, in order."""

    def next_review(record: Mapping[str, Any]) -> str:
        due = policy.next_review(record)
        return due.isoformat() if due else ""

    return [
        RegisterColumn("Asset", "title (and key)", lambda r: f"{r['title']} ({r['key']})"),
        RegisterColumn("Description", "description (Markdown as written)", _field("description")),
        RegisterColumn("Information Asset Owner", "owner and owner_email", _person("owner")),
        RegisterColumn("Steward", "steward and steward_email", _person("steward")),
        RegisterColumn("Department", "department", _field("department")),
        RegisterColumn("Source system", "source_system", _field("source_system")),
        RegisterColumn(
            "Format and location", "formats of its links; location", _format_and_location
        ),
        RegisterColumn("Classification", "classification", _field("classification")),
        RegisterColumn("Personal data", "personal_data", lambda r: _yes_no(r.get("personal_data"))),
        RegisterColumn(
            "Special category data", "special_category and article9_condition", _special
        ),
        RegisterColumn("Lawful basis", "lawful_basis (UK GDPR Article 6)", _lawful_basis),
        RegisterColumn("Retention", "retention_period", _field("retention_period")),
        RegisterColumn("DPIA reference", "dpia_reference", _field("dpia_reference")),
        RegisterColumn("Sharing", "access (licence when open), then recipients", _sharing),
        RegisterColumn("Last review", "the owner's last review: date and who", _last_review),
        RegisterColumn(
            "Next review",
            "review_date, else one review interval after the last review",
            next_review,
        ),
    ]


def _person(role: str) -> Callable[[Mapping[str, Any]], str]:
    def value(record: Mapping[str, Any]) -> str:
        name, email = record.get(role), record.get(f"{role}_email")
        if name and email and name != email:
            return f"{name} <{email}>"
        return name or email or ""

    return value


def _special(record: Mapping[str, Any]) -> str:
    if not record.get("special_category"):
        return "No"
    condition = record.get("article9_condition")
    return f"Yes: {condition}" if condition else "Yes"


def register_rows(
    records: Sequence[Mapping[str, Any]], columns: list[RegisterColumn]
) -> list[dict[str, str]]:
    """One row per record, keyed by heading, every value a string."""
    return [{c.heading: str(c.value(r)) for c in columns} for r in records]


# -- the record of processing activities (UK GDPR Article 30) -------------------------

NO_PURPOSE = "Purpose not recorded"


@dataclass(frozen=True)
class Controller:
    """Article 30(1)(a): the controller and the Data Protection Officer, from settings."""

    name: str = ""
    contact: str = ""
    dpo: str = ""
    security_measures: str = ""


def _union(records: list[Mapping[str, Any]], name: str) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        for value in record.get(name) or []:
            seen.setdefault(value, None)
    return sorted(seen, key=str.lower)


def _security(record: Mapping[str, Any], general: str) -> str:
    own = f"{record.get('classification') or 'OFFICIAL'}; {_who_may_see(record).lower()}"
    return f"{general}; {own}" if general else own


def processing_activities(
    records: Sequence[Mapping[str, Any]], controller: Controller
) -> list[dict[str, Any]]:
    """The record of processing: the assets holding personal data grouped by
    their purpose of processing (those without one last, under "Purpose not
    recorded", so the gap shows). Each group carries the Article 30(1) items,
    gathered from its assets."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        if record.get("personal_data"):
            groups.setdefault((record.get("purpose") or "").strip() or NO_PURPOSE, []).append(
                record
            )
    ordered = sorted(groups, key=lambda p: (p == NO_PURPOSE, p.lower()))
    return [
        _activity(purpose, sorted(groups[purpose], key=lambda r: r["title"].lower()), controller)
        for purpose in ordered
    ]


def _activity(
    purpose: str, members: list[Mapping[str, Any]], controller: Controller
) -> dict[str, Any]:
    """One processing activity: the Article 30(1) items of the assets held for
    ``purpose`` (``members``, in title order)."""
    return {
        "purpose": purpose,
        "controller": controller.name,
        "controller_contact": controller.contact,
        "dpo": controller.dpo,
        "assets": [f"{r['title']} ({r['key']})" for r in members],
        "departments": sorted({r["department"] for r in members if r.get("department")}),
        "data_subjects": _union(members, "data_subjects"),
        "personal_data_categories": _union(members, "personal_data_categories"),
        "special_category": [
            f"{r['title']}: {r.get('article9_condition') or 'condition not recorded'}"
            for r in members
            if r.get("special_category")
        ],
        "lawful_bases": sorted({_lawful_basis(r) for r in members if r.get("lawful_basis")}),
        "recipients": _union(members, "recipients"),
        "international_transfers": sorted(
            {r["international_transfers"] for r in members if r.get("international_transfers")}
        ),
        "retention": [
            f"{r['title']}: {r.get('retention_period') or 'not recorded'}" for r in members
        ],
        "security_measures": sorted({_security(r, controller.security_measures) for r in members}),
    }


#: The record of processing's columns: (heading, key in a group, Article 30(1) point).
ROPA_COLUMNS = [
    ("Purpose of processing", "purpose", "30(1)(b)"),
    ("Controller", "controller", "30(1)(a)"),
    ("Controller contact", "controller_contact", "30(1)(a)"),
    ("Data Protection Officer", "dpo", "30(1)(a)"),
    ("Information assets", "assets", ""),
    ("Departments", "departments", ""),
    ("Categories of data subjects", "data_subjects", "30(1)(c)"),
    ("Categories of personal data", "personal_data_categories", "30(1)(c)"),
    ("Special category data and Article 9 conditions", "special_category", ""),
    ("Lawful bases (Article 6)", "lawful_bases", ""),
    ("Recipients", "recipients", "30(1)(d)"),
    ("Transfers to third countries", "international_transfers", "30(1)(e)"),
    ("Retention", "retention", "30(1)(f)"),
    ("Security measures", "security_measures", "30(1)(g)"),
]


def ropa_rows(groups: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per purpose for a spreadsheet: lists joined one a line; an empty
    list is "None recorded" so a gap is never mistaken for "none"."""
    rows = []
    for group in groups:
        row = {}
        for heading, key, _point in ROPA_COLUMNS:
            value = group[key]
            if isinstance(value, list):
                value = "\n".join(value) if value else "None recorded"
            row[heading] = value
        rows.append(row)
    return rows

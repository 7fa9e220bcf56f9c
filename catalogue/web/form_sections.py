"""The asset form's sections and the summary at its top (#17): a steward sees
what the form holds, section by section, and jumps to the section to change.

The summary is worded from the form as it stands (what the steward has typed,
saved or not), in the shape of GOV.UK's summary list.
"""

from __future__ import annotations

from typing import Any

from catalogue.web.forms import AssetForm
from catalogue.web.presenters import ACCESS_LABELS, FREQUENCIES, LAWFUL_BASES, kind_label, nice_date

#: (id, heading) of each section, in the form's order.
SECTIONS = (
    ("section-about", "About it"),
    ("section-responsible", "Who is responsible"),
    ("section-handling", "Access and handling"),
    ("section-personal-data", "Personal data"),
    ("section-upkeep", "Keeping it up to date"),
    ("section-columns", "Columns"),
    ("section-links", "Links"),
)
HEADINGS = dict(SECTIONS)


def _count(rows: list[dict[str, str]], noun: str) -> str:
    filled = sum(1 for row in rows if any(v.strip() for k, v in row.items() if k != "personal"))
    if not filled:
        return f"No {noun}s recorded"
    return f"1 {noun}" if filled == 1 else f"{filled} {noun}s"


def _date(form: AssetForm, name: str) -> str:
    try:
        return nice_date(form.iso_date(name))
    except ValueError:  # not a real date yet: its error is beside the field
        return ""


def _sentences(*parts: str) -> str:
    return " ".join(f"{part}." for part in parts if part)


def _texts(form: AssetForm) -> dict[str, str]:
    v = form.values
    about = ", ".join(p for p in (kind_label(v.get("kind")), v.get("department", "")) if p)
    owner, steward = v.get("owner", "").strip(), v.get("steward", "").strip()
    personal = v.get("personal_data") == "yes"
    basis = LAWFUL_BASES.get(v.get("lawful_basis", ""), "")
    frequency = FREQUENCIES.get(v.get("update_frequency", ""), "")
    review = _date(form, "review_date")
    access = ACCESS_LABELS.get(v.get("access", ""), "")
    return {
        "section-about": _sentences(v.get("title", "").strip() or "No title yet", about),
        "section-responsible": _sentences(
            f"Owner: {owner}" if owner else "No owner yet",
            f"Steward: {steward}" if steward else "No steward yet",
        ),
        "section-handling": _sentences(
            ", ".join(p for p in (v.get("classification", ""), access) if p) or "Not chosen yet"
        ),
        "section-personal-data": _sentences(
            "Contains personal data" if personal else "No personal data",
            f"Lawful basis: {basis}" if personal and basis else "",
        ),
        "section-upkeep": _sentences(
            f"Updated {frequency.lower()}" if frequency else "Update frequency not recorded",
            f"Review by {review}" if review else "",
            "Retired" if v.get("status") == "retired" else "",
        ),
        "section-columns": _count(form.columns, "column") + ".",
        "section-links": _count(form.links, "link") + ".",
    }


def form_summary(form: AssetForm) -> list[dict[str, Any]]:
    """The rows of the summary list at the top of the form: each section's
    heading, what it holds, and a link to it."""
    texts = _texts(form)
    return [
        {
            "key": {"text": heading},
            "value": {"text": texts[section]},
            "actions": {
                "items": [
                    {"href": f"#{section}", "text": "Change", "visuallyHiddenText": heading.lower()}
                ]
            },
        }
        for section, heading in SECTIONS
    ]

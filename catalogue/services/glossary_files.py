"""Glossary terms in catalogue files (#18): the ``terms:`` section that
`catalogue apply` reads and `catalogue export` writes, and the demo's starter
glossary.

A YAML catalogue file may be a mapping with an ``assets:`` list, a ``terms:``
list, or both. A term record is matched by its name's slug: a new one is
added, an existing one changed in the fields the record gives. Every problem
names the file, the line and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy import select

from catalogue.errors import CatalogueError, Invalid, Problem
from catalogue.glossary_models import GlossaryTerm
from catalogue.services import glossary
from catalogue.services.catalogue_file import SourceRecord
from catalogue.services.changes import Writer
from catalogue.services.publishing import slug as slug_of

#: The fields of a term as a file holds it (bookkeeping left out).
FILE_FIELDS = glossary.FIELDS


def refused(problems: list[Problem]) -> Invalid:
    return Invalid(f"nothing was applied: {len(problems)} problem(s) in glossary terms", problems)


@dataclass
class TermCounts:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.added)} terms added, {len(self.changed)} terms changed, "
            f"{self.unchanged} terms unchanged"
        )


def apply_terms(writer: Writer, records: Iterable[SourceRecord]) -> TermCounts:
    """Add or change the terms ``records`` state, in ``writer``'s transaction.
    Raises Invalid listing every problem with its file, line and field (the
    caller's transaction then writes nothing), or Conflict/Forbidden naming the
    record's place."""
    records = list(records)
    existing = set(writer.session.scalars(select(GlossaryTerm.slug)))
    named = [(r, slug_of(str(r.data.get("name") or ""))) for r in records]
    coming = {slug for _, slug in named} - existing
    counts, problems = TermCounts(), []
    for record, slug in named:
        try:
            if slug in existing:
                before = glossary.get_term(writer, slug)
                data = {k: v for k, v in record.data.items() if k != "name"}
                after = glossary.update_term(
                    writer, slug, data, source=record.source, coming=coming
                )
                if after["version"] == before["version"]:
                    counts.unchanged += 1
                else:
                    counts.changed.append(slug)
            else:
                glossary.add_term(writer, record.data, source=record.source, coming=coming)
                existing.add(slug)
                counts.added.append(slug)
        except Invalid as error:
            problems.extend(error.problems or [Problem(error.message, source=record.source)])
        except CatalogueError as error:
            problems.append(Problem(error.message, source=record.source))
    if problems:
        raise refused(problems)
    return counts


def term_file_records(session: Any) -> list[dict[str, Any]]:
    """Every term in file form, A to Z, empty fields left out (for export)."""
    terms = sorted(session.scalars(select(GlossaryTerm)), key=lambda t: glossary.normal(t.name))
    out = []
    for term in terms:
        record: Mapping[str, Any] = glossary.term_record(term)
        out.append({k: record[k] for k in FILE_FIELDS if record[k] not in (None, "", [])})
    return out


def describe_terms(session: Any, records: Iterable[SourceRecord]) -> list[str]:
    """What applying ``records`` would do to the glossary, one line a term, for
    ``apply --dry-run``. Each record's fields are checked (Invalid naming file,
    line and field); departments, related terms and links are checked when the
    change is made, in its transaction."""
    from catalogue.glossary_schema import load_term

    lines, problems = [], []
    for record in records:
        try:
            values = load_term(record.data, source=record.source, partial=True)
        except Invalid as error:
            problems.extend(error.problems)
            continue
        slug = slug_of(str(values.get("name") or ""))
        current = glossary.find_term(session, slug)
        if current is None:
            lines.append(f"  add term   {slug}  ({record.source})")
            continue
        before = glossary.term_record(current)
        changed = [k for k, v in values.items() if k != "name" and before.get(k) != v]
        if changed:
            lines.append(f"  change term  {slug}  ({record.source}): {', '.join(changed)}")
    if problems:
        raise refused(problems)
    return lines


def dump_with_terms(records: list[dict[str, Any]], terms: list[dict[str, Any]]) -> str:
    """A YAML catalogue file with an ``assets:`` and a ``terms:`` section."""
    data = {"assets": records, "terms": terms}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

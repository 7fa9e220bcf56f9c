"""The business glossary's pages (#18): the A–Z index and a page per term with
what it describes and its history. Plain HTML: no script is needed. The data
comes from ``services.glossary``, the calls the CLI and the API make."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import render_template

from catalogue.http import catalogue, current_principal, reading
from catalogue.services import glossary
from catalogue.services.record_types import ChangeEntry
from catalogue.web.blueprint import bp
from catalogue.web.presenters import signed_in


def letter_of(name: str) -> str:
    """The index letter a term is filed under ("#" for a digit or a sign)."""
    first = name[:1].upper()
    return first if first.isalpha() else "#"


@bp.get("/glossary")
@signed_in
def glossary_index() -> str:
    """Every term, A to Z, with a letter to jump to."""
    with reading() as reader:
        terms = glossary.list_terms(reader)
    filed = groupby(terms, key=lambda t: letter_of(t["name"]))
    letters = [(letter, list(group)) for letter, group in filed]
    return render_template("web/glossary.html", letters=letters, total=len(terms))


@bp.get("/glossary/<slug>")
@signed_in
def glossary_term(slug: str) -> str:
    """One term: definition, synonyms, related terms, what it describes, history."""
    principal = current_principal()
    with catalogue().reading(principal) as reader:
        term = glossary.get_term(reader, slug)
        linked = glossary.linked_assets(reader, term)
        changes = glossary.history(reader, slug)
        related = [_related(reader.session, s) for s in term["related"]]
    return render_template(
        "web/glossary_term.html",
        term=term,
        linked=linked,
        related=related,
        history=[_change(c) for c in reversed(changes)],
    )


def _related(session: Any, slug: str) -> dict[str, Any]:
    found = glossary.find_term(session, slug)
    return {"slug": slug, "name": found.name if found else slug}


def _change(change: ChangeEntry) -> dict[str, Any]:
    before, after = change["before"] or {}, change["after"] or {}
    names = [name for name in glossary.FIELDS if before and before.get(name) != after.get(name)]
    what = "Added" if not before else "Changed " + ", ".join(names) if names else "No field changed"
    return {"time": change["time"], "actor": change["actor"], "action": what, "lines": []}

"""Columns that may hold personal data, by name or comment. The words are data
(``personal_data.txt``), not code; a person reviews what is flagged."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib.resources import files


def _words(text: str) -> str:
    """``tenantDateOfBirth`` / ``Date of birth`` → ``_tenant_date_of_birth_``."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return "_" + "_".join(re.findall(r"[a-z0-9]+", text.lower())) + "_"


@cache
def vocabulary() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(reason, words) pairs read from ``personal_data.txt``."""
    text = files("catalogue.services.harvest").joinpath("personal_data.txt").read_text("utf-8")
    kinds = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        reason, _, words = line.partition("|")
        kinds.append((reason.strip(), tuple(_words(w) for w in words.split(",") if w.strip())))
    return tuple(kinds)


@lru_cache(maxsize=65536)  # councils' systems repeat their column names
def personal_reason(name: str, comment: str | None = None) -> str | None:
    """Why this column may hold personal data (e.g. ``"Date of birth"``), or None."""
    for text in (name, comment or ""):
        if not text:
            continue
        words = _words(text)
        for reason, terms in vocabulary():
            if any(term in words for term in terms):
                return reason
    return None

"""Why a hit matched: highlighted snippets per field and reasons in words.

Highlights are computed from the stored fields with the same analysis the index
uses, so a word is marked exactly when it is one the query matched. Every piece of
text is HTML-escaped before <mark> tags are added around matched words.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

from search.analysis import IRREGULAR_PLURALS, fold, normalise_title, term_of
from search.querying import QueryPlan

#: Fields that may be highlighted, in the order a page shows them.
HIGHLIGHT_FIELDS = (
    "title",
    "description",
    "tags",
    "columns",
    "department",
    "owner",
    "steward",
    "source_system",
)
SNIPPET_CHARS = 220
#: The characters html.escape changes.
_SPECIAL = re.compile("[&<>\"']")


def field_text(doc: dict, name: str) -> str:
    """Return the text of stored field `name` of `doc` as it is shown and searched."""
    if name == "tags":
        return ", ".join(doc.get("tags") or [])
    if name == "columns":
        cols = doc.get("columns") or []
        return "; ".join(
            f"{c['name']}: {c['description']}" if c.get("description") else c["name"] for c in cols
        )
    return doc.get(name) or ""


class Marker:
    """Finds the words of a text that a query plan matched.

    A regex of the query's terms, anchored at word starts, lets the C regex engine
    skip every other word; each candidate is then checked with the index's own
    analysis. Light stems are prefixes of their words (irregular plurals aside, which
    are added), so no matched word is missed. What each candidate word turned out to
    be is remembered (a page's hits share most of their words), and one Marker
    serves every search with the same terms (see `marker_for`).
    """

    #: Candidate words remembered, at most (then forgotten all at once).
    REMEMBERED = 256

    def __init__(self, terms: frozenset[str], prefixes: frozenset[str]) -> None:
        self.terms = terms
        self.prefixes = prefixes
        needles = {t[:-1] if t.endswith("y") and len(t) > 2 else t for t in self.terms}
        needles |= {plural for plural, term in IRREGULAR_PLURALS.items() if term in self.terms}
        needles |= self.prefixes
        needles.discard("")
        alternation = "|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True))
        self._alternation = alternation if needles else None
        # Most text is ASCII: lower-cased, it can be scanned with a pattern that
        # starts with the words themselves, which the regex engine skips to about
        # twice as fast; a match inside a word is then dropped by hand (what \b did).
        plain = needles and all(n.isascii() for n in needles)
        self._ascii = re.compile(rf"(?:{alternation.lower()})\w*") if plain else None
        # The pattern for other text is compiled when some turns up: compiling is
        # most of what a query's first search costs here, and most text is ASCII.
        self._any_text: re.Pattern[str] | None = None
        #: word as written -> (the term it matched or None, whether it starts a prefix)
        self._seen: dict[str, tuple[str | None, bool]] = {}

    def _judge(self, written: str) -> tuple[str | None, bool]:
        word = fold(written)
        term = term_of(word)
        verdict = (
            term if term in self.terms else None,
            any(word.startswith(p) and word != p for p in self.prefixes),
        )
        if len(self._seen) >= self.REMEMBERED:
            self._seen.clear()
        self._seen[written] = verdict
        return verdict

    def _any(self) -> re.Pattern[str]:
        """The pattern for any text (see __init__), compiled on first use."""
        if self._any_text is None:
            self._any_text = re.compile(rf"\b(?:{self._alternation})\w*", re.IGNORECASE)
        return self._any_text

    def find(self, text: str, prefixes: bool) -> tuple[list[tuple[int, int]], set[str]]:
        """Return (spans of matched words, the index terms they matched) in `text`."""
        spans: list[tuple[int, int]] = []
        found: set[str] = set()
        if self._alternation is None or not text:
            return spans, found
        seen = self._seen
        if self._ascii is not None and text.isascii():
            matches = self._ascii.finditer(text.lower())
            lowered = True
        else:
            matches = self._any().finditer(text)
            lowered = False
        for m in matches:
            start, end = m.span()
            if lowered and start and _word_char(text[start - 1]):
                continue  # inside a word: \b would not have matched here
            written = text[start:end]
            term, prefix = seen.get(written) or self._judge(written)
            if term is not None:
                found.add(term)
            elif not (prefixes and prefix):
                continue
            spans.append((start, end))
        return spans, found


def _word_char(char: str) -> bool:
    """Whether `char` is one that \\w matches."""
    return char.isalnum() or char == "_"


@lru_cache(maxsize=128)
def _marker(terms: frozenset[str], prefixes: frozenset[str]) -> Marker:
    return Marker(terms, prefixes)


def marker_for(plan: QueryPlan) -> Marker:
    """The Marker of `plan`'s terms, shared by searches for the same terms (its
    compiled pattern and the words it has judged are reused)."""
    return _marker(frozenset(plan.terms()), frozenset(plan.prefixes()))


def _window(text: str, spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Choose the SNIPPET_CHARS-long window of `text` holding the most matches."""
    if len(text) <= SNIPPET_CHARS:
        return 0, len(text)
    # Spans come in order and do not overlap, so their ends ascend too: the
    # matches inside a window starting at span i are spans i.. up to the last
    # ending by its end, found by bisection rather than counted one by one.
    ends = [e for _, e in spans]
    best_start, best_count = spans[0][0], 0
    for i, (first, _) in enumerate(spans):
        count = bisect_right(ends, first + SNIPPET_CHARS, lo=i) - i
        if count > best_count:
            best_start, best_count = first, count
    start = max(0, best_start - SNIPPET_CHARS // 4)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = min(len(text), start + SNIPPET_CHARS)
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def snippet(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Return escaped `text` (or its best window) with <mark> around `spans`."""
    start, end = _window(text, spans)
    # Text with nothing to escape (most of it) is not passed through html.escape
    # piece by piece.
    escape = html.escape if _SPECIAL.search(text, start, end) else str
    out = ["…"] if start > 0 else []
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)


def explain(
    doc: dict, plan: QueryPlan, marker: Marker, key_matched: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Return (highlights, reasons) for stored fields `doc` found by `plan`.

    Reasons name the fields that matched ('title', 'description', 'tags', …), and add
    'exact title', 'key', 'synonym: <words>' for each synonym the asset contains that
    was not typed, and 'spelling: <corrected query>' when the query was corrected.
    """
    highlights: dict[str, str] = {}
    present: set[str] = set()
    for name in HIGHLIGHT_FIELDS:
        text = field_text(doc, name)
        spans, found = marker.find(text, prefixes=name == "title")
        present |= found
        if spans:
            highlights[name] = snippet(text, spans)
    reasons = []
    if key_matched:
        reasons.append("key")
    if plan.units and normalise_title(doc.get("title") or "") == plan.exact:
        reasons.append("exact title")
    reasons += [name.replace("_", " ") for name in highlights]
    for unit in plan.units:
        for member in unit.alternatives:
            if set(member) <= present:
                reasons.append(f"synonym: {plan.display.get(member, ' '.join(member))}")
    if plan.corrected_text:
        reasons.append(f"spelling: {plan.corrected_text}")
    return highlights, list(dict.fromkeys(reasons))

"""Reading what a person typed: words, phrases, spelling and synonyms.

No query parser is involved: the text is read as words, so nothing typed can be a
syntax error. Double quotes around words ask for them together; an unmatched quote
is ignored; AND, OR, NOT, *, : and the like are ordinary characters or words.

A query is a list of *units*: a word, a synonym span ("waste collection"), or a
quoted phrase. Every unit must match somewhere in an asset (so "council tax" does
not list every council dataset). How matches are ranked is search.matching's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from search.analysis import MIN_PREFIX, STOP_WORDS, light_stem, words
from search.model import MAX_QUERY_CHARS
from search.synonyms import Member, Synonyms

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
_QUOTED_RE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Unit:
    """One thing that must match: a word, a typed synonym span, or a quoted phrase.

    `terms` are index terms (after any spelling correction); `raw` the folded words
    as typed, for partial-word matching; `alternatives` the synonyms of the span.
    """

    terms: tuple[str, ...]
    raw: tuple[str, ...]
    alternatives: tuple[Member, ...] = ()
    phrase: bool = False
    unknown: bool = False


@dataclass
class QueryPlan:
    """What to search for, and what to tell the person about how it was read."""

    units: list[Unit] = field(default_factory=list)
    browse: bool = False
    key: str | None = None
    corrections: list[tuple[str, str]] = field(default_factory=list)
    corrected_text: str | None = None
    display: dict[Member, str] = field(default_factory=dict)
    #: synonyms found only in titles and short fields (see search.synonyms)
    narrow: frozenset[Member] = frozenset()

    @property
    def typed_terms(self) -> tuple[str, ...]:
        """The query's index terms in order, synonyms excluded."""
        return tuple(t for u in self.units for t in u.terms)

    @property
    def exact(self) -> str:
        """The query as a normalised title (see search.analysis.normalise_title)."""
        return " ".join(self.typed_terms)

    def terms(self) -> set[str]:
        """Every index term the query looks for, synonyms included (for highlights)."""
        found = set(self.typed_terms)
        for unit in self.units:
            for member in unit.alternatives:
                found.update(member)
        return found

    def prefixes(self) -> set[str]:
        """Typed words long enough to be matched as the start of a title word."""
        return {r for u in self.units if not u.phrase for r in u.raw if prefixable(r)}


def prefixable(word: str) -> bool:
    """Whether a typed word is matched as the start of longer title words too."""
    return len(word) > MIN_PREFIX and word.isalpha() and word not in STOP_WORDS


def reinflect(typed: str, stem: str, corrected: str) -> str:
    """Return `corrected` (an index term) with the plural ending `typed` had over its
    `stem`, so "alotments" is shown corrected as "allotments", not "allotment"."""
    if typed == stem:
        return corrected
    if typed.endswith("ies") and stem.endswith("y") and corrected.endswith("y"):
        return corrected[:-1] + "ies"
    if typed.startswith(stem):
        return corrected + typed[len(stem) :]
    return corrected


def _segments(text: str) -> list[tuple[str, bool]]:
    """Split `text` into (segment, quoted) pairs; a quote without a partner is dropped."""
    out: list[tuple[str, bool]] = []
    last = 0
    for m in _QUOTED_RE.finditer(text):
        out.append((text[last : m.start()], False))
        out.append((m.group(1), True))
        last = m.end()
    out.append((text[last:].replace('"', " "), False))
    return [(seg, quoted) for seg, quoted in out if seg.strip()]


def plan_query(
    text: str,
    synonyms: Synonyms,
    known: Callable[[str], bool],
    correct: Callable[[str], str | None],
) -> QueryPlan:
    """Read `text` (any string) into a QueryPlan. Never raises.

    `known(term)` says whether the index has a term; `correct(term)` proposes a
    replacement for one it has not (or None). Words that are neither known nor
    correctable are kept, marked unknown: see search.matching.relaxations.
    """
    text = text[:MAX_QUERY_CHARS]
    plan = QueryPlan(display=synonyms.display, narrow=synonyms.narrow)
    if not words(text):
        plan.browse = True
        return plan
    candidate_key = text.strip().lower()
    plan.key = candidate_key if _KEY_RE.fullmatch(candidate_key) else None
    for segment, quoted in _segments(text):
        raw = [w for w in words(segment) if w not in STOP_WORDS]
        if quoted and len(raw) > 1:
            plan.units.append(Unit(tuple(light_stem(w) for w in raw), tuple(raw), phrase=True))
        else:
            pairs = _spell_checked(raw, plan, synonyms.words(), known, correct)
            plan.units += _synonym_units(pairs, synonyms, known)
    if plan.corrections:
        fixes = dict(plan.corrections)
        plan.corrected_text = " ".join(fixes.get(w, w) for w in words(text.replace('"', " ")))
    return plan


def _spell_checked(
    raw: list[str],
    plan: QueryPlan,
    synonym_words: frozenset[str],
    known: Callable[[str], bool],
    correct: Callable[[str], str | None],
) -> list[tuple[str, str]]:
    """Return (word, term) pairs for typed words, correcting unknown ones (noted in
    `plan.corrections`)."""
    pairs = []
    for word in raw:
        term = light_stem(word)
        if not known(term) and term not in synonym_words and (fixed := correct(term)):
            shown = reinflect(word, term, fixed)
            plan.corrections.append((word, shown))
            word, term = shown, fixed
        pairs.append((word, term))
    return pairs


def _synonym_units(
    pairs: list[tuple[str, str]], synonyms: Synonyms, known: Callable[[str], bool]
) -> list[Unit]:
    """Group (word, term) pairs into units: synonym spans, else single words."""
    terms = [term for _, term in pairs]
    units = []
    for start, end in synonyms.spans(terms):
        member = tuple(terms[start:end])
        alternatives = tuple(synonyms.alternatives(member))
        raws = tuple(word for word, _ in pairs[start:end])
        unknown = not alternatives and not any(known(t) for t in member)
        units.append(Unit(member, raws, alternatives, unknown=unknown))
    return units

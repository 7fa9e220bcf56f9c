"""From what a person typed to a Whoosh query.

No query parser is involved: the text is read as words, so nothing typed can be a
syntax error. Double quotes around words ask for them as a phrase; an unmatched
quote is ignored; AND, OR, NOT, *, : and the like are ordinary characters or words.

A query is a list of *units*: a word, a synonym span ("waste collection"), or a
quoted phrase. Every unit must match somewhere in an asset (so "council tax" does not
list every council dataset); within a unit, a match in the title weighs most, then
tags/department/owner/column names, then the description, then a partial word in the
title ("light" in "Lighting"), then a synonym. On top of that, optional bonuses put
an exact title first and the whole query as a phrase in a title next.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from whoosh import query as wq
from whoosh.query.compound import DefaultOr as _Or

from search.analysis import MIN_PREFIX, STOP_WORDS, light_stem, words
from search.model import MAX_QUERY_CHARS
from search.synonyms import Member, Synonyms

# Boosts, in BM25 units. Only their order matters much; the gaps are what put an
# exact title above a phrase in a title above all words in a title above the rest.
TITLE, FACTS, BODY, PREFIX = 4.0, 2.0, 1.0, 1.5
SYNONYM = 0.6
EXACT, PHRASE, KEY = 200.0, 8.0, 1000.0
#: Queries of more units than this are not relaxed (too many combinations to try).
MAX_RELAXED_UNITS = 8

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
        return {r for u in self.units if not u.phrase for r in u.raw if _prefixable(r)}


def _prefixable(word: str) -> bool:
    return len(word) > MIN_PREFIX and word.isalpha() and word not in STOP_WORDS


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
    correctable are kept: they match nothing, which makes no_good_match honest.
    """
    text = text[:MAX_QUERY_CHARS]
    plan = QueryPlan(display=synonyms.display)
    if not words(text):
        plan.browse = True
        return plan
    candidate_key = text.strip().lower()
    plan.key = candidate_key if _KEY_RE.fullmatch(candidate_key) else None
    synonym_words = synonyms.words()
    for segment, quoted in _segments(text):
        raw = [w for w in words(segment) if w not in STOP_WORDS]
        if quoted and len(raw) > 1:
            plan.units.append(Unit(tuple(light_stem(w) for w in raw), tuple(raw), phrase=True))
            continue
        pairs = []
        for word in raw:
            term = light_stem(word)
            if not known(term) and term not in synonym_words and (fixed := correct(term)):
                plan.corrections.append((word, fixed))
                word = term = fixed
            pairs.append((word, term))
        terms = [term for _, term in pairs]
        for start, end in synonyms.spans(terms):
            member = tuple(terms[start:end])
            alternatives = tuple(synonyms.alternatives(member))
            raws = tuple(word for word, _ in pairs[start:end])
            unknown = not alternatives and not any(known(t) for t in member)
            plan.units.append(Unit(member, raws, alternatives, unknown=unknown))
    if plan.corrections:
        fixes = dict(plan.corrections)
        plan.corrected_text = " ".join(fixes.get(w, w) for w in words(text.replace('"', " ")))
    return plan


class QueryBuilder:
    """Turns a QueryPlan into Whoosh queries, leaving out terms the index lacks.

    Each term the index does not have would still cost a matcher per search; a
    synonym list makes that dozens. `has(field, term)` is the index's term lookup.
    Methods return None for a part that cannot match.
    """

    def __init__(self, has: Callable[[str, str], bool]) -> None:
        self.has = has

    def _term(self, name: str, text: str, boost: float = 1.0) -> wq.Query | None:
        return wq.Term(name, text, boost=boost) if self.has(name, text) else None

    @staticmethod
    def _any(clauses: list[wq.Query | None]) -> wq.Query | None:
        present = [c for c in clauses if c is not None]
        if len(present) > 1:
            return _Or(present)
        return present[0] if present else None

    @staticmethod
    def _all(clauses: list[wq.Query | None], boost: float = 1.0) -> wq.Query | None:
        if not clauses or any(c is None for c in clauses):
            return None
        return clauses[0] if len(clauses) == 1 and boost == 1.0 else wq.And(clauses, boost=boost)

    def _title_phrase(self, terms: Member, boost: float) -> wq.Query | None:
        if all(self.has("title", t) for t in terms):
            return wq.Phrase("title", list(terms), boost=boost)
        return None

    def word(self, term: str, raw: str | None, weight: float) -> wq.Query | None:
        """A word in the title, short fields or description, or a title word's start."""
        clauses = [
            self._term("title", term, TITLE * weight),
            self._term("facts", term, FACTS * weight),
            self._term("body", term, BODY * weight),
        ]
        if raw and _prefixable(raw):
            clauses.append(self._term("title_prefix", raw[:15], PREFIX * weight))
        return self._any(clauses)

    def phrase(self, terms: Member, weight: float) -> wq.Query | None:
        """Words as a phrase in the title, or all of them anywhere.

        Titles keep positions, so a phrase there is exact; descriptions do not (it
        would double their indexing cost), so there all the words must appear.
        """
        anywhere = [
            self._any([self._term(name, t) for name in ("title", "facts", "body")]) for t in terms
        ]
        return self._any(
            [self._title_phrase(terms, TITLE * weight), self._all(anywhere, BODY * weight)]
        )

    def unit(self, unit: Unit) -> wq.Query | None:
        """The query one unit must match (None if nothing in the index can)."""
        if unit.phrase:
            return self.phrase(unit.terms, 1.0)
        if len(unit.terms) == 1:
            typed = self.word(unit.terms[0], unit.raw[0], 1.0)
        else:
            each = [self.word(t, r, 1.0) for t, r in zip(unit.terms, unit.raw, strict=True)]
            typed = self._any([self._all(each), self._title_phrase(unit.terms, TITLE)])
        alternatives = [
            self.word(m[0], None, SYNONYM) if len(m) == 1 else self.phrase(m, SYNONYM)
            for m in unit.alternatives
        ]
        return self._any([typed, *alternatives])

    def _with_bonuses(self, plan: QueryPlan, required: wq.Query | None) -> wq.Query | None:
        if required is None:
            return None
        bonuses = [self._term("title_exact", plan.exact, EXACT)]
        if len(plan.typed_terms) > 1:
            bonuses.append(self._title_phrase(plan.typed_terms, PHRASE))
        bonus = self._any(bonuses)
        query = required if bonus is None else wq.AndMaybe(required, bonus)
        if plan.key and (key := self._term("key", plan.key, KEY)) is not None:
            query = _Or([query, key])
        return query

    def required(self, plan: QueryPlan, units: list[Unit]) -> wq.Query | None:
        """Every one of `units` must match; exact title and title phrase add bonuses."""
        return self._with_bonuses(plan, self._all([self.unit(u) for u in units]))

    def strict(self, plan: QueryPlan) -> wq.Query | None:
        """The query as typed: every unit must match."""
        return self.required(plan, plan.units)

    def relaxed(self, plan: QueryPlan) -> list[tuple[wq.Query, list[Unit]]]:
        """Looser readings to try, in order, when the strict query finds nothing.

        Each is (query, the units it requires). First, words the index has never
        seen (and could not correct) are left out, if something is left; then, for
        three or more units, all units but one must match: "council tax arrears"
        still finds council tax data. A one- or two-word query is never cut down to
        one known word unless the other is unknown: that is how a search pads a page
        with weak matches.
        """
        out: list[tuple[wq.Query, list[Unit]]] = []
        known = [u for u in plan.units if not u.unknown]
        fewer = known and len(known) < len(plan.units)
        if fewer and (query := self.required(plan, known)) is not None:
            out.append((query, known))
        if 3 <= len(known) <= MAX_RELAXED_UNITS:
            queries = [self.unit(u) for u in known]
            subsets = [self._all(list(c)) for c in combinations(queries, len(queries) - 1)]
            if (query := self._with_bonuses(plan, self._any(subsets))) is not None:
                out.append((query, known))
        return out

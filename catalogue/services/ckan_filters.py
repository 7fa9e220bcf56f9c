"""CKAN's Solr-style filters (``fq``, and ``field:value`` terms in ``q``) read
into predicates over a package's values, or, by a subclass of FilterParser,
into anything else (the search index reads them into sets of documents).

Filters understand what ckanext-harvest and portals send: ``field:value``,
``field:"a phrase"``, ``-field:value`` (or ``NOT``), ``OR``, ``AND`` (the
default between terms), brackets, ``*`` wildcards, and ranges
``[2026-01-01T00:00:00Z TO *]`` (``{…}`` exclusive) on dates and text. Anything
else is a Search Query Error. ``title``, ``notes``, ``author`` and
``maintainer`` are tokenised text, as in CKAN's Solr schema; the other fields
are strings, matched whole (any case).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

Doc = dict[str, list[str]]
Predicate = Callable[[Doc], bool]
DATE_FIELDS = ("metadata_modified", "metadata_created")
FIELDS = (
    *("id", "name", "title", "notes", "organization", "owner_org", "tags", "groups"),
    *("license_id", "res_format", "res_url", "state", "type", "private", "isopen"),
    *("author", "maintainer", *DATE_FIELDS),
)
FACETABLE = ("organization", "groups", "tags", "res_format", "license_id", "kind", "access")
TEXT_FIELDS = ("title", "notes", "author", "maintainer")
_WORD = re.compile(r"\w+")
TOKEN = re.compile(
    r"""\s*(?:
      (?P<lp>\() | (?P<rp>\)) | (?P<op>(?:AND|OR|NOT)(?=[\s()]|$)|&&|\|\|)
    | (?P<term>[-+!]?[A-Za-z_][\w.]*:(?:"(?:[^"\\]|\\.)*"|[\[{][^\]}]*[\]}]|[^\s()]+))
    | (?P<word>[-+!]?(?:"(?:[^"\\]|\\.)*"|[^\s()]+))
    )""",
    re.VERBOSE,
)


class SearchQueryError(ValueError):
    """A filter or sort CKAN (Solr) would refuse; the message says what is wrong."""


# -- values ----------------------------------------------------------------------
def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def solr_date(text: str) -> datetime:
    """A Solr date (ISO 8601, ``NOW``, ``NOW-7DAYS``) as naive UTC."""
    text = text.strip()
    now = re.fullmatch(r"NOW(?:([-+])(\d+)(DAY|DAYS|HOUR|HOURS))?(?:/DAY)?", text)
    if now:
        moment = datetime.now(UTC).replace(tzinfo=None)
        if now.group(1):
            unit = timedelta(days=1) if now.group(3).startswith("DAY") else timedelta(hours=1)
            moment += unit * int(now.group(2)) * (1 if now.group(1) == "+" else -1)
        return moment
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(
            f"{text!r} is not a date (use 2026-01-01T00:00:00Z or NOW)"
        ) from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _range(field: str, text: str) -> Predicate:
    inclusive = text[0] == "["
    parts = re.fullmatch(r"[\[{]\s*(\S+)\s+TO\s+(\S+)\s*[\]}]", text)
    if not parts:
        raise SearchQueryError(f"range {text!r} must look like [A TO B]")
    convert: Callable[[str], Any] = solr_date if field in DATE_FIELDS else str.lower
    low, high = (None if p == "*" else convert(_unquote(p)) for p in parts.groups())

    def inside(value: str) -> bool:
        v = convert(value)
        above = low is None or (v >= low if inclusive else v > low)
        below = high is None or (v <= high if inclusive else v < high)
        return above and below

    return lambda doc: any(inside(v) for v in doc.get(field, []) if v)


def _text_term(field: str, value: str, phrase: bool) -> Predicate:
    """``field:value`` on a tokenised text field: every word of the value among
    the field's words (in order, for a phrase); a wildcard matches one word."""
    wanted = _WORD.findall(value)

    def matches(text: str) -> bool:
        words = _WORD.findall(text.lower())
        if any(c in value for c in "*?"):
            return any(fnmatch.fnmatchcase(w, value) for w in words)
        if phrase:
            n = len(wanted)
            return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))
        return set(wanted) <= set(words)

    if not wanted:
        return lambda doc: False
    return lambda doc: any(matches(v) for v in doc.get(field, []) if v)


def term(field: str, raw: str) -> Predicate:
    """A predicate for ``field:raw`` (exact, wildcard, phrase or range; any case)."""
    if field not in FIELDS and not field.startswith("extras_") and field not in FACETABLE:
        raise SearchQueryError(f"unknown field {field!r}; filter on one of {', '.join(FIELDS)}")
    if raw[:1] in "[{":
        return _range(field, raw)
    value = _unquote(raw).lower()
    if value == "*":
        return lambda doc: bool(doc.get(field))
    if field in TEXT_FIELDS:
        return _text_term(field, value, phrase=raw[:1] == '"')
    if raw[:1] != '"' and any(c in value for c in "*?"):
        return lambda doc: any(fnmatch.fnmatchcase(v.lower(), value) for v in doc.get(field, []))
    return lambda doc: any(v.lower() == value for v in doc.get(field, []))


def _text(raw: str) -> Predicate:
    """A bare word in a filter: found in the title, notes, name or tags."""
    word = _unquote(raw).lower()
    fields = ("title", "notes", "name", "tags")
    return lambda doc: any(word in v.lower() for f in fields for v in doc.get(f, []))


# -- parsing ------------------------------------------------------------------------
def tokens(text: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise SearchQueryError(f"cannot read the query at {text[position : position + 30]!r}")
        kind = match.lastgroup or "word"
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


class FilterParser:
    """``expr := and ('OR' and)*``; ``and := unary (['AND'] unary)*``;
    ``unary := ('-'|'NOT'|'+')? atom``; ``atom := '(' expr ')' | term | word``.

    What a filter becomes is the subclass's choice: these methods make
    predicates over a package's document; another reading may make sets."""

    def __init__(self, text: str) -> None:
        self.items = tokens(text)
        self.at = 0

    # -- what the parts become -----------------------------------------------
    def any_of(self, parts: list[Any]) -> Any:
        return lambda doc: any(p(doc) for p in parts)

    def all_of(self, parts: list[Any]) -> Any:
        return lambda doc: all(p(doc) for p in parts)

    def negated(self, part: Any) -> Any:
        return lambda doc: not part(doc)

    def term(self, field: str, raw: str) -> Any:
        return term(field, raw)

    def word(self, raw: str) -> Any:
        return _text(raw)

    # -- the grammar -------------------------------------------------------------
    def parse(self) -> Any:
        found = self.expression()
        if self.peek() is not None:
            raise SearchQueryError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return found

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.items[self.at]
        self.at += 1
        return item

    def expression(self) -> Any:
        parts = [self.conjunction()]
        while self.peek() in (("op", "OR"), ("op", "||")):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else self.any_of(parts)

    def conjunction(self) -> Any:
        parts = [self.unary()]
        while (item := self.peek()) is not None and item[0] != "rp" and item[1] not in OR:
            if item in (("op", "AND"), ("op", "&&")):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else self.all_of(parts)

    def unary(self) -> Any:
        if self.peek() == ("op", "NOT"):
            self.take()
            return self.negated(self.unary())
        return self.atom()

    def atom(self) -> Any:
        if self.peek() is None:
            raise SearchQueryError("the query ends where a term was expected")
        kind, value = self.take()
        if kind == "lp":
            inner = self.expression()
            if self.peek() is None or self.take()[0] != "rp":
                raise SearchQueryError("a bracket is not closed")
            return inner
        if kind in ("rp", "op"):
            raise SearchQueryError(f"unexpected {value!r}")
        negate = value[0] in "-!"
        value = value[1:] if value[0] in "-+!" else value
        if kind == "term":
            field, _, raw = value.partition(":")
            found = self.term(field, raw)
        else:
            found = self.word(value)
        return self.negated(found) if negate else found


OR = ("OR", "||")


def parse_filter(text: str) -> Predicate | None:
    """The predicate of a Solr filter string; None for an empty one.
    Raises SearchQueryError saying what cannot be read."""
    if not text.strip() or text.strip() == "*:*":
        return None
    predicate: Predicate = FilterParser(text).parse()
    return predicate


def split_q(q: str) -> tuple[str, str]:
    """(free text, filter) of a ``q``: its ``field:value`` terms filter, the rest is
    searched as text."""
    if q.strip() in ("", "*:*", "*"):
        return "", ""
    words, filters = [], []
    for kind, value in tokens(q):
        field = value.lstrip("-+!").partition(":")[0]
        if kind == "term" and (
            field in FIELDS or field in FACETABLE or field.startswith("extras_")
        ):
            filters.append(value)
        else:
            words.append(_unquote(value))
    return " ".join(words), " ".join(filters)

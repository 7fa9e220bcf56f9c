"""CKAN's ``package_search`` over published packages: the Solr-style filters
harvesters send (``fq``), sorting, paging and facets.

The text of ``q`` is searched by the catalogue's own search service (so CKAN
clients get the same relevance, synonyms and spelling help as people);
``field:value`` terms in ``q`` or ``fq`` filter the packages. Filters understand
what ckanext-harvest and portals send: ``field:value``, ``field:"a phrase"``,
``-field:value`` (or ``NOT``), ``OR``, ``AND`` (the default between terms),
brackets, ``*`` wildcards, and ranges ``[2026-01-01T00:00:00Z TO *]``
(``{…}`` exclusive) on dates and text. Anything else is a Search Query Error.

As in CKAN's Solr schema, ``title``, ``notes``, ``author`` and ``maintainer`` are
tokenised text: ``title:recycling`` finds "Recycling Centres", a phrase finds
its words in order, a wildcard matches a word. The other fields are strings,
matched whole (any case). A ``package_search`` parameter CKAN does not know is
refused, as CKAN refuses it ("Invalid search parameters").
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as default
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from catalogue.services.context import Reader
from catalogue.services.publishing import package_name
from catalogue.services.search import MAX_PER_PAGE, search_assets

Doc = dict[str, list[str]]
Predicate = Callable[[Doc], bool]
DATE_FIELDS = ("metadata_modified", "metadata_created")
FIELDS = (
    *("id", "name", "title", "notes", "organization", "owner_org", "tags", "groups"),
    *("license_id", "res_format", "res_url", "state", "type", "private", "isopen"),
    *("author", "maintainer", *DATE_FIELDS),
)
FACETABLE = ("organization", "groups", "tags", "res_format", "license_id", "kind", "access")
SORTABLE = ("score", *DATE_FIELDS, "name", "title", "title_string", "id")
DEFAULT_SORT = "score desc, metadata_modified desc"
TEXT_FIELDS = ("title", "notes", "author", "maintainer")
#: what CKAN's package_search accepts: its schema's own keys and the Solr
#: parameters it passes on (ckan.lib.search.query.VALID_SOLR_PARAMETERS)
PARAMETERS = frozenset(
    {"q", "fl", "fq", "fq_list", "rows", "sort", "start", "wt", "qf", "bf", "boost", "df"}
    | {"facet", "facet.mincount", "facet.limit", "facet.field", "extras", "tie", "defType"}
    | {"mm", "include_private", "include_drafts", "include_deleted", "use_default_schema"}
)
_WORD = re.compile(r"\w+")
TOKEN = re.compile(
    r"""\s*(?:
      (?P<lp>\() | (?P<rp>\)) | (?P<op>(?:AND|OR|NOT)(?=[\s()]|$)|&&|\|\|)
    | (?P<term>[-+!]?[A-Za-z_][\w.]*:(?:"(?:[^"\\]|\\.)*"|[\[{][^\]}]*[\]}]|[^\s()]+))
    | (?P<word>[-+!]?(?:"(?:[^"\\]|\\.)*"|[^\s()]+))
    )""",
    re.VERBOSE,
)


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


class SearchQueryError(ValueError):
    """A filter or sort CKAN (Solr) would refuse; the message says what is wrong."""


def document(package: dict[str, Any]) -> Doc:
    """The values of a package that filters and facets look at, as text."""
    org = package.get("organization") or {}
    doc: Doc = {
        "id": [package["id"]],
        "name": [package["name"]],
        "title": [package["title"]],
        "notes": [package["notes"]],
        "organization": [org["name"]] if org else [],
        "owner_org": [package["owner_org"]] if package["owner_org"] else [],
        "tags": [t["name"] for t in package["tags"]],
        "groups": [g["name"] for g in package["groups"]],
        "license_id": [package["license_id"]] if package["license_id"] else [],
        "res_format": [r["format"] for r in package["resources"] if r["format"]],
        "res_url": [r["url"] for r in package["resources"]],
        "state": [package["state"]],
        "type": [package["type"]],
        "private": [str(package["private"]).lower()],
        "isopen": [str(package["isopen"]).lower()],
        "author": [package["author"]] if package["author"] else [],
        "maintainer": [package["maintainer"]] if package["maintainer"] else [],
        "metadata_modified": [package["metadata_modified"]],
        "metadata_created": [package["metadata_created"]],
    }
    for extra in package["extras"]:
        doc.setdefault(extra["key"], [extra["value"]])
        doc[f"extras_{extra['key']}"] = [extra["value"]]
    return doc


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


def check_parameters(names: Iterable[str]) -> None:
    """Raises SearchQueryError naming the parameters CKAN's package_search refuses."""
    unknown = sorted(set(names) - PARAMETERS)
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")


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


class _Parser:
    """``expr := and ('OR' and)*``; ``and := unary (['AND'] unary)*``;
    ``unary := ('-'|'NOT'|'+')? atom``; ``atom := '(' expr ')' | term | word``."""

    def __init__(self, text: str) -> None:
        self.items = tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.at] if self.at < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.items[self.at]
        self.at += 1
        return item

    def expression(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek() in (("op", "OR"), ("op", "||")):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda doc: any(p(doc) for p in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while (
            (item := self.peek()) is not None
            and item[0] != "rp"
            and item[1]
            not in (
                "OR",
                "||",
            )
        ):
            if item in (("op", "AND"), ("op", "&&")):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else lambda doc: all(p(doc) for p in parts)

    def unary(self) -> Predicate:
        item = self.peek()
        if item == ("op", "NOT"):
            self.take()
            inner = self.unary()
            return lambda doc: not inner(doc)
        return self.atom()

    def atom(self) -> Predicate:
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
            found = term(field, raw)
        else:
            found = _text(value)
        return (lambda doc: not found(doc)) if negate else found


def parse_filter(text: str) -> Predicate | None:
    """The predicate of a Solr filter string; None for an empty one.
    Raises SearchQueryError saying what cannot be read."""
    if not text.strip() or text.strip() == "*:*":
        return None
    parser = _Parser(text)
    found = parser.expression()
    if parser.peek() is not None:
        raise SearchQueryError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return found


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


# -- sorting and facets ---------------------------------------------------------------
def sort_packages(ranked: list[tuple[int, dict[str, Any]]], sort: str) -> list[dict[str, Any]]:
    """Packages in the order ``sort`` asks (``field asc|desc, …``); ``score`` is the
    search's relevance order. Raises SearchQueryError for an unknown field."""
    keys = []
    for part in (p.strip() for p in sort.split(",") if p.strip()):
        field, _, direction = part.partition(" ")
        direction = direction.strip().lower() or "asc"
        if field not in SORTABLE or direction not in ("asc", "desc"):
            raise SearchQueryError(
                f"cannot sort by {part!r}: use one of {', '.join(SORTABLE)} with asc or desc"
            )
        keys.append((field, direction == "desc"))
    items = list(ranked)
    for field, descending in reversed(keys):
        if field == "score":  # lower rank = better match = a higher score
            items.sort(key=lambda item: item[0], reverse=not descending)
        else:
            name = "title" if field == "title_string" else field
            items.sort(key=partial(_text_of, name), reverse=descending)
    return [package for _, package in items]


def facets(
    docs: list[Doc], fields: list[str], limit: int, mincount: int, titles: dict[str, dict]
) -> tuple[dict[str, dict[str, int]], dict[str, Any]]:
    """(``facets``, ``search_facets``) as CKAN returns them, most frequent first."""
    plain: dict[str, dict[str, int]] = {}
    rich: dict[str, Any] = {}
    for field in fields:
        counts = count_by(v for doc in docs for v in set(doc.get(field, [])))
        ordered = sorted(
            ((v, n) for v, n in counts.items() if n >= mincount), key=lambda i: (-i[1], i[0])
        )
        if limit >= 0:
            ordered = ordered[:limit]
        plain[field] = dict(ordered)
        names = titles.get(field, {})
        rich[field] = {
            "title": field,
            "items": [{"name": v, "display_name": names.get(v, v), "count": n} for v, n in ordered],
        }
    return plain, rich


# -- the use case ---------------------------------------------------------------------
def relevance_ranks(reader: Reader, text: str) -> dict[str, int] | None:
    """The relevance rank of every package (by CKAN name) matching ``text`` in the
    catalogue's own search (what ``q`` is, less its ``field:value`` terms); None
    for no text."""
    if not text:
        return None
    ranks: dict[str, int] = {}
    page, pages = 1, 1
    while page <= pages:
        results = search_assets(reader, q=text, page=page, per_page=MAX_PER_PAGE)
        for hit in results.hits:
            ranks.setdefault(package_name(hit.key), len(ranks))
        page, pages = page + 1, results.pages
    return ranks


@dataclass
class PackageQuery:
    """``package_search``'s parameters, read by the API adapter."""

    q: str = ""
    filters: list[str] = default(default_factory=list)  # fq, then each of fq_list
    sort: str = DEFAULT_SORT
    rows: int = 10
    start: int = 0
    facet_fields: list[str] = default(default_factory=list)
    facet_limit: int = 50
    facet_mincount: int = 1


def search_packages(
    reader: Reader,
    packages: list[dict[str, Any]],
    query: PackageQuery,
    titles: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """CKAN's ``package_search`` over ``packages`` (what the caller may see): the
    text through the catalogue's own search, the filters as Solr would, sorted,
    windowed, with facets (``titles``: display names of facet values). Raises
    SearchQueryError for a filter or sort Solr would refuse."""
    text, q_filter = split_q(query.q)
    filters = [q_filter, *query.filters]
    predicates = [p for f in filters if (p := parse_filter(f)) is not None]
    ranks = relevance_ranks(reader, text)
    found = []
    for package in packages:
        doc = document(package)
        if (ranks is None or package["name"] in ranks) and all(p(doc) for p in predicates):
            found.append((ranks.get(package["name"], 0) if ranks else 0, package, doc))
    ordered = sort_packages([(rank, p) for rank, p, _ in found], query.sort)
    fields = [f for f in query.facet_fields if f in FACETABLE]
    plain, rich = facets(
        [doc for _, _, doc in found], fields, query.facet_limit, query.facet_mincount, titles
    )
    return {
        "count": len(found),
        "sort": query.sort,
        "facets": plain,
        "results": ordered[query.start : query.start + query.rows],
        "search_facets": rich,
    }


def _text_of(name: str, item: tuple[Any, dict[str, Any]]) -> str:
    """A package's text field, for sorting without regard to case."""
    return str(item[1].get(name) or "").lower()

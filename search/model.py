"""The values that go into and come out of a search: requests, visibility, results.

Plain dataclasses so the web page, the JSON API and the CLI all render the same
result of the same call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: Fields offered as facets and accepted as filters, in display order.
FACET_FIELDS = ("department", "kind", "tag", "classification", "access", "owner")
#: Accepted values of SearchRequest.sort.
SORTS = ("relevance", "title", "updated")
MAX_PER_PAGE = 100
#: Longer query text is cut to this many characters before it is read.
MAX_QUERY_CHARS = 500


class InvalidQuery(ValueError):
    """A search request whose filters, sort or paging cannot be honoured.

    The message names the offending field and the values that are allowed, so it can
    be shown to a person or returned as a 400/422 as it is; `field` names the request
    field at fault ('sort', 'page', 'per_page', 'filters' or 'q'). Query *text*
    never raises this: any text is searchable.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Visibility:
    """What a caller may see.

    Everything if `everything`; otherwise assets whose access level is in `access`,
    plus 'restricted' assets whose department is in `departments` or whose owner or
    steward email is in `people` (compared lower-cased), plus the assets whose key
    is in `keys` (access granted to this caller alone). Hashable, so results that
    depend on it can be cached per visibility.
    """

    everything: bool = False
    access: frozenset[str] = frozenset({"open"})
    departments: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "access", frozenset(self.access))
        object.__setattr__(self, "departments", frozenset(self.departments))
        object.__setattr__(self, "people", frozenset(p.strip().lower() for p in self.people))
        object.__setattr__(self, "keys", frozenset(self.keys))

    def allows(
        self,
        access: str,
        department: str | None,
        owner_email: str | None,
        steward_email: str | None,
        key: str | None = None,
    ) -> bool:
        """Return True if an asset with these handling fields may be shown."""
        if self.everything or access in self.access or (key is not None and key in self.keys):
            return True
        if access != "restricted":
            return False
        return (
            bool(department and department in self.departments)
            or bool(owner_email and owner_email in self.people)
            or bool(steward_email and steward_email in self.people)
        )


EVERYTHING = Visibility(everything=True)


@dataclass
class SearchRequest:
    """One search as a person asked for it.

    `q` is free text (never rejected); `filters` maps a facet field to the exact
    values wanted (several values in one field are OR-ed, fields are AND-ed).
    """

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"
    include_retired: bool = False
    visibility: Visibility = EVERYTHING

    def validated_filters(self) -> dict[str, frozenset[str]]:
        """Return the filters as {field: set of values}, dropping empty ones.

        Raises InvalidQuery for an unknown field or a value that is not text, and for
        a bad sort, page or per_page (checked here so one call validates the lot).
        """
        if self.q is not None and not isinstance(self.q, str):
            raise InvalidQuery(f"q must be text; got {type(self.q).__name__}", "q")
        if self.sort not in SORTS:
            raise InvalidQuery(f"sort must be one of {', '.join(SORTS)}; got {self.sort!r}", "sort")
        if not _is_int(self.page) or self.page < 1:
            raise InvalidQuery(f"page must be a whole number from 1; got {self.page!r}", "page")
        if not _is_int(self.per_page) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InvalidQuery(
                f"per_page must be a whole number from 1 to {MAX_PER_PAGE}; got {self.per_page!r}",
                "per_page",
            )
        if not isinstance(self.filters, Mapping):
            raise InvalidQuery(
                f"filters must map a field to values; allowed fields: {_fields()}", "filters"
            )
        wanted: dict[str, frozenset[str]] = {}
        for name, values in self.filters.items():
            if name not in FACET_FIELDS:
                raise InvalidQuery(
                    f"unknown filter field {name!r}; allowed fields: {_fields()}", "filters"
                )
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list | tuple | set | frozenset) or not all(
                isinstance(v, str) for v in values
            ):
                raise InvalidQuery(f"filter {name!r} must be a list of text values", "filters")
            if values:
                wanted[name] = frozenset(values)
        return wanted


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fields() -> str:
    return ", ".join(FACET_FIELDS)


@dataclass
class Hit:
    """One asset in a page of results, with why it matched.

    `score` is the relevance score within the hit's tier (exact title, phrase in
    title, all words in title, the rest; see search.matching), 0 for other sorts.
    `highlights` maps a field name (title, description, tags, columns, department,
    owner, steward, source_system) to an HTML snippet: the text is escaped and each
    matched word is wrapped in <mark>. `matched` lists human-readable reasons, e.g.
    'exact title', 'title', 'description', 'synonym: waste collection',
    'spelling: council tax'.
    """

    key: str
    kind: str | None
    title: str
    department: str | None
    owner: str | None
    classification: str | None
    access: str | None
    status: str | None
    last_updated: str | None
    score: float
    highlights: dict[str, str] = field(default_factory=dict)
    matched: list[str] = field(default_factory=list)


@dataclass
class SearchResults:
    """A page of hits, the facet counts around them and advice about the query.

    `facets` maps each FACET_FIELDS name to (value, count) pairs, most frequent first;
    a field's counts apply every other field's filters (so several values of one
    field can be chosen) and always respect visibility. `suggestion` is a "did you
    mean" text; `corrected_query` is set when the hits come from a corrected spelling.
    `no_good_match` is True (with no hits) when the text matched nothing well enough
    to show. `partial_match` is True when some hits have only some of the words
    (the strict reading was weak or empty; see search.matching.Matcher.match).
    """

    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    page: int
    per_page: int
    pages: int
    suggestion: str | None = None
    no_good_match: bool = False
    corrected_query: str | None = None
    partial_match: bool = False

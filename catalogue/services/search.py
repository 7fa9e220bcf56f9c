"""Search use cases: find assets, suggest titles, and keep the index honest.

Every page, API route and command that searches calls these, so staff see the
same answer everywhere, filtered by what they may see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from catalogue.errors import Invalid, Problem
from catalogue.services.access import visibility
from catalogue.services.changes import latest_seq
from catalogue.services.context import Reader
from catalogue.services.views import Views, all_records, reading_index
from search import FACET_FIELDS, InvalidQuery, SearchIndex, SearchRequest, SearchResults

SORTS = ("relevance", "title", "updated")
MAX_PER_PAGE = 100


def search_assets(
    reader: Reader,
    q: str = "",
    filters: dict[str, list[str]] | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "relevance",
    include_retired: bool = False,
) -> SearchResults:
    """Assets matching ``q`` that ``principal`` may see, with facets, highlights and
    a "did you mean". Raises Invalid naming the bad parameter and allowed values."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(
            "per_page out of range", [Problem(f"must be between 1 and {MAX_PER_PAGE}", "per_page")]
        )
    request = SearchRequest(
        q=q or "",
        filters={k: list(v) for k, v in (filters or {}).items() if v},
        page=page,
        per_page=per_page,
        sort=sort,
        include_retired=include_retired,
        visibility=visibility(reader.principal),
    )
    try:
        with reading_index():
            return reader.index.search(request)
    except InvalidQuery as error:
        raise Invalid(str(error), [Problem(str(error), getattr(error, "field", None))]) from None


def search_with(reader: Reader, params: dict[str, Any]) -> SearchResults:
    """``search_assets`` for a request read by the API's ``SearchQuery`` (``q``, the
    facet filters, ``page``, ``per_page``, ``sort``, ``all``): the one call behind the
    search page, the search API and the command line's ``search``."""
    return search_assets(
        reader,
        q=params.get("q", ""),
        filters={name: params[name] for name in FACET_FIELDS if params.get(name)},
        page=params.get("page", 1),
        per_page=params.get("per_page", 20),
        sort=params.get("sort", "relevance"),
        include_retired=params.get("all", False),
    )


def search_json(query: str, results: SearchResults) -> dict[str, Any]:
    """A page of results as the search API answers it (and ``catalogue search
    --format json`` prints it)."""
    return {
        "query": query,
        "total": results.total,
        "page": results.page,
        "per_page": results.per_page,
        "pages": results.pages,
        "hits": [asdict(hit) for hit in results.hits],
        "facets": {
            name: [{"value": value, "count": count} for value, count in counts]
            for name, counts in results.facets.items()
        },
        "suggestion": results.suggestion,
        "no_good_match": results.no_good_match,
        "corrected_query": results.corrected_query,
        "partial_match": results.partial_match,
    }


def suggest_titles(reader: Reader, prefix: str, limit: int = 8) -> list[tuple[str, str]]:
    """(key, title) pairs for a search box's autocomplete, only what the caller may see."""
    with reading_index():
        return reader.index.autocomplete(
            prefix[:100], limit=max(1, min(limit, 20)), visibility=visibility(reader.principal)
        )


@dataclass
class IndexStatus:
    applied: int
    head: int

    @property
    def behind(self) -> int:
        return max(0, self.head - self.applied)


def index_status(views: Views) -> IndexStatus:
    """The sequence the index has applied against the database's newest (no catch-up)."""
    index = views.index(catch_up=False)
    with views.sessions() as session:
        return IndexStatus(applied=index.applied_seq(), head=latest_seq(session))


@dataclass
class Verification:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    different: dict[str, list[str]] = field(default_factory=dict)

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.different)


def verify_index(views: Views) -> Verification:
    """Compare every stored document with what the database says it should be."""
    with reading_index():
        documents = views.index().documents()
    result = Verification()
    with views.sessions() as session:
        for record in all_records(session):
            result.checked += 1
            expected = SearchIndex.document_for(record)
            found = documents.pop(record["key"], None)
            if found is None:
                result.missing.append(record["key"])
                continue
            fields = sorted(
                name
                for name in set(expected) | set(found)
                if _norm(expected.get(name)) != _norm(found.get(name))
            )
            if fields:
                result.different[record["key"]] = fields
    result.unexpected = sorted(documents)
    return result


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple | set):
        return sorted(str(v) for v in value)
    return value

"""CKAN's ``package_search`` over published packages: the Solr-style filters
harvesters send (``fq``), sorting, paging and facets.

The text of ``q`` is searched by the catalogue's own search service (so CKAN
clients get the same relevance, synonyms and spelling help as people);
``field:value`` terms in ``q`` or ``fq`` filter the packages (read by
``ckan_filters``). A ``package_search`` parameter CKAN does not know is
refused, as CKAN refuses it ("Invalid search parameters").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as default
from functools import partial
from typing import Any

from catalogue.services.ckan_filters import (
    DATE_FIELDS,
    FACETABLE,
    Doc,
    SearchQueryError,
    parse_filter,
    split_q,
)
from catalogue.services.context import Reader
from catalogue.services.publishing import package_name
from catalogue.services.search import MAX_PER_PAGE, search_assets

SORTABLE = ("score", *DATE_FIELDS, "name", "title", "title_string", "id")
DEFAULT_SORT = "score desc, metadata_modified desc"
#: what CKAN's package_search accepts: its schema's own keys and the Solr
#: parameters it passes on (ckan.lib.search.query.VALID_SOLR_PARAMETERS)
PARAMETERS = frozenset(
    {"q", "fl", "fq", "fq_list", "rows", "sort", "start", "wt", "qf", "bf", "boost", "df"}
    | {"facet", "facet.mincount", "facet.limit", "facet.field", "extras", "tie", "defType"}
    | {"mm", "include_private", "include_drafts", "include_deleted", "use_default_schema"}
)


def count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


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


def check_parameters(names: Iterable[str]) -> None:
    """Raises SearchQueryError naming the parameters CKAN's package_search refuses."""
    unknown = sorted(set(names) - PARAMETERS)
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")


# -- sorting and facets ---------------------------------------------------------------
def sort_keys(sort: str) -> list[tuple[str, bool]]:
    """(field, descending?) of each part of ``sort`` (``field asc|desc, …``).
    Raises SearchQueryError for an unknown field or direction."""
    keys = []
    for part in (p.strip() for p in sort.split(",") if p.strip()):
        field, _, direction = part.partition(" ")
        direction = direction.strip().lower() or "asc"
        if field not in SORTABLE or direction not in ("asc", "desc"):
            raise SearchQueryError(
                f"cannot sort by {part!r}: use one of {', '.join(SORTABLE)} with asc or desc"
            )
        keys.append((field, direction == "desc"))
    return keys


def sort_packages(ranked: list[tuple[int, dict[str, Any]]], sort: str) -> list[dict[str, Any]]:
    """Packages in the order ``sort`` asks (``field asc|desc, …``); ``score`` is the
    search's relevance order. Raises SearchQueryError for an unknown field."""
    items = list(ranked)
    for field, descending in reversed(sort_keys(sort)):
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
    counts = {f: count_by(v for doc in docs for v in set(doc.get(f, []))) for f in fields}
    return facet_answer(counts, limit, mincount, titles)


def facet_answer(
    counted: dict[str, dict[str, int]], limit: int, mincount: int, titles: dict[str, dict]
) -> tuple[dict[str, dict[str, int]], dict[str, Any]]:
    """(``facets``, ``search_facets``) of each field's value counts, most frequent
    first (then by value), at least ``mincount``, at most ``limit`` (-1: all)."""
    plain: dict[str, dict[str, int]] = {}
    rich: dict[str, Any] = {}
    for field, counts in counted.items():
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

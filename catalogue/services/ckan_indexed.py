"""CKAN's ``package_search`` answered from the search index alone, for the
requests it can answer exactly: free text, sorted by relevance, with no filter
and no facet. The index pages and filters (published kinds, open access unless
``include_private``, what the caller may see, active only), and only the
requested window of records is read from the database, so a CKAN client's text
search costs the same at 100,000 assets as at 1,000.

Anything else (``fq``, ``field:value`` in ``q``, facets, another sort, no text)
goes through ``ckan_search.search_packages`` over every visible package; both
give the same answer where both apply (tests/api/test_ckan_indexed.py).
"""

from __future__ import annotations

from typing import Any

from catalogue.errors import NotFound
from catalogue.services import assets
from catalogue.services.ckan_search import DEFAULT_SORT, FACETABLE, PackageQuery, split_q
from catalogue.services.context import Reader
from catalogue.services.publishing import PUBLISHED_KINDS
from catalogue.services.search import MAX_PER_PAGE, search_assets

#: Sorts under which packages come in the index's relevance order: each package
#: has its own rank, so a second key never decides.
RELEVANCE_SORTS = frozenset({DEFAULT_SORT, "score desc"})


def index_text(query: PackageQuery) -> str | None:
    """The free text of ``query`` if the index alone can answer it, else None."""
    text, q_filter = split_q(query.q)
    if not text or q_filter:
        return None
    if any(f.strip() not in ("", "*:*") for f in query.filters):
        return None
    if any(f in FACETABLE for f in query.facet_fields):
        return None
    sort = ", ".join(" ".join(p.split()) for p in query.sort.split(",") if p.strip())
    return text if sort in RELEVANCE_SORTS else None


def search_indexed(
    reader: Reader, query: PackageQuery, text: str, include_private: bool
) -> tuple[int, list[dict[str, Any]]]:
    """(count, records of the window ``start``..``start + rows``) of the packages
    matching ``text`` that ``principal`` may see, in relevance order."""
    filters = {"kind": list(PUBLISHED_KINDS)}
    if not include_private:
        filters["access"] = ["open"]
    end = query.start + query.rows
    keys: list[str] = []
    page = query.start // MAX_PER_PAGE + 1
    first = (page - 1) * MAX_PER_PAGE
    while True:
        per_page = MAX_PER_PAGE if query.rows else 1
        found = search_assets(reader, q=text, filters=filters, page=page, per_page=per_page)
        keys += [hit.key for hit in found.hits]
        if not query.rows or page >= found.pages or first + len(keys) >= end:
            break
        page += 1
    window = keys[query.start - first : end - first] if query.rows else []
    return found.total, _records(reader, window)


def _records(reader: Reader, keys: list[str]) -> list[dict[str, Any]]:
    """The records of ``keys`` in order; one deleted since the index answered is
    left out (the next search no longer finds it)."""
    out = []
    for key in keys:
        try:
            out.append(assets.get(reader, key))
        except NotFound:
            continue
    return out

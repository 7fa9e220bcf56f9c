"""One check shared by the tests that build the search index two ways: every
search a user could make gives the same answers from both."""

from __future__ import annotations

from catalogue.services.access import ANONYMOUS, Principal, operator, visibility
from catalogue.services.search import search_assets
from catalogue.store import Catalogue
from search import SearchIndex, SearchRequest

#: Words, a typo, a phrase, a prefix and the empty query (every asset).
QUERIES = ["", "council tax", "rent arrears", "bins", "chidren", '"waste collection"', "recy"]
#: Someone signed out, a viewer in one department, and an operator who sees all.
CALLERS = [ANONYMOUS, Principal("v", "viewer", "Housing"), operator("test-admin")]


def assert_same_answers(catalogue: Catalogue, other: SearchIndex) -> None:
    """The catalogue's own index answers each caller's searches, in each sort
    order, exactly as ``other`` does."""
    for principal in CALLERS:
        for q in QUERIES:
            for sort in ("relevance", "title", "updated"):
                with catalogue.reading(principal) as reader:
                    found = search_assets(reader, q=q, sort=sort, per_page=50)
                request = SearchRequest(
                    q=q, sort=sort, per_page=50, visibility=visibility(principal)
                )
                assert found == other.search(request), (principal, q, sort)

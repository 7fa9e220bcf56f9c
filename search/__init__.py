"""Catalogue search: a Whoosh index of asset records, kept in step by the change log.

Pure: imports no Flask, SQLAlchemy or `catalogue`. The service layer feeds it asset
records and change-log entries as plain dicts (docs/records.md) and renders what
`SearchIndex.search` returns.
"""

from search.index import IndexUnreadable, SearchIndex
from search.model import (
    FACET_FIELDS,
    Hit,
    InvalidQuery,
    SearchRequest,
    SearchResults,
    Visibility,
)

__all__ = [
    "FACET_FIELDS",
    "Hit",
    "IndexUnreadable",
    "InvalidQuery",
    "SearchIndex",
    "SearchRequest",
    "SearchResults",
    "Visibility",
]

"""Catalogue search: a Whoosh index of asset records, kept in step by the change log.

Pure: imports no Flask, SQLAlchemy or `catalogue`. The service layer feeds it asset
records and change-log entries as plain dicts (docs/records.md) and renders what
`SearchIndex.search` returns.
"""

from search.generations import HelperDied, Share, share_count
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
    "HelperDied",
    "Hit",
    "IndexUnreadable",
    "InvalidQuery",
    "SearchIndex",
    "SearchRequest",
    "SearchResults",
    "Share",
    "Visibility",
    "share_count",
]

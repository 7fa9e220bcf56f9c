"""CKAN's ``package_search`` answered from the search index: free text, ``fq``
and ``field:value`` terms, facets, every sort, ``rows`` and ``start``, without
reading every package.

The index keeps, per document, the values a harvester filters, counts and sorts
on (department, tags, licence, link formats, access, kind, owner, steward, key,
title, times; ``search.schema``). A filter becomes a set of documents: each
``field:value`` is tested once per distinct value of the column behind it
(``organization:housing`` against each department's name, ``license_id`` against
each licence), so the cost follows the distinct values, not the packages.
Visibility, published kinds and open access (unless ``include_private``) are
sets too; only the ``rows`` asked for are read from the database.

A filter on what the index does not keep (``notes``, ``res_url``, the
``catalogue_url`` extra, a bare word, which also looks in ``notes``) raises
NotIndexed: the caller answers it with ``ckan_search.search_packages``. Both
give the same answer (tests/api/test_ckan_indexed.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from catalogue.models import Asset
from catalogue.services.access import can_read, visibility
from catalogue.services.ckan_filters import FACETABLE, FilterParser, split_q, term
from catalogue.services.ckan_search import PackageQuery, facet_answer, sort_keys
from catalogue.services.context import Reader
from catalogue.services.publishing import (
    PUBLISHED_KINDS,
    THEMES,
    licence,
    package_name,
    slug,
    stable_id,
    theme,
)
from catalogue.services.record_types import AssetRecord
from catalogue.services.records import asset_record
from catalogue.services.search import reading_index
from search.bitmaps import first_ranked, from_ids, ranks_of, to_ids
from search.facets import DocTable

Values = Callable[[str], list[str]]
#: Result sets up to this size are sorted directly; larger ones walk the order of
#: the whole index (made once per index version) until the window is full.
SORT_DIRECTLY = 4000


def _one(value: str) -> list[str]:
    return [value] if value else []


def _licence_id(name: str) -> list[str]:
    found = licence({"licence": name})
    return [found[0]] if found else []


def _is_open(name: str) -> list[str]:
    found = licence({"licence": name})
    return [str(bool(found and found[3])).lower()]


#: CKAN field -> (index column, the field's values for one column value)
COLUMNS: dict[str, tuple[str, Values]] = {
    "id": ("key", lambda key: [stable_id("asset", key)]),
    "name": ("key", lambda key: [package_name(key)]),
    "title": ("title", _one),
    "organization": ("department", lambda d: [slug(d)] if d else []),
    "owner_org": ("department", lambda d: [stable_id("organization", d)] if d else []),
    "groups": ("department", lambda d: [theme({"department": d}).lower()]),
    "tags": ("tag", _one),
    "license_id": ("licence", _licence_id),
    "isopen": ("licence", _is_open),
    "res_format": ("link_format", _one),
    "state": ("status", lambda s: ["active" if s == "active" else "deleted"]),
    "type": ("status", lambda s: ["dataset"]),
    "private": ("access", lambda a: [str(a != "open").lower()]),
    "author": ("owner", _one),
    "metadata_modified": ("modified", _one),
    "metadata_created": ("created", _one),
    "kind": ("kind", _one),
    "access": ("access", _one),
    "extras_catalogue_key": ("key", _one),
    "extras_kind": ("kind", _one),
    "extras_classification": ("classification", _one),
    "extras_access": ("access", _one),
    "extras_update_frequency": ("update_frequency", _one),
    "extras_last_updated": ("last_updated", _one),
    "extras_theme": ("department", lambda d: [theme({"department": d})]),
}
#: Fields the index does not keep (see the module docstring).
NOT_KEPT = ("notes", "res_url", "extras_catalogue_url")
#: Sort field -> the index column it reads and how (name and id from the key).
SORT_VALUES: dict[str, tuple[str, Callable[[str], str]]] = {
    "metadata_modified": ("modified", str),
    "metadata_created": ("created", str),
    "name": ("key", lambda key: package_name(key).lower()),
    "title": ("title", str.lower),
    "title_string": ("title", str.lower),
    "id": ("key", lambda key: stable_id("asset", key)),
}


class NotIndexed(Exception):
    """A filter on a field the index does not keep."""


class _Sets(FilterParser):
    """A filter read into the set (bitmap) of documents it keeps; a negation is
    the complement, which the caller intersects with the candidates."""

    def __init__(self, text: str, table: DocTable) -> None:
        super().__init__(text)
        self.table = table

    def any_of(self, parts: list[Any]) -> int:
        found = 0
        for part in parts:
            found |= part
        return found

    def all_of(self, parts: list[Any]) -> int:
        found = -1
        for part in parts:
            found &= part
        return found

    def negated(self, part: Any) -> int:
        return ~int(part)

    def word(self, raw: str) -> int:
        raise NotIndexed(raw)

    def term(self, field: str, raw: str) -> int:
        matches = term(field, raw)  # refuses an unknown field, as the full search does
        if field in NOT_KEPT:
            raise NotIndexed(field)
        if field == "maintainer":
            return self._maintainer(matches)
        if field not in COLUMNS:  # an extra no package has
            return -1 if matches({}) else 0
        column, values = COLUMNS[field]
        return self.table.having(column, lambda value: matches({field: values(value)}))

    def _maintainer(self, matches: Callable[[dict], bool]) -> int:
        """The steward, else the owner."""
        stewards, owners = self.table.columns["steward"], self.table.columns["owner"]
        found = (
            d
            for d, (steward, owner) in enumerate(zip(stewards, owners, strict=True))
            if matches({"maintainer": _one(steward or owner)})
        )
        return from_ids(found, self.table.size)


def search_indexed(
    reader: Reader, query: PackageQuery, include_private: bool
) -> tuple[dict[str, Any], list[AssetRecord]]:
    """(``package_search``'s answer less its results, the records of the window)
    of ``query`` over the packages ``principal`` may see. Raises SearchQueryError
    as the full search would, and NotIndexed for a filter on a field the index
    does not keep."""
    text, q_filter = split_q(query.q)
    filters = [f for f in (q_filter, *query.filters) if f.strip() and f.strip() != "*:*"]
    seen = visibility(reader.principal)

    def work(table: DocTable, ranked: list[int] | None) -> tuple[dict[str, Any], list[str]]:
        found = table.allowed(seen, include_retired=False)
        found &= table.bitmap("kind", PUBLISHED_KINDS)
        if not include_private:
            found &= table.bitmap("access", ["open"])
        ranks = None
        if ranked is not None:
            ranks = {doc: rank for rank, doc in enumerate(ranked)}
            found &= from_ids(ranked, table.size)
        for text_filter in filters:
            found &= _Sets(text_filter, table).parse()
        order = sort_keys(query.sort)
        end = query.start + query.rows
        window = _ordered(table, found, order, ranks, end)[query.start : end]
        fields = [f for f in query.facet_fields if f in FACETABLE]
        titles = {
            "organization": {slug(d): d for d, _ in table.count(found, "department")},
            "groups": {code.lower(): label for code, label in THEMES.items()},
        }
        plain, rich = facet_answer(
            _facets(table, found, fields), query.facet_limit, query.facet_mincount, titles
        )
        answer = {"count": found.bit_count(), "sort": query.sort, "facets": plain}
        keys = table.columns["key"]
        return {**answer, "search_facets": rich}, [keys[d] for d in window]

    with reading_index():
        answer, window = reader.index.select(text, seen, work)
    return answer, _records(reader, window)


def _facets(table: DocTable, docs: int, fields: list[str]) -> dict[str, dict[str, int]]:
    """Each facet field's values among ``docs`` and how many documents have each."""
    out: dict[str, dict[str, int]] = {}
    for field in fields:
        column, values = COLUMNS[field]
        counted: dict[str, int] = {}
        pairs = table.count(docs, column)
        if field == "groups":  # a package without a department is in GOVE
            pairs = [*pairs, ("", docs.bit_count() - sum(n for _, n in pairs))]
        for value, n in pairs:
            for name in values(value):
                counted[name] = counted.get(name, 0) + n
        out[field] = {name: n for name, n in counted.items() if n}
    return out


Order = list[tuple[str, bool]]


def _ordered(
    table: DocTable, docs: int, order: Order, ranks: dict[int, int] | None, end: int
) -> list[int]:
    """The first ``end`` of ``docs`` in the order the full search gives: by key,
    then stably by each sort key from the last (score: the text's rank)."""
    if end <= 0 or not docs:
        return []
    if ranks is None:
        order = [(field, descending) for field, descending in order if field != "score"]
        if docs.bit_count() > SORT_DIRECTLY:
            name = "ckan:" + ",".join(f"{f} {d}" for f, d in order)
            everything = table.derived(name, lambda: _sort(table, table.live, order, None))
            # A set that sorts late is placed by rank, not found by walking the order.
            return first_ranked(
                docs,
                everything,
                lambda: table.derived(name + ":ranks", lambda: ranks_of(everything, table.size)),
                end,
            )
    return _sort(table, docs, order, ranks)[:end]


def _sort(
    table: DocTable, docs: int, order: list[tuple[str, bool]], ranks: dict[int, int] | None
) -> list[int]:
    ids = sorted(to_ids(docs), key=table.columns["key"].__getitem__)
    for field, descending in reversed(order):
        if field == "score":
            if ranks is not None:  # a better match has a lower rank and a higher score
                ids.sort(key=ranks.__getitem__, reverse=not descending)
            continue
        ids.sort(key=_sort_values(table, field).__getitem__, reverse=descending)
    return ids


def _sort_values(table: DocTable, field: str) -> list[str]:
    """Each document's value of sort field ``field`` (made once per index version)."""
    column, value = SORT_VALUES[field]
    return table.derived(f"ckan:{field}", lambda: list(map(value, table.columns[column])))


def _records(reader: Reader, keys: list[str]) -> list[AssetRecord]:
    """The records of ``keys`` in order, read together; one deleted (or hidden)
    since the index answered is left out (the next search no longer finds it)."""
    if not keys:
        return []
    query = (
        select(Asset)
        .where(Asset.key.in_(keys))
        .options(
            joinedload(Asset.department),
            joinedload(Asset.owner),
            joinedload(Asset.steward),
            selectinload(Asset.tags),
            selectinload(Asset.columns),
        )
    )
    found = {a.key: asset_record(a) for a in reader.session.scalars(query).unique()}
    return [found[k] for k in keys if k in found and can_read(reader.principal, found[k])]

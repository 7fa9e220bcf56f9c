"""The index schema and the mapping from an asset record to index fields.

Fields, and why each exists:

- ``key`` (ID, unique): update_document replaces by it; also an exact-key lookup.
- ``title`` (light-stemmed terms): whole-word matches in titles.
- ``title_prefix`` (edge n-grams of each title word): partial words and autocomplete.
- ``title_exact`` (ID): the normalised title, for the exact-title tier.
- ``facts`` (terms): short fields about the content: tags, column names, source
  system, kind.
- ``org`` (terms): who holds it: department, owner, steward (weighs less: it says who
  publishes an asset, not what it is about).
- ``body`` (terms): the description (Markdown/HTML as plain text) and column
  descriptions, less the words already in the title.
- ``meta`` (column): each document's facet values (kind, department, tags,
  classification, access, owner, status), visibility fields (owner and steward
  email), sort keys (folded title, last updated) and normalised title, and what
  a portal harvesting the catalogue filters and sorts on (key, title, steward,
  licence, web links' formats, update frequency, created and modified times: an
  imported record's source times), in one compact value, decoded once per index
  segment into the per-document lists that filters, facets, visibility, sorting
  and the phrase tier use (see search.facets).
- ``title_sort``, ``last_updated`` (columns): sort keys for other Whoosh tools.
- ``record`` (stored): the stored fields, exactly as document_for() returns them.

Text fields hold positionless postings: phrases are checked against the normalised
title in ``meta``, and descriptions are matched word by word (see search.matching).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from whoosh.analysis import Analyzer
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, STORED, TEXT, Schema
from whoosh.formats import Format, Positions

from search.analysis import (
    BodyFrequencies,
    PrefixFrequencies,
    TermFrequencies,
    fold,
    normalise_title,
    plain_text,
    prefix_analyzer,
    text_analyzer,
)

#: Separators inside the ``meta`` column value (cannot occur in normal text).
FIELD_SEP = "\x1e"
VALUE_SEP = "\x1f"
#: Order of the values inside ``meta``.
META_FIELDS = (
    "kind",
    "department",
    "tag",
    "classification",
    "access",
    "owner",
    "status",
    "owner_email",
    "steward_email",
    "title_sort",
    "title_terms",
    "last_updated",
    # what a harvester filters and sorts on (the CKAN Action API reads these)
    "key",
    "title",
    "steward",
    "licence",
    "link_format",
    "update_frequency",
    "created",
    "modified",
)
#: Fields holding several values (joined with VALUE_SEP).
MULTI_FIELDS = ("tag", "link_format")
#: Only the start of a very long description is indexed: past this, words add
#: indexing time and noise, rarely a dataset someone could not otherwise find.
BODY_CHARS = 4000
#: meta values computed from the title and tags rather than copied from the record.
_DERIVED = ("tag", "title_sort", "title_terms", "link_format")
#: A link a portal publishes as a download (mailto: and the like are not).
WEB_LINK = re.compile(r"[a-z][a-z0-9+.-]*://")
#: Bumped whenever what is indexed changes; an index of another format reports
#: applied_seq() 0, which makes the store rebuild it. 4: stored fields
#: uncompressed and no field lengths (#21); 5: the fields CKAN searches sort
#: and filter on (#12).
INDEX_FORMAT = 5


def build_schema() -> Schema:
    """Return a new Schema for the catalogue index (see the module docstring)."""
    text = text_analyzer()
    return Schema(
        key=ID(unique=True),
        meta=COLUMN(VarBytesColumn()),
        title=_text_field(text, TermFrequencies()),
        title_prefix=_text_field(prefix_analyzer(), PrefixFrequencies()),
        title_exact=ID(),
        facts=_text_field(text, TermFrequencies()),
        org=_text_field(text, TermFrequencies()),
        body=_text_field(text, BodyFrequencies()),
        title_sort=COLUMN(VarBytesColumn()),
        last_updated=COLUMN(VarBytesColumn()),
        record=STORED(),
    )


def _text_field(analyzer: Analyzer, fmt: Format) -> TEXT:
    """Return a TEXT field with a fast posting format (see search.analysis).

    No field records its length in each document: search.matching ranks by
    term rarity, tiers and the title's length from ``meta``, never by Whoosh's
    field lengths, and writing a length column per field and document was a
    seventh of a rebuild's indexing time (issue #21).
    """
    field = TEXT(analyzer=analyzer, phrase=isinstance(fmt, Positions))
    field.format = fmt
    field.scorable = False
    return field


def _text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _email(value: Any) -> str | None:
    value = _text(value)
    return value.lower() if value else None


def _tags(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    tags = {t.strip().lower().replace(",", " ") for t in value if isinstance(t, str)}
    return sorted(t for t in tags if t)


def _columns(value: Any) -> list[dict[str, str | None]]:
    out = []
    for col in value or []:
        if isinstance(col, dict) and _text(col.get("name")):
            out.append(
                {"name": _text(col["name"]), "description": plain_text(col.get("description"))}
            )
    return out


#: The fields of an asset record that ``document_for`` reads: a rebuild may read
#: only these from the database (catalogue.services.record_stream).
RECORD_FIELDS = frozenset(
    (
        *("key", "kind", "title", "description", "tags", "department", "source_system"),
        *("owner", "owner_email", "steward", "steward_email", "classification", "access"),
        *("status", "last_updated", "columns", "version", "licence", "update_frequency"),
        *("links", "source_created", "created_at", "source_modified", "updated_at"),
    )
)


def document_for(record: Mapping[str, Any]) -> dict:
    """Return the stored fields the index keeps for an asset `record` (records.md).

    The same shape SearchIndex.documents() returns, so `index verify` can compare the
    two with ==. Missing values become None (or [] for lists); the description is
    stored as plain text; emails and tags are lower-cased. Raises KeyError if the
    record has no key and ValueError if it has no title.
    """
    key = record["key"]
    title = _text(record.get("title"))
    if title is None:
        raise ValueError(f"asset {key!r} has no title")
    return {
        "key": key,
        "kind": _text(record.get("kind")),
        "title": title,
        "description": plain_text(record.get("description")),
        "tags": _tags(record.get("tags")),
        "department": _text(record.get("department")),
        "owner": _text(record.get("owner")),
        "owner_email": _email(record.get("owner_email")),
        "steward": _text(record.get("steward")),
        "steward_email": _email(record.get("steward_email")),
        "source_system": _text(record.get("source_system")),
        "classification": _text(record.get("classification")) or "OFFICIAL",
        "access": _text(record.get("access")) or "internal",
        "status": _text(record.get("status")) or "active",
        "last_updated": _text(record.get("last_updated")),
        "columns": _columns(record.get("columns")),
        "version": record.get("version"),
        "licence": _text(record.get("licence")),
        "update_frequency": _text(record.get("update_frequency")),
        "link_formats": _link_formats(record.get("links")),
        # An imported record keeps its source catalogue's times (records.md).
        "created": _utc(record.get("source_created") or record.get("created_at")),
        "modified": _utc(record.get("source_modified") or record.get("updated_at")),
    }


def _link_formats(links: Any) -> list[str]:
    """The formats of a record's web links (as written, once each, sorted)."""
    found = {
        (link.get("format") or "").strip()
        for link in links or []
        if isinstance(link, dict) and WEB_LINK.match(str(link.get("url") or ""))
    }
    return sorted(f for f in found if f)


def _utc(value: Any) -> str | None:
    """An ISO 8601 time as naive UTC ISO 8601 (so times sort as text); None if none."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def meta_value(doc: dict, normalised_title: str) -> bytes:
    """Return the ``meta`` column value for stored fields `doc`."""
    values = {
        "tag": VALUE_SEP.join(doc["tags"]),
        "link_format": VALUE_SEP.join(doc.get("link_formats") or []),
        "title_sort": fold(doc["title"]),
        "title_terms": normalised_title,
        **{name: doc.get(name) or "" for name in META_FIELDS if name not in _DERIVED},
    }
    return FIELD_SEP.join(values[name] for name in META_FIELDS).encode("utf-8")


def index_fields(doc: dict) -> dict[str, Any]:
    """Return the keyword arguments for writer.update_document() for stored fields `doc`."""
    columns = doc["columns"]
    facts = [doc["kind"], doc["source_system"], *doc["tags"]]
    facts += [col["name"].replace("_", " ") for col in columns]
    org = [doc["department"], doc["owner"], doc["steward"]]
    body = [doc["description"][:BODY_CHARS]] + [col["description"] for col in columns]
    title = doc["title"]
    exact = normalise_title(title)
    return {
        "key": doc["key"],
        "meta": meta_value(doc, exact),
        "title": title,
        "title_prefix": title,
        "title_exact": exact,
        "facts": "\n".join(f for f in facts if f),
        "org": "\n".join(f for f in org if f),
        "body": (title, "\n".join(b for b in body if b)),
        "title_sort": fold(title).encode("utf-8"),
        "last_updated": (doc["last_updated"] or "").encode("utf-8"),
        "record": doc,
    }

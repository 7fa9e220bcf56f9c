"""Turning rows into records (docs/records.md) and records into rows.

A record is the plain-dict form of an asset that the change log stores, the views
receive, catalogue files hold and the API returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, lazyload

from catalogue.models import Asset, AssetColumn, Department, Edge, Person, Tag
from catalogue.services.record_types import AssetRecord, EdgeRecord

# Fields copied as they are between a validated record and the Asset row.
PLAIN_FIELDS = (
    "kind",
    "title",
    "description",
    "source_system",
    "location",
    "contact_email",
    "classification",
    "access",
    "licence",
    "personal_data",
    "special_category",
    "lawful_basis",
    "article9_condition",
    "retention_period",
    "dpia_reference",
    "purpose",
    "international_transfers",
    "update_frequency",
    "last_updated",
    "review_date",
    "status",
    "source_created",
    "source_modified",
)

#: Article 30 lists of plain strings, stored as JSON lists.
ARTICLE_30_LISTS = ("data_subjects", "personal_data_categories", "recipients")


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def asset_record(asset: Asset, columns: Sequence[Any] | None = None) -> AssetRecord:
    """The record of an asset as it is now, with version and timestamps; its
    columns are ``columns`` if given (rows read apart), else its mapped ones."""
    return record_of(
        asset,
        asset.department.name if asset.department else None,
        asset.owner,
        asset.steward,
        [t.name for t in asset.tags],
        asset.columns if columns is None else columns,
    )


def read_record(session: Session, key: str) -> AssetRecord | None:
    """The record of the asset ``key`` (None if there is none), its columns read
    as plain rows: mapping a wide dataset's 1,000 columns to objects cost more
    than the rest of its page (issue #21)."""
    found = read_shown(session, key, None)
    return None if found is None else found[0]


def read_shown(session: Session, key: str, shown: int | None) -> tuple[AssetRecord, int] | None:
    """The record of the asset ``key`` with only its first ``shown`` columns (all
    of them if None), and how many columns it has in all; None if there is no
    such asset. An asset page shows the first 200 of a wide dataset's columns:
    reading the other 800 cost it time for nothing (#21).

    The columns and their count come in one statement: on PostgreSQL each
    statement is a round trip, and a page's round trips were what kept it from
    its target there (#21). (The tags stay a statement of their own: joined to
    the asset, SQLite's plan read every asset's tags.)"""
    asset = session.scalar(select(Asset).where(Asset.key == key).options(lazyload(Asset.columns)))
    if asset is None:
        return None
    columns = column_rows(session, asset.id, shown)
    total = columns[0].total if shown is not None and columns else len(columns)
    return asset_record(asset, columns), total


def column_rows(session: Session, asset_id: int, limit: int | None = None) -> Sequence[Row[Any]]:
    """The columns of one asset in order, as rows (name, type, description,
    personal): the first ``limit`` of them, or all if None. With a limit each
    row also carries ``total``, how many columns the asset has in all (a window
    count, so no second statement)."""
    table = AssetColumn.__table__
    wanted = [table.c.name, table.c.type, table.c.description, table.c.personal]
    if limit is not None:
        wanted.append(func.count().over().label("total"))
    return session.execute(
        select(*wanted)
        .where(table.c.asset_id == asset_id)
        .order_by(table.c.position, table.c.id)
        .limit(limit)
    ).all()


def record_of(
    asset: Any,
    department: str | None,
    owner: Any,
    steward: Any,
    tags: list[str],
    columns: Sequence[Any],
) -> AssetRecord:
    """The record of an asset row (a mapped Asset or a row of the assets table),
    given its department's name, its owner and steward (anything with ``name`` and
    ``email``), its tag names and its columns in order: one shape for every reader."""
    return {
        "key": asset.key,
        "kind": asset.kind,
        "title": asset.title,
        "description": asset.description or "",
        "tags": sorted(tags),
        "department": department,
        "source_system": asset.source_system,
        "location": asset.location,
        "owner": owner.name if owner else None,
        "owner_email": owner.email if owner else None,
        "steward": steward.name if steward else None,
        "steward_email": steward.email if steward else None,
        "contact_email": asset.contact_email,
        "classification": asset.classification,
        "access": asset.access,
        "licence": asset.licence,
        "personal_data": bool(asset.personal_data),
        "special_category": bool(asset.special_category),
        "lawful_basis": asset.lawful_basis,
        "article9_condition": asset.article9_condition,
        "retention_period": asset.retention_period,
        "dpia_reference": asset.dpia_reference,
        "purpose": asset.purpose,
        "data_subjects": list(asset.data_subjects or []),
        "personal_data_categories": list(asset.personal_data_categories or []),
        "recipients": list(asset.recipients or []),
        "international_transfers": asset.international_transfers,
        "update_frequency": asset.update_frequency,
        "last_updated": _iso(asset.last_updated),
        "review_date": _iso(asset.review_date),
        "last_reviewed": _iso(asset.last_reviewed),
        "last_reviewed_by": asset.last_reviewed_by,
        "last_review_note": asset.last_review_note,
        "status": asset.status,
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "description": c.description,
                "personal": bool(c.personal),
            }
            for c in columns
        ],
        "links": list(asset.links or []),
        "source_created": _iso(asset.source_created),
        "source_modified": _iso(asset.source_modified),
        "version": asset.version,
        "created_at": _iso(asset.created_at),
        "updated_at": _iso(asset.updated_at),
    }


def edge_record(edge: Edge) -> EdgeRecord:
    return {
        "id": edge.id,
        "upstream": edge.upstream.key,
        "downstream": edge.downstream.key,
        "via": edge.via.key if edge.via else None,
        "description": edge.description,
        "valid_from": edge.valid_from.isoformat(),
        "valid_to": _iso(edge.valid_to),
    }


class Resolver:
    """Finds or creates the departments, people and tags a record names.

    One resolver serves one transaction and caches what it found, so applying a
    file of thousands of records asks the database once per distinct name.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._departments: dict[str, Department] = {}
        # Keyed by email where there is one (one person per email, whatever name
        # each mention gives), else by name among people without an email.
        self._people: dict[tuple[str, str], Person] = {}
        self._tags: dict[str, Tag] = {}

    def department(self, name: str | None) -> Department | None:
        if not name:
            return None
        if name not in self._departments:
            found = self.session.scalar(select(Department).where(Department.name == name))
            if found is None:
                found = Department(name=name)
                self.session.add(found)
            self._departments[name] = found
        return self._departments[name]

    def person(self, name: str | None, email: str | None) -> Person | None:
        """The person with this email (renamed if the name changed), else by name."""
        if not name and not email:
            return None
        cache_key = ("email", email) if email else ("name", name or "")
        if cache_key in self._people:
            cached = self._people[cache_key]
            if name and cached.name != name:
                cached.name = name
            return cached
        if email:
            found = self.session.scalar(select(Person).where(Person.email == email))
            if found is None:
                found = Person(name=name or email, email=email)
                self.session.add(found)
            elif name and found.name != name:
                found.name = name
        else:
            found = self.session.scalar(
                select(Person).where(Person.name == name, Person.email.is_(None))
            )
            if found is None:
                found = Person(name=name, email=None)
                self.session.add(found)
        self._people[cache_key] = found
        return found

    def tags(self, names: list[str]) -> list[Tag]:
        missing = [n for n in names if n not in self._tags]
        if missing:
            for tag in self.session.scalars(select(Tag).where(Tag.name.in_(missing))):
                self._tags[tag.name] = tag
            for name in missing:
                if name not in self._tags:
                    self._tags[name] = Tag(name=name)
                    self.session.add(self._tags[name])
        return [self._tags[n] for n in names]


def fill_asset(asset: Asset, values: dict[str, Any], resolver: Resolver) -> None:
    """Copy validated record values onto a row (only the fields present).

    No autoflush meanwhile: looking up a tag must not write half a change (the
    row would be updated twice and its version bumped twice).
    """
    with resolver.session.no_autoflush:
        _fill(asset, values, resolver)


def _fill(asset: Asset, values: dict[str, Any], resolver: Resolver) -> None:
    for name in PLAIN_FIELDS:
        if name in values:
            setattr(asset, name, values[name])
    if "department" in values:
        asset.department = resolver.department(values["department"])
    if "owner" in values or "owner_email" in values:
        owner = values.get("owner", asset.owner.name if asset.owner else None)
        owner_email = values.get("owner_email", asset.owner.email if asset.owner else None)
        asset.owner = resolver.person(owner, owner_email)
    if "steward" in values or "steward_email" in values:
        steward = values.get("steward", asset.steward.name if asset.steward else None)
        steward_email = values.get("steward_email", asset.steward.email if asset.steward else None)
        asset.steward = resolver.person(steward, steward_email)
    if "tags" in values:
        asset.tags = resolver.tags(values["tags"])
    if "columns" in values:
        asset.columns = [
            AssetColumn(
                position=i,
                name=c["name"],
                type=c.get("type"),
                description=c.get("description"),
                personal=bool(c.get("personal", False)),
            )
            for i, c in enumerate(values["columns"])
        ]
    if "links" in values:
        asset.links = list(values["links"])
    for name in ARTICLE_30_LISTS:
        if name in values:
            setattr(asset, name, list(values[name]))

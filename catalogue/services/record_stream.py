"""Every asset's record, streamed from the database for a full rebuild of a view.

The records are those ``records.asset_record`` gives, built from plain rows
rather than mapped objects: a batch of assets by id, then their tags and their
columns by one query each, with departments and people read once. This reads
the catalogue in about half the CPU time of mapped objects (identity map,
relationship loading): 0.95 s instead of 1.93 s for 10,000 assets on SQLite
(issue #21). Memory stays bounded by one batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Asset, AssetColumn, Department, Person, Tag, asset_tags
from catalogue.services.record_types import AssetRecord
from catalogue.services.records import record_of

BATCH = 2000


def stream_records(session: Session, batch: int = BATCH) -> Iterator[AssetRecord]:
    """Every asset's record (retired ones included), in id order."""
    departments = {i: name for i, name in session.execute(select(Department.id, Department.name))}
    people = {p.id: p for p in session.execute(select(Person.id, Person.name, Person.email))}
    tag_names = {i: name for i, name in session.execute(select(Tag.id, Tag.name))}
    assets = Asset.__table__
    columns = AssetColumn.__table__
    after = 0
    while True:
        rows = session.execute(
            select(assets).where(assets.c.id > after).order_by(assets.c.id).limit(batch)
        ).all()
        if not rows:
            return
        low, high = rows[0].id, rows[-1].id
        tags: dict[int, list[str]] = defaultdict(list)
        tagged = session.execute(
            select(asset_tags.c.asset_id, asset_tags.c.tag_id).where(
                asset_tags.c.asset_id.between(low, high)
            )
        )
        for asset_id, tag_id in cast("Iterator[tuple[int, int]]", tagged):
            tags[asset_id].append(tag_names[tag_id])
        owned: dict[int, list[Any]] = defaultdict(list)
        for column in session.execute(
            select(columns)
            .where(columns.c.asset_id.between(low, high))
            .order_by(columns.c.asset_id, columns.c.position, columns.c.id)
        ):
            owned[column.asset_id].append(column)
        for row in rows:
            yield record_of(
                row,
                departments.get(row.department_id),
                people.get(row.owner_id),
                people.get(row.steward_id),
                tags[row.id],
                owned[row.id],
            )
        after = high

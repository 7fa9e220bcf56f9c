"""Writing many new assets and edges at once, with set-based inserts.

`catalogue apply` of a register of thousands would spend most of its time in the
ORM's per-object bookkeeping; new rows need none of it. The records logged are
built to be exactly what ``records.asset_record`` / ``edge_record`` would read
back (a test holds them to that).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table

from catalogue.models import Asset, AssetColumn, Edge, asset_tags
from catalogue.services.changes import Writer
from catalogue.services.records import ARTICLE_30_LISTS, PLAIN_FIELDS, Resolver
from catalogue.services.row_copy import insert_rows, insert_with_ids

#: The tables themselves: new rows go in by Core inserts, or COPY on PostgreSQL
#: (services/row_copy.py; the ORM's bulk insert re-read earlier batches).
ASSETS = cast(Table, Asset.__table__)
EDGES = cast(Table, Edge.__table__)
COLUMNS = cast(Table, AssetColumn.__table__)


def _column_dicts(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": c["name"],
            "type": c.get("type"),
            "description": c.get("description"),
            "personal": bool(c.get("personal", False)),
        }
        for c in values.get("columns", [])
    ]


def create_assets(
    writer: Writer, creates: Sequence[dict[str, Any]], resolver: Resolver
) -> dict[str, int]:
    """Insert new assets (validated values, keys known to be free) and log each.

    Returns the new ids by key.
    """
    session = writer.session
    refs = []
    for values in creates:
        refs.append(
            (
                resolver.department(values.get("department")),
                resolver.person(values.get("owner"), values.get("owner_email")),
                resolver.person(values.get("steward"), values.get("steward_email")),
                resolver.tags(values.get("tags", [])),
            )
        )
    session.flush()  # new departments, people and tags get their ids
    rows = [
        _asset_row(values, department, owner, steward, writer.now)
        for values, (department, owner, steward, _tags) in zip(creates, refs, strict=True)
    ]
    new_ids = insert_with_ids(session, ASSETS, rows)
    ids = {values["key"]: id_ for values, id_ in zip(creates, new_ids, strict=True)}
    columns: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    for values, (department, owner, steward, tags) in zip(creates, refs, strict=True):
        asset_id = ids[values["key"]]
        for position, column in enumerate(_column_dicts(values)):
            columns.append({"asset_id": asset_id, "position": position, **column})
        tag_rows.extend(
            {"asset_id": asset_id, "tag_id": t.id} for t in {t.id: t for t in tags}.values()
        )
        writer.log(
            "asset.create",
            values["key"],
            None,
            _new_record(values, writer, department, owner, steward),
        )
    insert_rows(session, COLUMNS, columns)
    insert_rows(session, asset_tags, tag_rows)
    return ids


def _asset_row(
    values: dict[str, Any], department: Any, owner: Any, steward: Any, now: datetime
) -> dict[str, Any]:
    """The assets table's row of a new asset, its department and people resolved."""
    row = {name: values.get(name) for name in PLAIN_FIELDS}
    row.update(
        key=values["key"],
        description=values.get("description") or "",
        department_id=department.id if department else None,
        owner_id=owner.id if owner else None,
        steward_id=steward.id if steward else None,
        personal_data=bool(values.get("personal_data")),
        special_category=bool(values.get("special_category")),
        links=list(values.get("links", [])),
        version=1,
        created_at=now,
        updated_at=now,
    )
    row.update({name: list(values.get(name, [])) for name in ARTICLE_30_LISTS})
    return row


def _new_record(
    values: dict[str, Any], writer: Writer, department: Any, owner: Any, steward: Any
) -> dict[str, Any]:
    """The record of a just-created asset, as ``asset_record`` would read it back."""
    record: dict[str, Any] = {name: values.get(name) for name in PLAIN_FIELDS}
    for name, value in record.items():
        if isinstance(value, date | datetime):  # dates, and the source's times
            record[name] = value.isoformat()
    now = writer.now.isoformat()
    record.update(
        key=values["key"],
        description=values.get("description") or "",
        tags=sorted(set(values.get("tags", []))),
        department=department.name if department else None,
        owner=owner.name if owner else None,
        owner_email=owner.email if owner else None,
        steward=steward.name if steward else None,
        steward_email=steward.email if steward else None,
        personal_data=bool(values.get("personal_data")),
        special_category=bool(values.get("special_category")),
        columns=_column_dicts(values),
        links=list(values.get("links", [])),
        last_reviewed=None,
        last_reviewed_by=None,
        last_review_note=None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    record.update({name: list(values.get(name, [])) for name in ARTICLE_30_LISTS})
    return record


def add_edges(
    writer: Writer, adds: Sequence[tuple[str, str, str | None, str | None]], ids: dict[str, int]
) -> None:
    """Insert current edges ``(upstream, downstream, via, description)`` and log each."""
    keys = {id_: key for key, id_ in ids.items()}
    rows: list[dict[str, Any]] = [
        {
            "upstream_id": ids[up],
            "downstream_id": ids[down],
            "via_id": ids[via] if via else None,
            "description": description,
            "valid_from": writer.now,
            "valid_to": None,
        }
        for up, down, via, description in adds
    ]
    now = writer.now.isoformat()
    edge_ids = insert_with_ids(writer.session, EDGES, rows)
    for edge_id, row in zip(edge_ids, rows, strict=True):
        record: dict[str, Any] = {
            "id": edge_id,
            "upstream": keys[row["upstream_id"]],
            "downstream": keys[row["downstream_id"]],
            "via": keys[row["via_id"]] if row["via_id"] else None,
            "description": row["description"],
            "valid_from": now,
            "valid_to": None,
        }
        writer.log("edge.add", record["downstream"], None, record)

"""What the harvest compares: the fields it owns, as the catalogue holds them,
against what a reader found in the source. Pure functions, and one read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import Asset, AssetColumn
from catalogue.services.harvest.found import FoundDataset

SCHEMA_CHANGE = "asset.schema_change"
#: Keys per query when reading many assets.
CHUNK = 500


def new_values(found: FoundDataset, key: str, source_system: str, department: str | None) -> dict:
    return {
        "key": key,
        "kind": "dataset",
        "title": found.title[:500] or key,
        "description": found.description or "",
        "source_system": source_system,
        "location": found.location[:2000],
        "department": department,
        "last_updated": found.last_updated.isoformat() if found.last_updated else None,
        "columns": [{**c, "personal": False} for c in found.columns or []],
    }


def merged_columns(current: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict]:
    """The source's columns in its order and with its types; a column keeps the
    description a person gave it unless the database has a comment of its own,
    and always keeps its personal-data flag."""
    known = {c["name"]: c for c in current}
    return [
        {
            "name": c["name"],
            "type": c.get("type"),
            "description": c.get("description") or known.get(c["name"], {}).get("description"),
            "personal": bool(known.get(c["name"], {}).get("personal", False)),
        }
        for c in found
    ]


def owned_changes(record: Mapping[str, Any], found: FoundDataset, source_system: str) -> dict:
    """The technical fields that differ from the source (and a description to
    fill in while it is empty). Curated fields are never in it."""
    changes: dict[str, Any] = {}
    if found.columns is not None:
        columns = merged_columns(record["columns"], found.columns)
        if columns != record["columns"]:
            changes["columns"] = columns
    if found.location and found.location[:2000] != record["location"]:
        changes["location"] = found.location[:2000]
    if found.last_updated and found.last_updated.isoformat() != record["last_updated"]:
        changes["last_updated"] = found.last_updated.isoformat()
    if record["source_system"] != source_system:
        changes["source_system"] = source_system
    if found.description and not record["description"]:
        changes["description"] = found.description
    if record["status"] == "retired":
        changes["status"] = "active"  # it is back in the source
    return changes


def column_changes(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> list[str]:
    """A schema change in words: columns added, dropped and retyped."""
    old = {c["name"]: c.get("type") for c in before}
    new = {c["name"]: c.get("type") for c in after}
    lines = [f"column added: {n} ({new[n] or 'type unknown'})" for n in new if n not in old]
    lines += [f"column dropped: {n}" for n in old if n not in new]
    lines += [
        f"column retyped: {n} ({old[n]} → {new[n]})" for n in new if n in old and old[n] != new[n]
    ]
    return lines or ["column descriptions or order changed"]


def owned_fields(
    session: Session, keys: list[str], without_columns: set[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The harvest-owned fields of existing assets, as their records hold them,
    read with two plain queries per chunk: an unchanged source is compared
    without loading thousands of full assets. The columns of ``without_columns``
    (objects the reader found unchanged) are not read at all."""
    skip = without_columns or set()
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows = session.execute(
            select(Asset.id, Asset.key, Asset.location, Asset.last_updated, Asset.source_system,
                   Asset.description, Asset.status).where(Asset.key.in_(chunk))
        ).all()  # fmt: skip
        by_id: dict[int, dict[str, Any]] = {}
        for id_, key, location, last_updated, source, description, status in rows:
            by_id[id_] = out[key] = {
                "key": key,
                "location": location,
                "last_updated": last_updated.isoformat() if last_updated else None,
                "source_system": source,
                "description": description or "",
                "status": status,
                "columns": [],
            }
        columns = session.execute(
            select(AssetColumn.asset_id, AssetColumn.name, AssetColumn.type,
                   AssetColumn.description, AssetColumn.personal)
            .where(AssetColumn.asset_id.in_([i for i, r in by_id.items() if r["key"] not in skip]))
            .order_by(AssetColumn.asset_id, AssetColumn.position)
        )  # fmt: skip
        for asset_id, name, type_, column_description, personal in columns:
            by_id[asset_id]["columns"].append(
                {
                    "name": name,
                    "type": type_,
                    "description": column_description,
                    "personal": bool(personal),
                }
            )
    return out

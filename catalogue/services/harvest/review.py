"""What people see of a harvest: where an asset came from and when it was last
harvested, and the columns flagged as possibly personal, for a person to decide.

A flag is open until someone decides: marking the column personal (an ordinary
edit of the asset) or dismissing the flag (logged as ``column_review.dismiss``).
A later harvest never reopens a dismissed flag.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import NotFound
from catalogue.harvest_models import HarvestedAsset, HarvestReview
from catalogue.models import Asset
from catalogue.services.access import can_read, require_write
from catalogue.services.assets import get_asset
from catalogue.services.changes import Writer
from catalogue.services.context import Reader
from catalogue.services.records import asset_record

DISMISS = "column_review.dismiss"


def harvest_info(session: Session, key: str) -> dict[str, Any] | None:
    """Where a harvested asset came from and when a harvest last saw it (None if
    no harvest found it). The caller has already checked the asset may be read."""
    row = session.scalar(select(HarvestedAsset).where(HarvestedAsset.asset_key == key))
    if row is None:
        return None
    return {
        "source_system": row.source_system,
        "name": row.name,
        "object_type": row.object_type,
        "size_bytes": row.size_bytes,
        "first_harvested_at": row.first_harvested_at.isoformat(),
        "last_harvested_at": row.last_harvested_at.isoformat(),
    }


def open_flags(session: Session, key: str) -> dict[str, str]:
    """Column → why it may hold personal data, for the asset's open flags (a
    column already marked personal is decided)."""
    asset = get_asset(session, key)
    personal = {c.name for c in asset.columns if c.personal}
    rows = session.scalars(
        select(HarvestReview).where(
            HarvestReview.asset_key == key, HarvestReview.decided_at.is_(None)
        )
    )
    return {r.column: r.reason for r in rows if r.column not in personal}


def review_list(reader: Reader) -> list[dict[str, Any]]:
    """Every open flag on an asset ``principal`` may see, by asset key and column."""
    session, principal = reader.session, reader.principal
    rows = list(
        session.execute(
            select(HarvestReview, Asset)
            .join(Asset, Asset.key == HarvestReview.asset_key)
            .where(HarvestReview.decided_at.is_(None), Asset.status == "active")
            .order_by(HarvestReview.asset_key, HarvestReview.id)
        ).unique()
    )
    out = []
    for flag, asset in rows:
        record = asset_record(asset)
        personal = {c["name"] for c in record["columns"] if c["personal"]}
        if flag.column in personal or not can_read(principal, record):
            continue
        out.append(
            {
                "key": flag.asset_key,
                "column": flag.column,
                "reason": flag.reason,
                "flagged_at": flag.flagged_at.isoformat(),
                "department": record["department"],
                "classification": record["classification"],
            }
        )
    return out


def dismiss(writer: Writer, key: str, column: str) -> None:
    """Record that a person looked and the column holds no personal data.
    Raises NotFound if the column has no open flag, Forbidden if the person may
    not change the asset."""
    asset = get_asset(writer.session, key)
    require_write(writer.principal, asset_record(asset), key)
    flag = writer.session.scalar(
        select(HarvestReview).where(
            HarvestReview.asset_key == key,
            HarvestReview.column == column,
            HarvestReview.decided_at.is_(None),
        )
    )
    if flag is None:
        raise NotFound(f"column {column!r} of {key!r} has no open flag for review")
    flag.decided_at = writer.now
    flag.decided_by = writer.actor
    before = {"column": column, "reason": flag.reason, "decision": None}
    writer.log(DISMISS, key, before, {**before, "decision": "not personal data"})

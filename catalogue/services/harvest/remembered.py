"""What a harvest remembers between runs, in tables of its own: the asset key
it made for each object name (``lineage_names``), which object each asset is
and when a harvest last saw it (``harvested_assets``), and the columns it
flagged as maybe personal for a person to review (``harvest_reviews``).
``sync.harvest_into`` reads and writes them in the harvest's one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from catalogue.harvest_models import HarvestedAsset, HarvestReview
from catalogue.models import Asset
from catalogue.openlineage_models import LineageName
from catalogue.services.changes import Writer
from catalogue.services.harvest.compare import CHUNK
from catalogue.services.harvest.found import Previous, Reading
from catalogue.services.harvest.personal import personal_reason
from catalogue.services.openlineage_names import KEY_MAX, digest, suggested_key


def object_keys(writer: Writer, source_system: str, names: Iterable[str]) -> dict[str, str]:
    """The asset key of each object name, made once and remembered (LineageName),
    by the rule of ``openlineage_names.key_for``, for all new names at once."""
    session = writer.session
    known = dict(
        session.execute(
            select(LineageName.name, LineageName.asset_key).where(
                LineageName.kind == "dataset", LineageName.namespace == source_system
            )
        ).all()
    )
    new = [n for n in dict.fromkeys(names) if n not in known]
    wanted = {n: suggested_key(source_system, n) for n in new}
    taken = _taken(session, sorted(set(wanted.values())))
    for name, key in wanted.items():
        node = digest("dataset", source_system, name)
        if key in taken:
            key = f"{key[: KEY_MAX - 13].rstrip('-._')}-{node[:12]}"
        taken.add(key)
        known[name] = key
        session.add(
            LineageName(
                digest=node,
                kind="dataset",
                namespace=source_system,
                name=name,
                asset_key=key,
                created_at=writer.now,
            )
        )
    return known


def _taken(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` an asset or a remembered name already has."""
    taken: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        taken.update(session.scalars(select(Asset.key).where(Asset.key.in_(chunk))))
        taken.update(
            session.scalars(select(LineageName.asset_key).where(LineageName.asset_key.in_(chunk)))
        )
    return taken


def previous_views(session: Session, source_system: str) -> Previous:
    """What the last harvest of this source knew of its views and tables (to
    skip parsing an unchanged view, and reading an unchanged table again).
    An asset someone changed since that harvest is left out, so it is read and
    compared in full: the harvest's fields come back if a person changed them."""
    rows = session.execute(
        select(HarvestedAsset.name, HarvestedAsset.fingerprint, HarvestedAsset.reads)
        .join(Asset, Asset.key == HarvestedAsset.asset_key)
        .where(
            HarvestedAsset.source_system == source_system,
            HarvestedAsset.fingerprint.is_not(None),
            Asset.updated_at <= HarvestedAsset.last_harvested_at,
        )
    )
    return {name: (fingerprint or "", tuple(reads or ())) for name, fingerprint, reads in rows}


def remember(
    session: Session, writer: Writer, source_system: str, reading: Reading, keys: dict[str, str]
) -> None:
    """Which object each asset is, and that this harvest saw it now. What an
    earlier harvest remembered is read as plain rows (an unchanged source of
    thousands of tables loads no objects), and only what differs is written."""
    found = {keys[d.name]: d for d in reading.datasets}
    held = _held(session, list(found))
    for key, dataset in found.items():
        reads = list(dataset.reads) if dataset.fingerprint else None
        if key not in held:
            session.add(
                HarvestedAsset(
                    asset_key=key,
                    source_system=source_system,
                    name=dataset.name,
                    object_type=dataset.object_type,
                    size_bytes=dataset.size,
                    fingerprint=dataset.fingerprint,
                    reads=reads,
                    first_harvested_at=writer.now,
                    last_harvested_at=writer.now,
                )
            )
            continue
        now = (dataset.object_type, source_system, dataset.size, dataset.fingerprint)
        if held[key] != now:
            session.execute(
                update(HarvestedAsset)
                .where(HarvestedAsset.asset_key == key)
                .values(object_type=now[0], source_system=now[1], size_bytes=now[2],
                        fingerprint=now[3], reads=reads)
            )  # fmt: skip
    _seen_now(session, writer, [k for k in found if k in held])


def _held(session: Session, wanted: list[str]) -> dict[str, tuple]:
    """What an earlier harvest remembered of each asset in ``wanted``, as
    (object type, source system, size, fingerprint)."""
    held: dict[str, tuple] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(HarvestedAsset.asset_key, HarvestedAsset.object_type,
                   HarvestedAsset.source_system, HarvestedAsset.size_bytes,
                   HarvestedAsset.fingerprint)
            .where(HarvestedAsset.asset_key.in_(wanted[start : start + CHUNK]))
        )  # fmt: skip
        held.update((row[0], tuple(row[1:])) for row in rows)
    return held


def _seen_now(session: Session, writer: Writer, seen: list[str]) -> None:
    """This harvest saw the assets ``seen`` (already remembered) at the Writer's time."""
    for start in range(0, len(seen), CHUNK):
        session.execute(
            update(HarvestedAsset)
            .where(HarvestedAsset.asset_key.in_(seen[start : start + CHUNK]))
            .values(last_harvested_at=writer.now)
        )


def flag_personal(
    session: Session, writer: Writer, reading: Reading, keys: dict[str, str]
) -> list[tuple[str, str, str]]:
    """Flag for review each column that may hold personal data and is not yet
    flagged; drop flags of columns that are gone. Returns the new flags as
    (key, column, reason)."""
    flagged: list[tuple[str, str, str]] = []
    found = {keys[d.name]: d for d in reading.datasets if d.columns is not None}
    held: dict[str, dict[str, HarvestReview]] = {}
    wanted = list(found)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for row in session.scalars(select(HarvestReview).where(HarvestReview.asset_key.in_(chunk))):
            held.setdefault(row.asset_key, {})[row.column] = row
    for key, dataset in found.items():
        names = {c["name"] for c in dataset.columns or []}
        flags = held.get(key, {})
        for column in dataset.columns or []:
            reason = personal_reason(column["name"], column.get("description"))
            if reason and column["name"] not in flags:
                session.add(
                    HarvestReview(
                        asset_key=key, column=column["name"], reason=reason, flagged_at=writer.now
                    )
                )
                flagged.append((key, column["name"], reason))
        gone = [row.id for name, row in flags.items() if name not in names]
        if gone:
            session.execute(delete(HarvestReview).where(HarvestReview.id.in_(gone)))
    return flagged

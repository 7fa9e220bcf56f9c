"""Use cases on assets: register, update, retire, get, list, history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from catalogue.errors import Conflict, Forbidden, Invalid, NotFound, Problem
from catalogue.models import Asset, AssetKind, ChangeLog, Department, Person, Tag
from catalogue.services.access import (
    Principal,
    can_read,
    can_write,
    require_read,
    require_write,
)
from catalogue.services.changes import Writer, change_entry
from catalogue.services.context import Reader
from catalogue.services.record_types import AssetRecord, ChangeEntry
from catalogue.services.records import Resolver, asset_record, fill_asset, read_shown
from catalogue.services.source_systems import check_source_system

# What a change compares; version and timestamps follow from a change, they are not one.
BOOKKEEPING = ("version", "created_at", "updated_at")


def known_kinds(session: Session) -> list[str]:
    return list(session.scalars(select(AssetKind.name).order_by(AssetKind.name)))


def find(session: Session, key: str) -> Asset | None:
    return session.scalar(select(Asset).where(Asset.key == key))


def get_asset(session: Session, key: str) -> Asset:
    """The asset with this key, whoever asks (for services that check access
    themselves); raises NotFound naming the key."""
    asset = find(session, key)
    if asset is None:
        raise NotFound(f"no asset with key {key!r}")
    return asset


def get(reader: Reader, key: str) -> AssetRecord:
    """The record of ``key`` if ``principal`` may see it; NotFound otherwise."""
    return get_shown(reader, key, None)[0]


def get_shown(reader: Reader, key: str, shown: int | None) -> tuple[AssetRecord, int]:
    """As ``get``, with only the first ``shown`` columns (all if None) and how
    many the asset has in all: what an asset page shows (#21)."""
    found = read_shown(reader.session, key, shown)
    if found is None:
        raise NotFound(f"no asset with key {key!r}")
    require_read(reader.principal, found[0], key)
    return found


def as_record_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validated values in record form (ISO dates, full column dicts) for comparing."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif name == "columns":
            value = [
                {
                    "name": c["name"],
                    "type": c.get("type"),
                    "description": c.get("description"),
                    "personal": bool(c.get("personal", False)),
                }
                for c in value
            ]
        elif name == "links":
            value = [dict(link) for link in value]
        out[name] = value
    return out


def changed_fields(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The validated ``values`` that differ from the ``current`` record."""
    wanted = as_record_values(values)
    return {
        name: values[name]
        for name, value in wanted.items()
        if name != "key" and current.get(name) != value
    }


def register(
    writer: Writer,
    data: Mapping[str, Any],
    resolver: Resolver | None = None,
    as_given: bool = False,
) -> AssetRecord:
    """Register a new asset (``as_given``: JSON exactly as the API documents it,
    see ``load_asset``). Raises Invalid (per field) or Conflict (key taken)."""
    from catalogue.schemas import load_asset  # validation: not needed to read an asset

    values = load_asset(data, known_kinds(writer.session), as_given=as_given)
    require_create(writer.principal, values)
    check_source_system(writer, values["key"], values)
    asset = create_validated(writer, values, resolver or Resolver(writer.session))
    writer.session.flush()
    return asset_record(asset)


def require_create(principal: Principal, values: dict[str, Any]) -> None:
    """Stewards register assets for their own department (or that they own or
    steward); admins anything. Raises Forbidden saying so."""
    if not can_write(principal, values):
        raise Forbidden(
            f"you may not register {values.get('key')!r}: stewards register assets of their "
            "own department, or name themselves owner or steward"
        )


def create_validated(
    writer: Writer, values: dict[str, Any], resolver: Resolver, check_key: bool = True
) -> Asset:
    """Create an asset from already-validated values and log it.

    ``check_key=False`` is for callers that already know the key is free (a
    planned apply), saving one query per asset.
    """
    if check_key and find(writer.session, values["key"]) is not None:
        raise Conflict(f"an asset with key {values['key']!r} already exists")
    asset = Asset(key=values["key"], version=1, created_at=writer.now, updated_at=writer.now)
    fill_asset(asset, values, resolver)
    writer.session.add(asset)
    writer.log("asset.create", asset.key, None, asset_record(asset))
    return asset


def check_version(asset: Asset, expected_version: int | None) -> None:
    """Refuse a change made from a stale copy, naming the version it would overwrite."""
    if expected_version is not None and expected_version != asset.version:
        raise Conflict(
            f"asset {asset.key!r} has changed since you read it: you edited version "
            f"{expected_version}, the catalogue now holds version {asset.version} "
            f"(updated {asset.updated_at:%Y-%m-%d %H:%M} UTC). "
            "Reload it and make your change again."
        )


def update(
    writer: Writer,
    key: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    resolver: Resolver | None = None,
    as_given: bool = False,
) -> AssetRecord:
    """Change some fields of an asset; a no-op change writes nothing
    (``as_given`` as for ``register``).

    Raises NotFound, Invalid (per field), or Conflict when ``expected_version`` is
    stale or the asset is retired (unless the change reinstates it).
    """
    if "key" in changes and changes["key"] != key:
        raise Invalid("the key of an asset cannot change", [Problem("cannot change", "key", key)])
    asset = get_asset(writer.session, key)
    require_write(writer.principal, asset_record(asset), key)
    check_version(asset, expected_version)
    from catalogue.schemas import load_asset

    kinds = known_kinds(writer.session)
    values = load_asset({**changes, "key": key}, kinds, partial=True, as_given=as_given)
    require_not_retired(asset_record(asset), values)
    check_source_system(writer, key, values)
    if not can_write(writer.principal, {**asset_record(asset), **as_record_values(values)}):
        raise Forbidden(f"you may not move {key!r} out of your own department")
    return update_validated(writer, asset, values, resolver or Resolver(writer.session))


RETIRED_HINT = "to bring it back, set its status to active (status: active in a catalogue file)"


def retired_message(key: str) -> str:
    return f"{key!r} is retired: it cannot be changed; {RETIRED_HINT}"


def require_not_retired(record: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Retired means retired: a change to a retired asset is refused unless it
    reinstates it (status active). Raises Conflict saying how to reinstate it."""
    if record.get("status") != "retired" or values.get("status") == "active":
        return
    if changed_fields(record, values):
        raise Conflict(retired_message(str(record.get("key"))))


def update_validated(
    writer: Writer, asset: Asset, values: Mapping[str, Any], resolver: Resolver, action: str = ""
) -> AssetRecord:
    """Apply already-validated values to an asset and log the change, if any."""
    before = asset_record(asset)
    diff = changed_fields(before, values)
    if not diff:
        return before
    # Setting updated_at makes the row itself change, so the database bumps the
    # version (version_id_col) even when only tags or columns changed.
    asset.updated_at = writer.now
    fill_asset(asset, diff, resolver)
    after: AssetRecord = {**asset_record(asset), "version": before["version"] + 1}
    if not action:
        action = "asset.retire" if diff.get("status") == "retired" else "asset.update"
    writer.log(action, asset.key, before, after)
    return after


def retire(writer: Writer, key: str, expected_version: int | None = None) -> AssetRecord:
    """Mark an asset retired. It keeps its history and its lineage history."""
    asset = get_asset(writer.session, key)
    require_write(writer.principal, asset_record(asset), key)
    check_version(asset, expected_version)
    if asset.status == "retired":
        return asset_record(asset)
    return update_validated(writer, asset, {"status": "retired"}, Resolver(writer.session))


def list_assets(
    reader: Reader,
    kind: str | None = None,
    department: str | None = None,
    owner: str | None = None,
    tag: str | None = None,
    include_retired: bool = False,
) -> list[AssetRecord]:
    """Assets ``principal`` may see matching every filter given, by key.
    ``owner`` matches name or email."""
    session, principal = reader.session, reader.principal
    query = select(Asset).order_by(Asset.key)
    if kind:
        query = query.where(Asset.kind == kind)
    if department:
        query = query.join(Asset.department).where(Department.name == department)
    if owner:
        query = query.join(Person, Asset.owner_id == Person.id).where(
            (Person.name == owner) | (Person.email == owner.lower())
        )
    if tag:
        query = query.where(Asset.tags.any(Tag.name == tag.lower()))
    if not include_retired:
        query = query.where(Asset.status == "active")
    records = (asset_record(a) for a in session.scalars(query).unique())
    return [r for r in records if can_read(principal, r)]


def titled(reader: Reader, title: str) -> list[AssetRecord]:
    """The active assets ``principal`` may see whose title is ``title`` (letter
    case and spaces around it aside), by key: how a person names an asset."""
    session, principal = reader.session, reader.principal
    wanted = " ".join(title.split()).lower()
    query = select(Asset).where(func.lower(Asset.title) == wanted, Asset.status == "active")
    records = (asset_record(a) for a in session.scalars(query.order_by(Asset.key)).unique())
    return [r for r in records if can_read(principal, r)]


def history(reader: Reader, key: str, *, checked: bool = False) -> list[ChangeEntry]:
    """Every change to this asset and its lineage, oldest first (access requests
    are in the audit trail, not here). ``checked``: the
    caller has just read the asset with ``get`` for this principal in this session,
    so it is not read again."""
    session, principal = reader.session, reader.principal
    if not checked:
        get(reader, key)
    rows = session.scalars(_CHANGES.order_by(ChangeLog.seq), {"key": key})
    return _mask_edges([change_entry(r) for r in rows], session, principal)


def recent_history(reader: Reader, key: str, last: int) -> tuple[list[ChangeEntry], int]:
    """The latest ``last`` changes of ``history`` (oldest first) and how many
    there are in all, for a caller that has just read the asset with ``get``:
    what an asset page shows. One statement, and only the changes shown are
    read: a harvested table's schema changes each hold its every column (#21)."""
    rows = reader.session.execute(
        _CHANGES.add_columns(func.count().over()).order_by(ChangeLog.seq.desc()).limit(last),
        {"key": key},
    )
    found = list(cast("Iterable[tuple[ChangeLog, int]]", rows))
    changes = [change_entry(row) for row, _ in reversed(found)]
    return _mask_edges(changes, reader.session, reader.principal), found[0][1] if found else 0


# Access requests (#17) name a person and their reason: the audit trail's, not the page's.
_CHANGES = select(ChangeLog).where(
    ChangeLog.asset_key == bindparam("key"), ChangeLog.action.not_like("access.%")
)


def _mask_edges(
    changes: list[ChangeEntry], session: Session, principal: Principal
) -> list[ChangeEntry]:
    """Edge changes name the other end of the edge: blank the keys of assets the
    caller may not see, so a history never leaks a restricted asset's key."""
    named = {
        side[name]
        for c in changes
        if c["action"].startswith("edge.")
        for side in (c["before"], c["after"])
        if side
        for name in ("upstream", "via")
        if side.get(name)
    }
    if not named or principal.sees_everything:
        return changes
    records = _access_fields(session, named)
    hidden = {r["key"] for r in records if not can_read(principal, r)}
    if not hidden:
        return changes

    def masked(side: dict[str, Any] | None) -> dict[str, Any] | None:
        if side is None:
            return None
        return {
            k: (None if k in ("upstream", "via") and v in hidden else v) for k, v in side.items()
        }

    def masked_entry(change: ChangeEntry) -> ChangeEntry:
        if not change["action"].startswith("edge."):
            return change
        return {**change, "before": masked(change["before"]), "after": masked(change["after"])}

    return [masked_entry(c) for c in changes]


# What ``can_read`` looks at, for a few assets by key: one statement built once,
# where reading whole records took three (the asset, its tags, its columns).
_OWNER, _STEWARD = aliased(Person), aliased(Person)
_ACCESS_FIELDS = (
    select(Asset.key, Asset.access, Department.name, _OWNER.email, _STEWARD.email)
    .outerjoin(Department, Asset.department_id == Department.id)
    .outerjoin(_OWNER, Asset.owner_id == _OWNER.id)
    .outerjoin(_STEWARD, Asset.steward_id == _STEWARD.id)
    .where(Asset.key.in_(bindparam("keys", expanding=True)))
)


def _access_fields(session: Session, keys: set[str]) -> list[dict[str, Any]]:
    """The fields ``can_read`` decides by (key, access, department, owner's and
    steward's e-mail) of the assets ``keys``."""
    rows = session.execute(_ACCESS_FIELDS, {"keys": sorted(keys)})
    fields = ("key", "access", "department", "owner_email", "steward_email")
    return [dict(zip(fields, row, strict=True)) for row in cast("Iterable[tuple[Any, ...]]", rows)]


def record_as_of(session: Session, key: str, as_of: datetime) -> dict[str, Any] | None:
    """The asset's record as it stood at ``as_of``, from the change log (None if not yet)."""
    row = session.scalar(
        select(ChangeLog)
        .where(
            ChangeLog.asset_key == key,
            ChangeLog.at <= as_of,
            ChangeLog.action.like("asset.%"),
        )
        .order_by(ChangeLog.seq.desc())
        .limit(1)
    )
    return row.after if row is not None else None


def department_names(session: Session) -> set[str]:
    """The names of the departments the catalogue knows (from its assets and people)."""
    return set(session.scalars(select(Department.name)))

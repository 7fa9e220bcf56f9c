"""Finding one published package by its CKAN name, its key or its id, reading
that one record rather than every package (``package_show``).

- A name is the key itself for most keys; a key CKAN would refuse is published
  under a name made of the key and its hash (``publishing.package_name``), so a
  name of that shape is looked up among the few keys that could give it.
- An id is a UUID derived from the key (``publishing.stable_id``) and cannot be
  turned back into one, so ids are remembered as keys are seen. The mapping is
  a pure function of the key, the same for every catalogue, so what is
  remembered never goes stale; an id not seen yet costs one narrow query of the
  published keys (keys only), after which it is known.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.errors import NotFound
from catalogue.models import Asset
from catalogue.services.context import Reader
from catalogue.services.publishing import (
    CKAN_NAME,
    PUBLISHED_KINDS,
    package_name,
    published_record,
    stable_id,
)
from catalogue.services.record_types import AssetRecord

PACKAGE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HASHED_NAME = re.compile(r"(?P<base>[a-z0-9_-]+)-[0-9a-f]{8}")
#: package id -> key, for every key seen (see the module docstring)
_KEYS_BY_ID: dict[str, str] = {}


def find_package(reader: Reader, wanted: str) -> AssetRecord:
    """The record of the active package ``principal`` may see whose id or name is
    ``wanted``, else of the package whose key is ``wanted`` (a retired one too, as
    an asset's own address shows it). NotFound as for any asset one may not see."""
    for key in _candidate_keys(reader.session, wanted):
        try:
            record = published_record(reader, key)
        except NotFound:
            continue
        named = wanted in (stable_id("asset", key), package_name(key))
        if record["status"] == "active" and named:
            return record
    return published_record(reader, wanted)


def _candidate_keys(session: Session, wanted: str) -> list[str]:
    """The keys whose package could have ``wanted`` as its id or name (a few)."""
    if PACKAGE_ID.fullmatch(wanted):
        key = _KEYS_BY_ID.get(wanted)
        if key is None:
            published = select(Asset.key).where(Asset.kind.in_(PUBLISHED_KINDS))
            _KEYS_BY_ID.update((stable_id("asset", k), k) for k in session.scalars(published))
            key = _KEYS_BY_ID.get(wanted)
        return [key] if key is not None else []
    if not CKAN_NAME.fullmatch(wanted):
        return []
    keys = [wanted]
    hashed = HASHED_NAME.fullmatch(wanted)
    if hashed:
        # package_name turned each run of characters CKAN refuses into one dash
        # and may have cut the key short: every dash may stand for such a run.
        pattern = re.sub(r"([\\%_])", r"\\\1", hashed["base"]).replace("-", "%") + "%"
        like = select(Asset.key).where(Asset.key.like(pattern, escape="\\"))
        keys += [k for k in session.scalars(like) if package_name(k) == wanted]
    return keys

"""OpenLineage names and catalogue keys.

A dataset or job is named by ``namespace`` + ``name``. The first time a name is
seen it gets a key (:func:`suggested_key`): the namespace with its ``scheme://``
written ``scheme-``, a dot, then the name, lower-cased, with any run of
characters outside ``a-z 0-9 . _ -`` made one ``-`` (``postgres://db:5432`` +
``housing.public.rents`` → ``postgres-db-5432.housing.public.rents``). If that
key is taken (another name slugs alike, or an asset someone registered by hand)
or too long, a short hash of the name is added. ``lineage_names`` keeps the
pair, so later events, the dbt importer and the Marquez-style queries find the
same asset.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.openlineage_models import LineageName
from catalogue.services import assets
from catalogue.services.changes import Writer

KEY_MAX = 200


def digest(*parts: str) -> str:
    """SHA-256 of the parts (NUL-separated): the index of names and column nodes."""
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9._-]+", "-", text).strip("-._")


def suggested_key(namespace: str, name: str) -> str:
    """The readable key for a name (see the module docstring); may be taken."""
    scheme_less = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*)://", r"\1-", namespace)
    key = ".".join(part for part in (_slug(scheme_less), _slug(name)) if part) or "lineage"
    if len(key) > KEY_MAX:
        key = key[: KEY_MAX - 9].rstrip("-._") + "-" + digest(namespace, name)[:8]
    return key


def _key_taken(session: Session, key: str) -> bool:
    return (
        assets.find(session, key) is not None
        or session.scalar(select(LineageName.id).where(LineageName.asset_key == key)) is not None
    )


def key_for(writer: Writer, kind: str, namespace: str, name: str) -> tuple[str, bool]:
    """The asset key of a dataset or job, made and remembered on first sight.

    Returns (key, True if the name was new). Within a write transaction, so two
    feeds naming the same thing at once cannot both make it.
    """
    session = writer.session
    node = digest(kind, namespace, name)
    known = session.scalar(select(LineageName.asset_key).where(LineageName.digest == node))
    if known is not None:
        return known, False
    key = suggested_key(namespace, name)
    if _key_taken(session, key):
        key = f"{key[: KEY_MAX - 13].rstrip('-._')}-{node[:12]}"
    session.add(
        LineageName(
            digest=node,
            kind=kind,
            namespace=namespace,
            name=name,
            asset_key=key,
            created_at=writer.now,
        )
    )
    return key, True


def lookup_key(session: Session, kind: str, namespace: str, name: str) -> str | None:
    """The key a dataset or job has in the catalogue, if it has been seen."""
    return session.scalar(
        select(LineageName.asset_key).where(LineageName.digest == digest(kind, namespace, name))
    )


def names_for(session: Session, keys: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """(kind, namespace, name) of each key that came from a feed."""
    keys = list(keys)
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(
                LineageName.asset_key, LineageName.kind, LineageName.namespace, LineageName.name
            ).where(LineageName.asset_key.in_(keys[start : start + 500]))
        )
        found.update({key: (kind, ns, name) for key, kind, ns, name in rows})
    return found

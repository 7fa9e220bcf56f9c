"""What Marquez's read API answers (#19), under the catalogue's permissions:
namespaces, their jobs and datasets, a job's runs, the lineage events and a
search. One data function per resource; ``catalogue.api.marquez_routes`` serves
them under ``/marquez/api/v1``.

A namespace is one the OpenLineage feeds named; assets registered by hand are
in the namespace ``catalogue``, named by their key. What the caller may not see
is absent from every list and a 404 when asked for by name, in the words used
for a name that does not exist; a namespace holding nothing they may see is not
found either. Retired assets are left out of lists but can be read by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.api import marquez_shapes as shapes
from catalogue.api.marquez import CATALOGUE_NAMESPACE, node_names, unknown
from catalogue.api.marquez_shapes import Name
from catalogue.errors import NotFound
from catalogue.http import catalogue
from catalogue.openlineage_models import LineageName, LineageRun
from catalogue.services import assets, run_health
from catalogue.services.access import Principal
from catalogue.services.openlineage_names import lookup_key
from catalogue.services.sight import Sight

KINDS = ("dataset", "job")
LATEST_RUNS = 10


@dataclass(frozen=True)
class Member:
    """A dataset or job the caller may see, named as Marquez names it."""

    key: str
    name: Name
    created_at: datetime


def _when(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else datetime.now(UTC)


def members(session: Session, sight: Sight) -> list[Member]:
    """Every dataset and job the caller may see and that is not retired, by name."""
    graph = sight.graph
    columns = (LineageName.kind, LineageName.namespace, LineageName.name, LineageName.created_at)
    rows = session.execute(select(LineageName.asset_key, *columns)).all()
    named = {row[0] for row in rows}
    found = [
        Member(key, (kind, ns, name), at)
        for key, kind, ns, name, at in rows
        if kind in KINDS and _listed(sight, key)
    ]
    for key in graph.asset_keys():
        node = graph.node(key)
        if key in named or node.get("kind") == "source_system" or not _listed(sight, key):
            continue
        kind = "job" if node.get("kind") == "pipeline" else "dataset"
        found.append(Member(key, (kind, CATALOGUE_NAMESPACE, key), _when(node.get("created_at"))))
    return sorted(found, key=lambda m: (m.name[1], m.name[2], m.name[0]))


def _listed(sight: Sight, key: str) -> bool:
    return sight.visible(key) and sight.graph.node(key).get("status") != "retired"


def in_namespace(session: Session, sight: Sight, namespace: str, kind: str) -> list[Member]:
    """The namespace's members of one kind; NotFound if it holds nothing the caller may see."""
    inside = [m for m in members(session, sight) if m.name[1] == namespace]
    if not inside:
        raise NotFound(f"no namespace {namespace[:300]!r} in the catalogue")
    return [m for m in inside if m.name[0] == kind]


def find(session: Session, sight: Sight, kind: str, namespace: str, name: str) -> str:
    """The asset key of a dataset or job; NotFound for an unknown or hidden one."""
    key = lookup_key(session, kind, namespace, name)
    if key is None and namespace == CATALOGUE_NAMESPACE and sight.graph.has(name):
        is_job = sight.graph.node(name).get("kind") == "pipeline"
        key = name if is_job == (kind == "job") else None
    if key is None or not sight.visible(key):
        raise unknown(kind, f"{namespace}:{name}")
    return key


def _names(session: Session, sight: Sight, keys: Iterable[str]) -> list[Name]:
    """Marquez names of the visible datasets and jobs among ``keys``."""
    shown = [k for k in dict.fromkeys(keys) if sight.visible(k)]
    named = node_names(session, sight.graph, shown)
    return [named[k] for k in shown if named[k][0] in KINDS]


def job_data(session: Session, sight: Sight, key: str, name: Name) -> dict[str, Any]:
    record = assets.get(sight.reader, key)
    graph = sight.graph
    inputs = _names(session, sight, (h.key for h in graph.upstream(key, 1)))
    outputs = _names(session, sight, graph.successors(key))
    latest = run_health.runs_of(session, key, LATEST_RUNS)
    return shapes.job(record, name, inputs, outputs, latest)


def dataset_data(session: Session, sight: Sight, key: str, name: Name) -> dict[str, Any]:
    record = assets.get(sight.reader, key)
    return shapes.dataset(record, name, run_health.last_successful_write(session, key))


def _page(items: list[Any], limit: int, offset: int) -> list[Any]:
    return items[offset : offset + limit]


# -- the resources -----------------------------------------------------------------------
def namespaces(principal: Principal) -> dict[str, Any]:
    cat = catalogue()
    with cat.reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        found = members(session, sight)
    spans: dict[str, list[datetime]] = {}
    for m in found:
        spans.setdefault(m.name[1], []).append(m.created_at)
    listed = [shapes.namespace(ns, min(times), max(times)) for ns, times in spans.items()]
    return {"namespaces": listed, "totalCount": len(listed)}


def namespace(principal: Principal, name: str) -> dict[str, Any]:
    for found in namespaces(principal)["namespaces"]:
        if found["name"] == name:
            return found
    raise NotFound(f"no namespace {name[:300]!r} in the catalogue")


def jobs(
    principal: Principal,
    ns: str | None,
    limit: int,
    offset: int,
    last_run_states: Iterable[str] = (),
) -> dict[str, Any]:
    """A namespace's jobs (every namespace's with ``ns`` None), a page at a time;
    only those whose latest run is in one of ``last_run_states`` (Marquez's state
    names) when any are given."""
    return _listing(principal, ns, "job", limit, offset, set(last_run_states))


def datasets(principal: Principal, ns: str, limit: int, offset: int) -> dict[str, Any]:
    return _listing(principal, ns, "dataset", limit, offset)


def _listing(
    principal: Principal,
    ns: str | None,
    kind: str,
    limit: int,
    offset: int,
    states: set[str] | None = None,
) -> dict:
    cat = catalogue()
    shape = job_data if kind == "job" else dataset_data
    with cat.reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        if ns is None:
            found = [m for m in members(session, sight) if m.name[0] == kind]
        else:
            found = in_namespace(session, sight, ns, kind)
        if states:
            found = [m for m in found if _last_state(session, m.key) in states]
        page = [shape(session, sight, m.key, m.name) for m in _page(found, limit, offset)]
    return {f"{kind}s": page, "totalCount": len(found)}


def _last_state(session: Session, key: str) -> str | None:
    """The Marquez state of a job's latest run, or None without one."""
    latest = run_health.runs_of(session, key, 1)
    return shapes.run(latest[0])["state"] if latest else None


def one(principal: Principal, kind: str, ns: str, name: str) -> dict[str, Any]:
    """One job or dataset."""
    cat = catalogue()
    with cat.reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        key = find(session, sight, kind, ns, name)
        shape = job_data if kind == "job" else dataset_data
        return shape(session, sight, key, (kind, ns, name))


def runs(principal: Principal, ns: str, name: str, limit: int, offset: int) -> dict[str, Any]:
    """A job's runs, newest first."""
    cat = catalogue()
    with cat.reading(principal) as reader:
        session, sight = reader.session, Sight(reader)
        key = find(session, sight, "job", ns, name)
        found = run_health.runs_of(session, key, limit, offset)
        total = session.scalar(
            select(func.count()).select_from(LineageRun).where(LineageRun.job_key == key)
        )
    return {"runs": [shapes.run(r) for r in found], "totalCount": total}


def like(pattern: str) -> re.Pattern[str]:
    """Marquez's search pattern: ``%`` any text, ``_`` one character, any case,
    matched anywhere in the name."""
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE)


def search(
    principal: Principal, q: str, kind: str | None, sort: str, limit: int, ns: str | None
) -> dict[str, Any]:
    """Datasets and jobs whose name matches ``q``, by name or newest first."""
    cat = catalogue()
    wanted = like(q)
    with cat.reading(principal) as reader:
        sight = Sight(reader)
        found = [
            m
            for m in members(reader.session, sight)
            if wanted.search(m.name[2])
            and (kind is None or m.name[0] == kind)
            and (ns is None or m.name[1] == ns)
        ]
        dated = found if sort == "UPDATE_AT" else found[:limit]
        updated = {m.key: assets.get(reader, m.key)["updated_at"] for m in dated}
    if sort == "UPDATE_AT":
        found.sort(key=lambda m: str(updated[m.key]), reverse=True)
    results = [shapes.search_result(m.name, updated[m.key]) for m in found[:limit]]
    return {"totalCount": len(found), "results": results}
